import { X509Certificate } from 'node:crypto';
import { ColdrootError } from '../errors.js';
import { type KeyAlgorithm } from '../keys/key-algorithm.js';
import { generateKey, type KeySecret, type NewKeySpec } from '../keys/key-spec.js';
import type { Signer } from '../keys/signer.js';
import { insertCa, type CaRecord } from '../store/ca-repository.js';
import { insertCertificate } from '../store/certificate-repository.js';
import { toHex, toPem } from '../x509/asn1.js';
import { buildCertificate } from '../x509/certificate-builder.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { parseDistinguishedName } from '../x509/distinguished-name.js';
import { commonNamesOf } from '../x509/name-text.js';
import { describePublicKey } from '../x509/public-key.js';
import { assertCaNameFree, newCaId } from './ca-identity.js';
import { openIssuingCa } from './issuing-ca.js';
import type { OperationContext } from './operation-context.js';
import { applyProfile } from './profiles/apply-profile.js';
import { builtinProfile } from './profiles/builtin-profiles.js';
import type { CertificateProfile } from './profiles/certificate-profile.js';
import { randomSerial } from './serial-number.js';

export interface CreateCaInput {
  name: string;
  algorithm: KeyAlgorithm;
  key: NewKeySpec;
  validityDays?: number;
  pathLength?: number | null;
  nameConstraints?: CertificateProfile['nameConstraints'];
  crlUrl?: string | null;
  ocspUrl?: string | null;
  caIssuersUrl?: string | null;
}

export interface CaSummary {
  id: string;
  name: string;
  kind: 'root' | 'intermediate';
  status: CaRecord['status'];
  parentId: string | null;
  subject: string;
  serial: string | null;
  notBefore: string | null;
  notAfter: string | null;
  keyUri: string;
  keyAlgorithm: KeyAlgorithm;
  certificatePem: string | null;
  csrPem?: string;
}

export function summarizeCa(ca: CaRecord): CaSummary {
  return {
    id: ca.id, name: ca.name, kind: ca.kind, status: ca.status, parentId: ca.parentId, subject: ca.subject, serial: ca.serial,
    notBefore: ca.notBefore, notAfter: ca.notAfter, keyUri: ca.keyUri, keyAlgorithm: ca.keyAlgorithm,
    certificatePem: ca.certificateDer ? toPem(ca.certificateDer, 'CERTIFICATE') : null,
    ...(ca.csrDer ? { csrPem: toPem(ca.csrDer, 'CERTIFICATE REQUEST') } : {}),
  };
}


/** Stores a CA whose certificate was just signed, with its inventory row and audit entry, in one transaction. */
function storeCa(ctx: OperationContext, ca: CaRecord, issuedBy: string, action: string, inputs: Record<string, string>): void {
  const cert = new X509Certificate(Buffer.from(ca.certificateDer!));
  ctx.store.transaction(() => {
    insertCa(ctx.store.db, ca);
    insertCertificate(ctx.store.db, {
      caId: issuedBy, serial: ca.serial!, profile: ca.kind === 'root' ? 'root-ca' : 'intermediate-ca', subject: ca.subject, sans: [],
      notBefore: ca.notBefore!, notAfter: ca.notAfter!, fingerprintSha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
      der: ca.certificateDer!, status: 'good', revokedAt: null, revocationReason: null, issuedAt: ctx.now().toISOString(),
    });
    ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action, inputs, outcome: 'ok', details: { caId: ca.id, serial: ca.serial, keyUri: ca.keyUri, parentId: ca.parentId } }, ctx.now());
  });
}

async function withNewKey<T>(ctx: OperationContext, id: string, input: CreateCaInput, fn: (signer: Signer) => Promise<T>): Promise<T> {
  const signer = await generateKey(input.key, ctx.store.keysDir, id, input.algorithm);
  try {
    return await fn(signer);
  } finally {
    await signer.close();
  }
}

function validityOption(days?: number): string | undefined {
  if (days === undefined) return undefined;
  if (!Number.isInteger(days) || days < 1) throw new ColdrootError('BAD_VALIDITY', `--validity-days ${days} is not a positive whole number`, 'Give the validity in whole days, e.g. --validity-days 3650');
  return `${days}d`;
}

