/** Appends DER pieces into large chunks, so a million small entries never become a million buffers. */
export class ByteSink {
  readonly #chunks: Buffer[] = [];
  #current: Buffer;
  #offset = 0;
  #length = 0;

  constructor(private readonly chunkSize = 1 << 20) {
    this.#current = Buffer.allocUnsafe(chunkSize);
  }

  get length(): number {
    return this.#length;
  }

  write(bytes: Uint8Array): void {
    if (this.#offset + bytes.length > this.#current.length) {
      this.#chunks.push(this.#current.subarray(0, this.#offset));
      this.#current = Buffer.allocUnsafe(Math.max(this.chunkSize, bytes.length));
      this.#offset = 0;
    }
    this.#current.set(bytes, this.#offset);
    this.#offset += bytes.length;
    this.#length += bytes.length;
  }

  /** The pieces written so far, in order (no copy of the chunks). */
  parts(): Buffer[] {
    return [...this.#chunks, this.#current.subarray(0, this.#offset)];
  }
}
