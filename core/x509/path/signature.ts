import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AsnParser } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';

/** Why a signature did not verify: 'unsupported' (weak or unknown algorithm) or 'invalid'. */
export type SignatureCheck = { ok: true } | { ok: false; reason: 'unsupported' | 'invalid'; detail: string };

const HASH_OIDS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const MGF1 = '1.2.840.113549.1.1.8';
const RSA_PSS = '1.2.840.113549.1.1.10';

interface Scheme {
  family: 'ec' | 'rsa' | 'ed25519' | 'ed448';
  hash: string | null;
  /** RSA PKCS#1 v1.5 identifiers carry NULL parameters (absent is tolerated); the others none. */
  params: 'null' | 'absent';
}

const SCHEMES: Record<string, Scheme> = {
  '1.2.840.10045.4.3.2': { family: 'ec', hash: 'sha256', params: 'absent' },
  '1.2.840.10045.4.3.3': { family: 'ec', hash: 'sha384', params: 'absent' },
  '1.2.840.10045.4.3.4': { family: 'ec', hash: 'sha512', params: 'absent' },
  '1.2.840.113549.1.1.11': { family: 'rsa', hash: 'sha256', params: 'null' },
  '1.2.840.113549.1.1.12': { family: 'rsa', hash: 'sha384', params: 'null' },
  '1.2.840.113549.1.1.13': { family: 'rsa', hash: 'sha512', params: 'null' },
  '1.3.101.112': { family: 'ed25519', hash: null, params: 'absent' },
  '1.3.101.113': { family: 'ed448', hash: null, params: 'absent' },
};

const WEAK: Record<string, string> = {
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-sha256',
};

/** Decodes an SPKI (DER) into a node:crypto key; throws on undecodable keys. */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: 'der', type: 'spki' });
}

function keyFamily(key: KeyObject): string {
  const t = key.asymmetricKeyType;
  return t === 'rsa-pss' ? 'rsa' : t ?? 'unknown';
}

/**
 * Verifies `signature` over `data` made with `algorithm` (an AlgorithmIdentifier) by the holder of `key`.
 * Never throws: undecodable parameters and key/algorithm mismatches are reported as failures.
 */
export function verifySignature(
  data: Uint8Array,
  algorithm: AlgorithmIdentifier,
  signature: Uint8Array,
  key: KeyObject,
): SignatureCheck {
  const oid = algorithm.algorithm;
  // asn1-x509 decodes a NULL parameter as null and an absent one as undefined.
  const params = algorithm.parameters;
  if (WEAK[oid]) return { ok: false, reason: 'unsupported', detail: `signature algorithm ${WEAK[oid]} is not accepted` };
  let hash: string | null;
  let options: { key: KeyObject; padding?: number; saltLength?: number } = { key };
  let family: string;
  if (oid === RSA_PSS) {
    const pss = rsaPssOptions(params ? new Uint8Array(params) : undefined);
    if ('detail' in pss) return { ok: false, reason: 'unsupported', detail: pss.detail };
    hash = pss.hash;
    family = 'rsa';
    options = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength };
  } else {
    const scheme = SCHEMES[oid];
    if (!scheme) return { ok: false, reason: 'unsupported', detail: `signature algorithm ${oid} is not supported` };
    const paramsOk = params === undefined || (scheme.params === 'null' && params === null);
    if (!paramsOk) return { ok: false, reason: 'invalid', detail: `signature algorithm ${oid} has unexpected parameters` };
    hash = scheme.hash;
    family = scheme.family;
    if (family === 'rsa') options = { key, padding: constants.RSA_PKCS1_PADDING };
  }
  if (keyFamily(key) !== family) {
    return { ok: false, reason: 'invalid', detail: `a ${family} signature cannot be made by a ${key.asymmetricKeyType} key` };
  }
  try {
    const good = verify(hash, data, options, signature);
    return good ? { ok: true } : { ok: false, reason: 'invalid', detail: 'signature does not verify' };
  } catch (e) {
    return { ok: false, reason: 'invalid', detail: `signature cannot be checked: ${(e as Error).message}` };
  }
}

function rsaPssOptions(params: Uint8Array | undefined): { hash: string; saltLength: number } | { detail: string } {
  if (!params) return { detail: 'RSASSA-PSS without parameters (SHA-1 defaults) is not accepted' };
  let p: RsaSaPssParams;
  try {
    p = AsnParser.parse(params, RsaSaPssParams);
  } catch {
    return { detail: 'RSASSA-PSS parameters cannot be decoded' };
  }
  const hash = HASH_OIDS[p.hashAlgorithm.algorithm];
  if (!hash) return { detail: `RSASSA-PSS hash ${p.hashAlgorithm.algorithm} is not accepted` };
  if (p.maskGenAlgorithm.algorithm !== MGF1 || !p.maskGenAlgorithm.parameters) {
    return { detail: 'RSASSA-PSS mask generation must be MGF1' };
  }
  let mgfHash: string | undefined;
  try {
    mgfHash = HASH_OIDS[AsnParser.parse(p.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm];
  } catch {
    mgfHash = undefined;
  }
  // node:crypto uses the signature hash for MGF1 as well.
  if (mgfHash !== hash) return { detail: 'RSASSA-PSS MGF1 hash must equal the signature hash' };
  if (p.trailerField !== 1) return { detail: 'RSASSA-PSS trailer field must be 1' };
  return { hash, saltLength: p.saltLength };
}
