import { constants, createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';

/*
 * TPM 2.0 quote structures (TCG TPM 2.0 Library, Part 2), parsed by hand: a quote is TPMS_ATTEST
 * (big-endian, size-prefixed fields) and its signature TPMT_SIGNATURE, as `tpm2_quote -m … -s …`
 * writes them (its default "tss" signature format).
 */

export const TPM_GENERATED_VALUE = 0xff544347;
export const TPM_ST_ATTEST_QUOTE = 0x8018;
const TPM_ALG_RSASSA = 0x0014;
const TPM_ALG_RSAPSS = 0x0016;
const TPM_ALG_ECDSA = 0x0018;
const HASHES: Record<number, string> = { 0x000b: 'sha256', 0x000c: 'sha384', 0x000d: 'sha512' };

export interface TpmQuote {
  /** TPM2B_NAME of the signing key, qualified by its hierarchy. */
  qualifiedSigner: Uint8Array;
  /** The caller's qualifying data (Coldroot: SHA-256(nonce || SHA-256(CSR))). */
  extraData: Uint8Array;
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
  firmwareVersion: bigint;
  pcrSelections: Array<{ hash: number; select: Uint8Array }>;
  pcrDigest: Uint8Array;
}

export interface TpmSignature {
  scheme: 'ecdsa' | 'rsassa' | 'rsapss';
  hash: string;
  /** ECDSA: the DER (r, s) SEQUENCE node:crypto verifies; RSA: the raw signature. */
  signature: Uint8Array;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

class Reader {
  private at = 0;
  constructor(private readonly b: Uint8Array, private readonly what: string) {}
  private need(n: number): void {
    if (this.at + n > this.b.length) throw new Error(`${this.what} ends at byte ${this.b.length}, inside a field at ${this.at} that needs ${n} bytes`);
  }
  u8(): number { this.need(1); return this.b[this.at++]; }
  u16(): number { this.need(2); const v = (this.b[this.at] << 8) | this.b[this.at + 1]; this.at += 2; return v; }
  u32(): number { return this.u16() * 65536 + this.u16(); }
  u64(): bigint { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }
  bytes(n: number): Uint8Array { this.need(n); const v = this.b.subarray(this.at, this.at + n); this.at += n; return v; }
  tpm2b(): Uint8Array { return this.bytes(this.u16()); }
  end(): void {
    if (this.at !== this.b.length) throw new Error(`${this.what} has ${this.b.length - this.at} bytes after its last field`);
  }
}

/** Parses TPMS_ATTEST and insists on a quote: magic TPM_GENERATED_VALUE, type TPM_ST_ATTEST_QUOTE, no trailing bytes. */
export function parseQuote(bytes: Uint8Array): Parsed<TpmQuote> {
  try {
    const r = new Reader(bytes, 'the quote (TPMS_ATTEST)');
    const magic = r.u32();
    if (magic !== TPM_GENERATED_VALUE) return { ok: false, message: `the quote starts with 0x${magic.toString(16).padStart(8, '0')}, not TPM_GENERATED_VALUE 0xff544347: the TPM did not produce it` };
    const type = r.u16();
    if (type !== TPM_ST_ATTEST_QUOTE) return { ok: false, message: `the attestation has type 0x${type.toString(16)}, not TPM_ST_ATTEST_QUOTE 0x8018` };
    const qualifiedSigner = r.tpm2b();
    const extraData = r.tpm2b();
    const clock = r.u64();
    const resetCount = r.u32();
    const restartCount = r.u32();
    const safe = r.u8() === 1;
    const firmwareVersion = r.u64();
    const count = r.u32();
    if (count > 16) return { ok: false, message: `the quote selects ${count} PCR banks; a TPM has at most a few` };
    const pcrSelections: TpmQuote['pcrSelections'] = [];
    for (let i = 0; i < count; i++) {
      const hash = r.u16();
      pcrSelections.push({ hash, select: r.bytes(r.u8()) });
    }
    const pcrDigest = r.tpm2b();
    r.end();
    return { ok: true, value: { qualifiedSigner, extraData, clock, resetCount, restartCount, safe, firmwareVersion, pcrSelections, pcrDigest } };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

const derLength = (n: number) => Buffer.from(n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 255]);

function derInteger(v: Uint8Array): Buffer {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v[i] & 0x80 ? Buffer.concat([Buffer.from([0]), v.subarray(i)]) : Buffer.from(v.subarray(i));
  return Buffer.concat([Buffer.from([0x02]), derLength(body.length), body]);
}

/** Parses TPMT_SIGNATURE (ECDSA, RSASSA or RSAPSS with SHA-256/384/512). */
export function parseSignature(bytes: Uint8Array): Parsed<TpmSignature> {
  try {
    const r = new Reader(bytes, 'the quote signature (TPMT_SIGNATURE)');
    const alg = r.u16();
    const hashAlg = r.u16();
    const hash = HASHES[hashAlg];
    if (!hash) return { ok: false, message: `the quote signature uses hash algorithm 0x${hashAlg.toString(16)}; Coldroot accepts SHA-256, SHA-384 and SHA-512` };
    if (alg === TPM_ALG_ECDSA) {
      const rInt = r.tpm2b();
      const sInt = r.tpm2b();
      r.end();
      if (rInt.length === 0 || sInt.length === 0 || rInt.length > 66 || sInt.length > 66) return { ok: false, message: 'the ECDSA quote signature has an empty or oversized r or s' };
      const seq = Buffer.concat([derInteger(rInt), derInteger(sInt)]);
      return { ok: true, value: { scheme: 'ecdsa', hash, signature: new Uint8Array(Buffer.concat([Buffer.from([0x30]), derLength(seq.length), seq])) } };
    }
    if (alg === TPM_ALG_RSASSA || alg === TPM_ALG_RSAPSS) {
      const sig = r.tpm2b();
      r.end();
      return { ok: true, value: { scheme: alg === TPM_ALG_RSASSA ? 'rsassa' : 'rsapss', hash, signature: sig } };
    }
    return { ok: false, message: `the quote signature has algorithm 0x${alg.toString(16)}; Coldroot accepts ECDSA (0x18), RSASSA (0x14) and RSAPSS (0x16)` };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** The qualifying data a Coldroot quote must carry: SHA-256(nonce || SHA-256(CSR DER)), binding the nonce to one CSR. */
export function quoteQualifyingData(nonce: Uint8Array, csrDer: Uint8Array): Uint8Array {
  const csrHash = createHash('sha256').update(csrDer).digest();
  return new Uint8Array(createHash('sha256').update(nonce).update(csrHash).digest());
}

export type QuoteCheck = { ok: true; quote: TpmQuote } | { ok: false; reason: 'malformed' | 'signature' | 'extra-data'; message: string };

/**
 * Checks a quote end to end: both structures parse, the signature verifies with the attestation
 * key (SubjectPublicKeyInfo DER), and extraData equals `expectedExtraData`.
 */
export function verifyQuote(quote: Uint8Array, signature: Uint8Array, akSpki: Uint8Array, expectedExtraData: Uint8Array): QuoteCheck {
  const q = parseQuote(quote);
  if (!q.ok) return { ok: false, reason: 'malformed', message: q.message };
  const s = parseSignature(signature);
  if (!s.ok) return { ok: false, reason: 'malformed', message: s.message };
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(akSpki), format: 'der', type: 'spki' });
  } catch (e) {
    return { ok: false, reason: 'malformed', message: `the attestation key cannot be read: ${(e as Error).message}` };
  }
  const keyType = key.asymmetricKeyType;
  if ((s.value.scheme === 'ecdsa') !== (keyType === 'ec')) return { ok: false, reason: 'signature', message: `the quote is signed with ${s.value.scheme.toUpperCase()}, but the enrolled attestation key is ${keyType}` };
  let ok = false;
  try {
    const opts = s.value.scheme === 'rsapss'
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }
      : s.value.scheme === 'ecdsa' ? { key, dsaEncoding: 'der' as const } : { key };
    ok = nodeVerify(s.value.hash, quote, opts, s.value.signature);
  } catch {
    ok = false;
  }
  if (!ok) return { ok: false, reason: 'signature', message: `the quote signature (${s.value.scheme}, ${s.value.hash}) does not verify with the enrolled attestation key` };
  if (!Buffer.from(q.value.extraData).equals(Buffer.from(expectedExtraData))) {
    return { ok: false, reason: 'extra-data', message: `the quote's extraData is ${Buffer.from(q.value.extraData).toString('hex')}, but SHA-256(nonce || SHA-256(CSR)) is ${Buffer.from(expectedExtraData).toString('hex')}: the quote was made for another nonce or another CSR` };
  }
  return { ok: true, quote: q.value };
}