export async function createRootCa(ctx: OperationContext, input: CreateCaInput): Promise<CaSummary> {
  const dn = parseDistinguishedName(input.name);
  assertCaNameFree(ctx.store.db, dn.text);
  const profile = builtinProfile('root-ca');
  const validity = validityOption(input.validityDays);
  const id = newCaId(ctx.store.db, commonNamesOf(dn.text)[0] ?? dn.text);
  return withNewKey(ctx, id, input, async (signer) => {
    const spki = await signer.publicKey();
    const key = describePublicKey(spki);
    const plan = applyProfile(profile, { subject: dn.text, commonNames: commonNamesOf(dn.text), keyType: key.type, keyIdentifier: key.keyIdentifier, sans: {}, requestsCa: true },
      { keyIdentifier: null, notAfter: null, pathLen: undefined }, ctx.now(), { validity, pathLength: input.pathLength, nameConstraints: input.nameConstraints });
    // A self-signed root also carries AKI = SKI so chains built by key identifier work everywhere.
    const serial = randomSerial();
    const der = await buildCertificate({ serial: serial.bytes, issuer: dn.der, subject: dn.der, notBefore: plan.notBefore, notAfter: plan.notAfter, spki, extensions: plan.extensions }, signer, spki);
    const ca = caRecord(ctx, { id, name: dn.text, parentId: null, kind: 'root', keyUri: signer.keyUri, algorithm: input.algorithm, spki, der, serial: serial.hex, ski: toHex(key.keyIdentifier), input });
    storeCa(ctx, ca, id, 'ca.create-root', { name: dn.text, algorithm: input.algorithm });
    return summarizeCa(ca);
  });
}

export async function createIntermediateCa(ctx: OperationContext, input: CreateCaInput & { parentId: string; parentSecret: KeySecret }): Promise<CaSummary> {
  const dn = parseDistinguishedName(input.name);
  assertCaNameFree(ctx.store.db, dn.text);
  const validity = validityOption(input.validityDays);
  const parent = await openIssuingCa(ctx, input.parentId, input.parentSecret);
  try {
    if (parent.ca.pathLen === 0) {
      throw new ColdrootError('PATH_LENGTH_EXCEEDED', `CA '${parent.ca.id}' has pathLenConstraint 0 and may not issue CA certificates`, 'Create the intermediate under a CA with a larger path length');
    }
    const id = newCaId(ctx.store.db, commonNamesOf(dn.text)[0] ?? dn.text);
    return await withNewKey(ctx, id, input, async (signer) => {
      const spki = await signer.publicKey();
      const key = describePublicKey(spki);
      const plan = applyProfile(builtinProfile('intermediate-ca'),
        { subject: dn.text, commonNames: commonNamesOf(dn.text), keyType: key.type, keyIdentifier: key.keyIdentifier, sans: {}, requestsCa: true },
        { keyIdentifier: parent.keyIdentifier, notAfter: parent.notAfter, pathLen: parent.ca.pathLen, crlUrl: parent.ca.crlUrl, ocspUrl: parent.ca.ocspUrl, caIssuersUrl: parent.ca.caIssuersUrl },
        ctx.now(), { validity, pathLength: input.pathLength, nameConstraints: input.nameConstraints });
      const serial = randomSerial();
      const der = await buildCertificate({ serial: serial.bytes, issuer: parent.subjectDer, subject: dn.der, notBefore: plan.notBefore, notAfter: plan.notAfter, spki, extensions: plan.extensions }, parent.signer, parent.ca.publicKeySpki);
      const ca = caRecord(ctx, { id, name: dn.text, parentId: parent.ca.id, kind: 'intermediate', keyUri: signer.keyUri, algorithm: input.algorithm, spki, der, serial: serial.hex, ski: toHex(key.keyIdentifier), input });
      storeCa(ctx, ca, parent.ca.id, 'ca.create-intermediate', { name: dn.text, algorithm: input.algorithm, parent: parent.ca.id });
      return summarizeCa(ca);
    });
  } finally {
    await parent.signer.close();
  }
}

function caRecord(ctx: OperationContext, a: { id: string; name: string; parentId: string | null; kind: 'root' | 'intermediate'; keyUri: string; algorithm: KeyAlgorithm; spki: Uint8Array; der: Uint8Array; serial: string; ski: string; input: CreateCaInput }): CaRecord {
  const info = describeCertificate(a.der);
  return {
    id: a.id, name: a.name, parentId: a.parentId, kind: a.kind, status: 'active', keyUri: a.keyUri, keyAlgorithm: a.algorithm,
    publicKeySpki: a.spki, csrDer: null, certificateDer: a.der, subject: a.name, serial: a.serial,
    notBefore: info.notBefore, notAfter: info.notAfter, ski: a.ski, pathLen: info.pathLength,
    crlNumber: 0, crlUrl: a.input.crlUrl ?? null, ocspUrl: a.input.ocspUrl ?? null, caIssuersUrl: a.input.caIssuersUrl ?? null,
    createdAt: ctx.now().toISOString(),
  };
}
