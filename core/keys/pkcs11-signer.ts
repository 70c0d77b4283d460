import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { KeyType, ObjectClass, type PrivateKey, type PublicKey, type SessionObject, type Sign } from 'graphene-pk11';
import { ColdrootError } from '../errors.js';
import { keyAlgorithmInfo, type KeyAlgorithm } from './key-algorithm.js';
import { pkcs11ErrorCode, pkcs11Failure } from './pkcs11-module.js';
import { ecdsaRawToDer, ecPointFromAttribute, spkiFromTokenKey } from './pkcs11-spki.js';
import { acquireTokenSession, type TokenMatch, type TokenSession } from './pkcs11-token-session.js';
import { formatPkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.js';
import type { Signer } from './signer.js';

export { listPkcs11Tokens, type TokenInfo } from './pkcs11-module.js';

const CKM_RSA_PKCS = 0x1;
const CKM_ECDSA = 0x1041;
const CKM_EDDSA = 0x1057;
const CKK_EC_EDWARDS = 0x40;
const CKR_OPERATION_ACTIVE = 0x90;
/** How long signMany may hold the event loop before it yields (still inside its queue turn). */
const BATCH_SLICE_MS = 50;
// DER DigestInfo prefixes (RFC 8017 section 9.2, note 1); the digest follows.
const DIGEST_INFO = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
} as const;

/**
 * The mechanism used to sign, and what is handed to it. ECDSA and RSA hash here: SoftHSM lacks
 * CKM_ECDSA_SHA256/384, a digest is all an HSM needs to see, and pkcs11js cannot pass an empty
 * buffer (it arrives as NULL: CKR_ARGUMENTS_BAD), which an empty message would otherwise be.
 */
function signPlan(alg: KeyAlgorithm, keyUri: string): { mechanism: number; input: (data: Uint8Array) => Buffer } {
  const info = keyAlgorithmInfo(alg);
  switch (info.family) {
    case 'ec':
      return { mechanism: CKM_ECDSA, input: (d) => createHash(info.hash!).update(d).digest() };
    case 'rsa':
      // CKM_RSA_PKCS over DigestInfo is exactly what CKM_SHA256_RSA_PKCS computes (PKCS#1 v1.5).
      return { mechanism: CKM_RSA_PKCS, input: (d) => Buffer.concat([DIGEST_INFO[info.hash!], createHash(info.hash!).update(d).digest()]) };
    case 'ed25519':
      // PureEdDSA takes the message itself, so an empty one cannot cross pkcs11js.
      return {
        mechanism: CKM_EDDSA,
        input: (d) => {
          if (d.length === 0) throw new ColdrootError('PKCS11_EMPTY_MESSAGE', `Key ${keyUri} cannot sign an empty message: Ed25519 signs the message itself and the PKCS#11 binding cannot pass zero bytes`, 'Sign a non-empty message (certificates, CRLs and OCSP responses never are empty)');
          return Buffer.from(d);
        },
      };
  }
}

/**
 * PKCS#11 says a failed C_Sign ends the operation, but SoftHSM 2.6 keeps it active after
 * CKR_ARGUMENTS_BAD, and the session is shared: every later C_SignInit on the token would fail
 * with CKR_OPERATION_ACTIVE. Completing the operation on a throw-away digest ends it either way.
 */
function endOperation(token: TokenSession): void {
  try {
    token.session.lib.C_Sign(token.session.handle, Buffer.alloc(32, 1), Buffer.alloc(1024));
  } catch {
    // CKR_OPERATION_NOT_INITIALIZED: nothing was active, which is the state we want.
  }
}

function closedError(keyUri: string): ColdrootError {
  return new ColdrootError('SIGNER_CLOSED', `Key ${keyUri} was closed`, 'Open the key again before signing', 'failure');
}

/**
 * A Signer over a private key on a PKCS#11 token. All signers of one token share the process's
 * session and queue, so concurrent sign() calls are serialised rather than failing.
 */
