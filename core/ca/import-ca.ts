import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { ColdrootError } from '../errors.js';
import { parseKeyAlgorithm, type KeyAlgorithm } from '../keys/key-algorithm.js';
import { openKey, type KeySecret } from '../keys/key-spec.js';
import { MIN_PASSPHRASE_LENGTH, softwareKeyPath, softwareKeyUri } from '../keys/software-key-store.js';
import { insertCa } from '../store/ca-repository.js';
import { insertCertificate } from '../store/certificate-repository.js';
import { describeCertificate, readCertificates } from '../x509/certificate-info.js';
import { toHex } from '../x509/asn1.js';
import { describePublicKey, sameBytes } from '../x509/public-key.js';
import { assertCaNameFree, newCaId } from './ca-identity.js';
import { summarizeCa, type CaSummary } from './create-ca.js';
import { commonNamesOf } from '../x509/name-text.js';
import type { OperationContext } from './operation-context.js';

export type ImportedKey =
  | { kind: 'pkcs11'; uri: string; pin: string }
  /** A PEM private key file (PKCS#8, encrypted or not); it is stored re-encrypted under `passphrase`. */
  | { kind: 'software-file'; pem: string; filePassphrase?: string; passphrase: string };

const KEY_TYPES: Record<string, KeyAlgorithm> = { 'ecdsa-p256': 'ecdsa-p256', 'ecdsa-p384': 'ecdsa-p384', 'rsa-3072': 'rsa-3072', 'rsa-4096': 'rsa-4096', ed25519: 'ed25519' };

/** Takes an existing CA (its certificate and a reference to its key) into this console. */
export async function importCa(ctx: OperationContext, input: { certificate: Uint8Array | string; key: ImportedKey }): Promise<CaSummary> {
  const [der] = readCertificates(input.certificate);
  if (!der) throw new ColdrootError('CERTIFICATE_INVALID', 'No CERTIFICATE found in the input', 'Give the CA certificate as PEM or DER');
  const info = describeCertificate(der);
  if (!info.isCa) throw new ColdrootError('NOT_A_CA_CERTIFICATE', `'${info.subject}' has no basicConstraints CA:TRUE`, 'Import a CA certificate');
  const algorithm = KEY_TYPES[info.publicKeyType] ?? parseKeyAlgorithm(info.publicKeyType, 'the certificate key');
  assertCaNameFree(ctx.store.db, info.subject);
  const id = newCaId(ctx.store.db, commonNamesOf(info.subject)[0] ?? info.subject);
  let keyUri: string;
  let secret: KeySecret;
  let softwarePem: string | null = null;
  if (input.key.kind === 'pkcs11') {
    keyUri = input.key.uri;
    secret = { pin: input.key.pin };
  } else {
    if (input.key.passphrase.length < MIN_PASSPHRASE_LENGTH) {
      throw new ColdrootError('PASSPHRASE_TOO_SHORT', `The key passphrase has ${input.key.passphrase.length} characters; at least ${MIN_PASSPHRASE_LENGTH} are required`, 'Choose a longer passphrase');
    }
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: input.key.pem, format: 'pem', passphrase: input.key.filePassphrase });
    } catch (e) {
      throw new ColdrootError('KEY_FILE_INVALID', `The private key file cannot be read: ${(e as Error).message}`, 'Give a PEM private key; for an encrypted one pass its passphrase with --key-passphrase-env');
    }
    softwarePem = key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: input.key.passphrase }) as string;
    keyUri = softwareKeyUri(id);
    secret = { passphrase: input.key.passphrase };
  }
  const path = softwareKeyPath(ctx.store.keysDir, id);
  if (softwarePem) {
    if (existsSync(path)) throw new ColdrootError('KEY_LABEL_EXISTS', `A software key labelled '${id}' already exists`, 'Remove the stale key file or rename the CA');
    writeFileSync(path, softwarePem, { flag: 'wx', mode: 0o600 });
  }
  const signer = await openKey(keyUri, algorithm, secret, ctx.store.keysDir);
  try {
    if (!sameBytes(await signer.publicKey(), info.spki)) {
      throw new ColdrootError('KEY_MISMATCH', `The key ${keyUri} does not match the certificate of '${info.subject}'`, 'Give the key that belongs to this CA certificate');
    }
  } catch (e) {
    if (softwarePem) rmSync(path, { force: true });
    throw e;
  } finally {
    await signer.close();
  }
  const parent = info.selfIssued ? null : (ctx.store.db.prepare("SELECT id FROM cas WHERE subject = ? AND status = 'active'").get(info.issuer) as { id: string } | undefined)?.id ?? null;
  const ca = {
    id, name: info.subject, parentId: parent, kind: info.selfIssued ? ('root' as const) : ('intermediate' as const), status: 'active' as const, keyUri,
    keyAlgorithm: algorithm, publicKeySpki: info.spki, csrDer: null, certificateDer: der, subject: info.subject, serial: info.serial,
    notBefore: info.notBefore, notAfter: info.notAfter, ski: info.subjectKeyId ?? toHex(describePublicKey(info.spki).keyIdentifier),
    pathLen: info.pathLength, crlNumber: 0, crlUrl: null, ocspUrl: null, caIssuersUrl: null, createdAt: ctx.now().toISOString(),
  };
  ctx.store.transaction(() => {
    insertCa(ctx.store.db, ca);
    const issuedBy = info.selfIssued ? id : parent;
    if (issuedBy) {
      insertCertificate(ctx.store.db, { caId: issuedBy, serial: info.serial, profile: info.selfIssued ? 'root-ca' : 'intermediate-ca', subject: info.subject, sans: [], notBefore: info.notBefore, notAfter: info.notAfter, fingerprintSha256: info.fingerprintSha256, der, status: 'good', revokedAt: null, revocationReason: null, issuedAt: ctx.now().toISOString() });
    }
    ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'ca.import', inputs: { certificate: der, keyUri }, outcome: 'ok', details: { caId: id, keyUri } }, ctx.now());
  });
  return summarizeCa(ca);
}
