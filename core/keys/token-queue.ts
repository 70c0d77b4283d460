/**
 * A FIFO promise queue: each task starts only after the previous one settled.
 *
 * A PKCS#11 session runs one cryptographic operation at a time (a second C_SignInit fails with
 * CKR_OPERATION_ACTIVE), so every call to a token goes through the token's queue.
 */
export class TokenQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Tasks queued or running. */
  get pending(): number {
    return this.#pending;
  }

  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(task);
    // The chain must survive a failed task; the caller still sees the rejection through `result`.
    this.#tail = result.then(
      () => this.#pending--,
      () => this.#pending--,
    );
    return result;
  }
}
