import type { Database } from 'better-sqlite3';
import { assertCaNameFree } from '../ca/ca-identity.js';
import type { CreateCaInput } from '../ca/create-ca.js';
import { applyProfile } from '../ca/profiles/apply-profile.js';
import { builtinProfile } from '../ca/profiles/builtin-profiles.js';
import { ColdrootError } from '../errors.js';
import { keyAlgorithmInfo, type KeyAlgorithm } from '../keys/key-algorithm.js';
import { getCa } from '../store/ca-repository.js';
import { signatureAlgorithmName } from '../x509/certificate-info.js';
import { parseDistinguishedName } from '../x509/distinguished-name.js';
import { commonNamesOf } from '../x509/name-text.js';
import { describeExtension, type ExtensionText } from './extension-text.js';

/** A root or intermediate as the operator drafts it in the ceremony; no secret in it. */
export interface CaDraft {
  kind: 'root' | 'intermediate';
  parentId?: string;
  name: string;
  algorithm: KeyAlgorithm;
  keyStorage: 'software' | 'pkcs11';
  modulePath?: string;
  tokenLabel?: string;
  validityDays?: number;
  pathLength?: number | null;
  permittedDns?: string[];
  excludedDns?: string[];
  crlUrl?: string;
  ocspUrl?: string;
  caIssuersUrl?: string;
}

export interface CaPreview {
  profile: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  serial: string;
  keyAlgorithm: string;
  signatureAlgorithm: string;
  keyLocation: string;
  signedBy: string;
  extensions: ExtensionText[];
  issuesWith: { crlUrl: string | null; ocspUrl: string | null; caIssuersUrl: string | null };
}

/** The CreateCaInput the ceremony signs: the reviewed draft plus the new key's secret. */
export function draftToCreateInput(draft: CaDraft, keySecret: string): CreateCaInput {
  const nc = draft.permittedDns?.length || draft.excludedDns?.length
    ? { permitted: draft.permittedDns?.length ? { dns: draft.permittedDns } : undefined, excluded: draft.excludedDns?.length ? { dns: draft.excludedDns } : undefined }
    : undefined;
  let key: CreateCaInput['key'];
  if (draft.keyStorage === 'pkcs11') {
    if (!draft.modulePath || !draft.tokenLabel) {
      throw new ColdrootError('TOKEN_REQUIRED', 'A key on a PKCS#11 token needs the module path and the token label', 'Choose the module and token in the ceremony (Settings lists the tokens a module has)');
    }
    key = { kind: 'pkcs11', modulePath: draft.modulePath, tokenLabel: draft.tokenLabel, pin: keySecret };
  } else {
    key = { kind: 'software', passphrase: keySecret };
  }
  return {
    name: draft.name, algorithm: draft.algorithm, key, validityDays: draft.validityDays, pathLength: draft.pathLength, nameConstraints: nc,
    crlUrl: draft.crlUrl ?? null, ocspUrl: draft.ocspUrl ?? null, caIssuersUrl: draft.caIssuersUrl ?? null,
  };
}

// A stand-in for the key identifier of a key that does not exist yet; the preview prints the rule instead.
const PENDING_KEY_ID = new Uint8Array(20);

/**
 * What the ceremony will sign, computed by the same profile code create-ca runs (applyProfile with
 * the same issuer facts), before any key is generated or unlocked. Only what depends on the new
 * key (the public key and its identifier) and the random serial are described rather than shown.
 * The console test signs after previewing and compares both.
 */
export function previewCa(db: Database, draft: CaDraft, now: Date): CaPreview {
  const dn = parseDistinguishedName(draft.name);
  assertCaNameFree(db, dn.text);
  const input = draftToCreateInput(draft, 'preview');
  const validity = draft.validityDays !== undefined ? `${draft.validityDays}d` : undefined;
  const req = { subject: dn.text, commonNames: commonNamesOf(dn.text), keyType: draft.algorithm, keyIdentifier: PENDING_KEY_ID, sans: {}, requestsCa: true };
  const opts = { validity, pathLength: input.pathLength, nameConstraints: input.nameConstraints };
  const keyLocation = draft.keyStorage === 'pkcs11'
    ? `generated on PKCS#11 token '${draft.tokenLabel}' (${draft.modulePath}), sensitive and never extractable`
    : 'generated in software, stored encrypted (AES-256) under your passphrase in this home';
  let plan: ReturnType<typeof applyProfile>;
  let issuer: string;
  let signedBy: string;
  let signatureAlgorithm: string;
  if (draft.kind === 'root') {
    plan = applyProfile(builtinProfile('root-ca'), req, { keyIdentifier: null, notAfter: null, pathLen: undefined }, now, opts);
    issuer = dn.text;
    signedBy = 'the new key itself (self-signed)';
    signatureAlgorithm = signatureAlgorithmName(keyAlgorithmInfo(draft.algorithm).signatureOid);
  } else {
    if (!draft.parentId) throw new ColdrootError('PARENT_REQUIRED', 'An intermediate CA needs a parent CA', 'Choose the parent CA in the ceremony');
    const parent = getCa(db, draft.parentId);
    if (parent.status !== 'active' || !parent.certificateDer || !parent.ski || !parent.notAfter) {
      throw new ColdrootError('CA_NOT_ACTIVE', `CA '${parent.id}' has no certificate yet (status ${parent.status})`, 'Choose an active parent CA');
    }
    if (parent.pathLen === 0) {
      throw new ColdrootError('PATH_LENGTH_EXCEEDED', `CA '${parent.id}' has pathLenConstraint 0 and may not issue CA certificates`, 'Create the intermediate under a CA with a larger path length');
    }
    plan = applyProfile(builtinProfile('intermediate-ca'), req,
      { keyIdentifier: Buffer.from(parent.ski, 'hex'), notAfter: new Date(parent.notAfter), pathLen: parent.pathLen, crlUrl: parent.crlUrl, ocspUrl: parent.ocspUrl, caIssuersUrl: parent.caIssuersUrl },
      now, opts);
    issuer = parent.subject;
    signedBy = `the key of CA '${parent.id}' (${parent.keyUri.startsWith('pkcs11:') ? 'on its PKCS#11 token' : 'software key'})`;
    signatureAlgorithm = signatureAlgorithmName(keyAlgorithmInfo(parent.keyAlgorithm).signatureOid);
  }
  const extensions = plan.extensions.map(describeExtension).map((e) => (e.oid === '2.5.29.14'
    ? { ...e, value: ['SHA-1 of the new public key (RFC 5280 method 1), known once the key is generated'] }
    : e));
  return {
    profile: draft.kind === 'root' ? 'root-ca' : 'intermediate-ca',
    subject: dn.text,
    issuer,
    notBefore: plan.notBefore.toISOString(),
    notAfter: plan.notAfter.toISOString(),
    serial: '128-bit random, drawn at signing',
    keyAlgorithm: draft.algorithm,
    signatureAlgorithm,
    keyLocation,
    signedBy,
    extensions,
    issuesWith: { crlUrl: draft.crlUrl ?? null, ocspUrl: draft.ocspUrl ?? null, caIssuersUrl: draft.caIssuersUrl ?? null },
  };
}
