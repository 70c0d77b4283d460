import { createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { ColdrootError } from '../errors.js';
import { keyAlgorithmInfo, type KeyAlgorithm } from './key-algorithm.js';
import type { Signer } from './signer.js';

/** A Signer over a private key held in this process (decrypted from its encrypted PKCS#8 file). */
export class SoftwareSigner implements Signer {
  readonly keyUri: string;
  readonly algorithm: KeyAlgorithm;
  #key: KeyObject | null;
  readonly #spki: Uint8Array;
  readonly #hash: string | null;

  constructor(key: KeyObject, algorithm: KeyAlgorithm, keyUri: string) {
    this.#key = key;
    this.algorithm = algorithm;
    this.keyUri = keyUri;
    this.#hash = keyAlgorithmInfo(algorithm).hash;
    this.#spki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  }

  async publicKey(): Promise<Uint8Array> {
    return this.#spki;
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return this.signSync(data);
  }

  /** Synchronous signing, for batch paths that sign many items in one turn. */
  signSync(data: Uint8Array): Uint8Array {
    if (!this.#key) {
      throw new ColdrootError('SIGNER_CLOSED', `Key ${this.keyUri} was closed`, 'Open the key again before signing', 'failure');
    }
    return new Uint8Array(nodeSign(this.#hash, data, { key: this.#key, dsaEncoding: 'der' }));
  }

  /** The key itself, only to hand to this process's own worker threads for batch signing. */
  keyForWorkerThreads(): KeyObject {
    if (!this.#key) throw new ColdrootError('SIGNER_CLOSED', `Key ${this.keyUri} was closed`, 'Open the key again before signing', 'failure');
    return this.#key;
  }

  async signMany(items: Uint8Array[]): Promise<Uint8Array[]> {
    return items.map((d) => this.signSync(d));
  }

  async close(): Promise<void> {
    this.#key = null;
  }
}