export class Pkcs11Signer implements Signer {
  readonly keyUri: string;
  readonly algorithm: KeyAlgorithm;
  readonly tokenLabel: string;
  #token: TokenSession | null;
  readonly #key: PrivateKey;
  readonly #spki: Uint8Array;
  readonly #plan: ReturnType<typeof signPlan>;
  readonly #ecdsa: boolean;

  /** @internal use openPkcs11Signer / generatePkcs11Key */
  constructor(token: TokenSession, key: PrivateKey, algorithm: KeyAlgorithm, spki: Uint8Array, keyUri: string) {
    this.#token = token;
    this.#key = key;
    this.algorithm = algorithm;
    this.#spki = spki;
    this.keyUri = keyUri;
    this.tokenLabel = token.token.label;
    this.#plan = signPlan(algorithm, keyUri);
    this.#ecdsa = keyAlgorithmInfo(algorithm).family === 'ec';
  }

  async publicKey(): Promise<Uint8Array> {
    return this.#spki.slice();
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const token = this.#token;
    if (!token) throw closedError(this.keyUri);
    const input = this.#plan.input(data);
    // C_Sign runs on libuv's thread pool, so a slow HSM does not stall the event loop.
    const raw = await token.queue.run(
      () => new Promise<Buffer>((resolve, reject) => {
        try {
          this.#init(token).once(input, (err, sig) => {
            if (!err) return resolve(sig);
            endOperation(token);
            reject(err);
          });
        } catch (e) {
          reject(e);
        }
      }),
    ).catch((e: unknown) => {
      throw pkcs11Failure(`Signing with key ${this.keyUri}`, e);
    });
    return this.#finish(raw);
  }

  /** Signs every item in one turn of the token's queue (bulk issuance); results keep the input order. */
  async signMany(items: Uint8Array[]): Promise<Uint8Array[]> {
    const token = this.#token;
    if (!token) throw closedError(this.keyUri);
    const inputs = items.map((d) => this.#plan.input(d));
    return token.queue.run(async () => {
      const out: Uint8Array[] = [];
      const { lib, handle } = token.session;
      const mechanism = { mechanism: this.#plan.mechanism };
      const scratch = Buffer.alloc(1024);
      const fail = (e: unknown) => pkcs11Failure(`Signing item ${out.length + 1} of ${inputs.length} with key ${this.keyUri}`, e);
      let sliceStart = performance.now();
      for (const input of inputs) {
        // pkcs11js directly with one reused output buffer: no per-signature graphene objects.
        try {
          lib.C_SignInit(handle, mechanism, this.#key.handle);
        } catch (e) {
          if (pkcs11ErrorCode(e) !== CKR_OPERATION_ACTIVE) throw fail(e);
          endOperation(token);
          try { lib.C_SignInit(handle, mechanism, this.#key.handle); } catch (again) { throw fail(again); }
        }
        let raw: Buffer;
        try {
          raw = lib.C_Sign(handle, input, scratch);
        } catch (e) {
          endOperation(token);
          throw fail(e);
        }
        out.push(this.#finish(raw));
        if (performance.now() - sliceStart > BATCH_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          sliceStart = performance.now();
        }
      }
      return out;
    });
  }

  /** C_SignInit; a signing operation left active on the shared session is ended and the init retried once. */
  #init(token: TokenSession): Sign {
    try {
      return token.session.createSign(this.#plan.mechanism, this.#key);
    } catch (e) {
      if (pkcs11ErrorCode(e) !== CKR_OPERATION_ACTIVE) throw e;
      endOperation(token);
      return token.session.createSign(this.#plan.mechanism, this.#key);
    }
  }

  /** Copies: `raw` may be a view of a buffer reused for the next signature. */
  #finish(raw: Buffer): Uint8Array {
    return this.#ecdsa ? ecdsaRawToDer(raw) : new Uint8Array(raw);
  }

  /** Idempotent. Calls already accepted finish first; the session closes with the token's last signer. */
  async close(): Promise<void> {
    const token = this.#token;
    if (!token) return;
    this.#token = null;
    await token.release();
  }
}

const attr = <T>(obj: SessionObject, name: string): T => obj.getAttribute(name) as T;
// By number: graphene reads CKA_EC_PARAMS back under an alias name.
const CKA_EC_PARAMS = 0x180;
const CKA_EC_POINT = 0x181;

function describeKey(object?: string, id?: Uint8Array): string {
  const parts: string[] = [];
  if (object !== undefined) parts.push(`label '${object}'`);
  if (id !== undefined) parts.push(`id ${Buffer.from(id).toString('hex') || '(empty)'}`);
  return parts.join(' and ');
}

const keyName = (label: string, id: Uint8Array) => `'${label}' (id ${Buffer.from(id).toString('hex') || 'empty'})`;

function findOne(token: TokenSession, cls: ObjectClass, kind: string, object: string | undefined, id: Uint8Array | undefined, hint: string): SessionObject {
  const template: Record<string, unknown> = { class: cls };
  if (object !== undefined) template.label = object;
  if (id !== undefined) template.id = Buffer.from(id);
  const found = token.session.find(template);
  if (found.length === 0) {
    throw new ColdrootError('PKCS11_KEY_NOT_FOUND', `No ${kind} with ${describeKey(object, id)} on token '${token.token.label}' (module ${token.modulePath})`, hint);
  }
  if (found.length > 1) {
    throw new ColdrootError('PKCS11_KEY_AMBIGUOUS', `${found.length} ${kind}s with ${describeKey(object, id)} on token '${token.token.label}'`, 'Name the key by both object= (label) and id= in the PKCS#11 URI');
  }
  return found.items(0);
}

/** Works out which KeyAlgorithm a token key pair is, refusing anything Coldroot does not sign with. */
function algorithmOf(token: TokenSession, priv: SessionObject, pub: SessionObject, keyName: string): KeyAlgorithm {
  const keyType = attr<number>(priv, 'keyType');
  const unsupported = (what: string) =>
    new ColdrootError('PKCS11_ALGORITHM_UNSUPPORTED', `Key ${keyName} on token '${token.token.label}' is ${what}, which Coldroot does not sign with`, 'Use a key of type ecdsa-p256, ecdsa-p384, rsa-3072, rsa-4096 or ed25519');
  if (keyType === KeyType.RSA) {
    const bits = Buffer.from(attr<Buffer>(pub, 'modulus')).toString('hex').replace(/^(00)+/, '').length * 4;
    const rounded = Math.ceil(bits / 8) * 8;
    if (rounded === 3072) return 'rsa-3072';
    if (rounded === 4096) return 'rsa-4096';
    throw unsupported(`RSA-${rounded}`);
  }
  if (keyType === KeyType.EC || keyType === CKK_EC_EDWARDS) {
    const params = pub.getAttribute(CKA_EC_PARAMS).toString('hex');
    if (keyType === KeyType.EC && params === '06082a8648ce3d030107') return 'ecdsa-p256';
    if (keyType === KeyType.EC && params === '06052b81040022') return 'ecdsa-p384';
    // Ed25519 by OID (RFC 8410) or by the PrintableString "edwards25519" some tokens use.
    if (keyType === CKK_EC_EDWARDS && (params === '06032b6570' || params === '130c656477617264733235353139')) return 'ed25519';
    throw unsupported(`an EC key with parameters ${params}`);
  }
  throw unsupported(`of CKK key type 0x${keyType.toString(16)}`);
}

function publicKeyAttributes(alg: KeyAlgorithm, pub: SessionObject): Parameters<typeof spkiFromTokenKey>[1] {
  if (keyAlgorithmInfo(alg).family === 'rsa') return { modulus: attr<Buffer>(pub, 'modulus'), publicExponent: attr<Buffer>(pub, 'publicExponent') };
  return { ecPoint: ecPointFromAttribute(alg, pub.getAttribute(CKA_EC_POINT)) };
}

/**
 * Builds a signer over a key pair already found (or just generated) on the token, after proving
 * the pair belongs together: a probe signature must verify under the public key object, since a
 * mismatched public object would otherwise end up in every certificate this key signs.
 */
export async function signerForKeyPair(token: TokenSession, match: TokenMatch, priv: PrivateKey, pub: PublicKey): Promise<Pkcs11Signer> {
  const { alg, spki, label, id } = await token.queue.run(() => {
    const label = attr<string>(priv, 'label');
    const id = new Uint8Array(attr<Buffer>(priv, 'id'));
    const alg = algorithmOf(token, priv, pub, keyName(label, id));
    if (!attr<boolean>(priv, 'sign')) {
      throw new ColdrootError('PKCS11_KEY_CANNOT_SIGN', `Key ${keyName(label, id)} on token '${token.token.label}' does not allow signing (CKA_SIGN is false)`, 'Use a key generated for signing, e.g. with coldroot key generate');
    }
    return { alg, spki: spkiFromTokenKey(alg, publicKeyAttributes(alg, pub)), label, id };
  });
  const keyUri = formatPkcs11Uri({ ...match, object: label, id: id.length ? id : undefined, type: 'private', modulePath: token.modulePath });
  const signer = new Pkcs11Signer(token, priv, alg, spki, keyUri);
  const probe = Buffer.from(`coldroot key-pair check ${keyUri}`);
  const sig = await signer.sign(probe);
  const hash = keyAlgorithmInfo(alg).hash;
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  if (!nodeVerify(hash, probe, { key, dsaEncoding: 'der' }, sig)) {
    throw new ColdrootError('PKCS11_KEY_PAIR_MISMATCH', `The public key object for key ${keyName(label, id)} on token '${token.token.label}' does not match its private key`, 'The token holds a stale or wrong public key object with this label/id; fix or remove it before using the key', 'failure');
  }
  return signer;
}

/** Opens the key a PKCS#11 URI names, logging in with `pin`; fails unless both halves of the pair are found. */
export async function openPkcs11Signer(opts: { uri: string; pin: string }): Promise<Pkcs11Signer> {
  const u = parsePkcs11Uri(opts.uri, '--key');
  const invalid = (why: string, hint: string) => new ColdrootError('PKCS11_URI_INVALID', `PKCS#11 URI '${opts.uri}' ${why}`, hint);
  if (!u.modulePath) throw invalid('names no module', 'Add ?module-path=/path/to/vendor-pkcs11.so to the URI');
  if (u.type !== undefined && u.type !== 'private') throw invalid(`names a ${u.type} object; a signer needs type=private`, 'Use type=private or leave type out');
  if (u.object === undefined && u.id === undefined) throw invalid('names no key', 'Add object=<key label> and/or id=<CKA_ID> to the URI');
  const match: TokenMatch = { token: u.token, manufacturer: u.manufacturer, model: u.model, serial: u.serial, slotId: u.slotId };
  for (const k of Object.keys(match) as Array<keyof TokenMatch>) if (match[k] === undefined) delete match[k];
  if (Object.keys(match).length === 0) throw invalid('names no token', 'Add token=<token label> (and serial= if labels repeat) to the URI');

  const token = await acquireTokenSession(u.modulePath, match, opts.pin);
  try {
    const listHint = `List the keys with: pkcs11-tool --module ${token.modulePath} --token-label '${token.token.label}' --login --list-objects`;
    const { priv, pub } = await token.queue.run(() => {
      const priv = findOne(token, ObjectClass.PRIVATE_KEY, 'private key', u.object, u.id, listHint).toType<PrivateKey>();
      // The public object pairs with the private key by its CKA_ID (a token may hold several keys under one label).
      const privId = new Uint8Array(attr<Buffer>(priv, 'id'));
      const pubLabel = privId.length ? u.object : attr<string>(priv, 'label');
      const pubHint = `${listHint}; Coldroot needs the public key object next to the private key (import it with pkcs11-tool --write-object --type pubkey)`;
      const pub = findOne(token, ObjectClass.PUBLIC_KEY, 'public key', pubLabel, privId.length ? privId : undefined, pubHint).toType<PublicKey>();
      return { priv, pub };
    });
    return await signerForKeyPair(token, match, priv, pub);
  } catch (e) {
    await token.release();
    throw e;
  }
}
