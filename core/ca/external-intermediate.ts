import { ColdrootError } from '../errors.js';
import { generateKey } from '../keys/key-spec.js';
import { activateCa, getCa, insertCa } from '../store/ca-repository.js';
import { insertCertificate } from '../store/certificate-repository.js';
import { toHex } from '../x509/asn1.js';
import { assembleSigned, signAndVerify, signatureAlgorithmDer } from '../x509/certificate-builder.js';
import { describeCertificate, readCertificates } from '../x509/certificate-info.js';
import { derSequence } from '../x509/der-writer.js';
import { parseDistinguishedName } from '../x509/distinguished-name.js';
import { commonNamesOf } from '../x509/name-text.js';
import { describePublicKey, sameBytes } from '../x509/public-key.js';
import { assertCaNameFree, newCaId } from './ca-identity.js';
import { summarizeCa, type CaSummary, type CreateCaInput } from './create-ca.js';
import type { OperationContext } from './operation-context.js';

/**
 * Step 1 for an intermediate whose parent is elsewhere (another console, an offline root):
 * generate its key and a PKCS#10 request; the CA waits for its certificate.
 */
export async function createIntermediateRequest(ctx: OperationContext, input: CreateCaInput): Promise<CaSummary> {
  const dn = parseDistinguishedName(input.name);
  assertCaNameFree(ctx.store.db, dn.text);
  const cn = commonNamesOf(dn.text)[0] ?? dn.text;
  const id = newCaId(ctx.store.db, cn);
  const signer = await generateKey(input.key, ctx.store.keysDir, id, input.algorithm);
  try {
    const spki = await signer.publicKey();
    const info = derSequence([Uint8Array.of(0x02, 0x01, 0x00), dn.der, spki, Uint8Array.of(0xa0, 0x00)]);
    const alg = signatureAlgorithmDer(signer);
    const csr = assembleSigned(info, alg, await signAndVerify(info, signer, spki));
    const ca = {
      id, name: dn.text, parentId: null, kind: 'intermediate' as const, status: 'awaiting-certificate' as const, keyUri: signer.keyUri,
      keyAlgorithm: input.algorithm, publicKeySpki: spki, csrDer: csr, certificateDer: null, subject: dn.text, serial: null,
      notBefore: null, notAfter: null, ski: toHex(describePublicKey(spki).keyIdentifier), pathLen: null, crlNumber: 0,
      crlUrl: input.crlUrl ?? null, ocspUrl: input.ocspUrl ?? null, caIssuersUrl: input.caIssuersUrl ?? null, createdAt: ctx.now().toISOString(),
    };
    ctx.store.transaction(() => {
      insertCa(ctx.store.db, ca);
      ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'ca.request-intermediate', inputs: { name: dn.text, algorithm: input.algorithm }, outcome: 'ok', details: { caId: id, keyUri: signer.keyUri } }, ctx.now());
    });
    return summarizeCa(ca);
  } finally {
    await signer.close();
  }
}

/** Step 2: install the certificate the external parent signed for a CA awaiting one. */
export function importCaCertificate(ctx: OperationContext, input: { caId: string; certificate: Uint8Array | string }): CaSummary {
  const ca = getCa(ctx.store.db, input.caId);
  if (ca.status !== 'awaiting-certificate') {
    throw new ColdrootError('CA_NOT_AWAITING_CERTIFICATE', `CA '${ca.id}' already has a certificate`, 'Only a CA created with coldroot ca request-intermediate waits for one');
  }
  const certs = readCertificates(input.certificate);
  if (certs.length < 1) throw new ColdrootError('CERTIFICATE_INVALID', 'No CERTIFICATE found in the input', 'Give the PEM or DER certificate the parent CA signed');
  const der = certs[0];
  const info = describeCertificate(der);
  if (!sameBytes(info.spki, ca.publicKeySpki)) {
    throw new ColdrootError('KEY_MISMATCH', `The certificate for '${info.subject}' carries a different public key than CA '${ca.id}' requested`, 'Import the certificate issued for this CA\'s request');
  }
  if (!info.isCa) throw new ColdrootError('NOT_A_CA_CERTIFICATE', `The certificate for '${info.subject}' has no basicConstraints CA:TRUE`, 'Ask the parent CA to sign the request under an intermediate-CA profile');
  if (new Date(info.notAfter) <= ctx.now()) throw new ColdrootError('CA_EXPIRED', `The certificate expired at ${info.notAfter}`, 'Ask the parent CA for a current certificate');
  // A parent held in this console is linked, and the certificate joins its inventory.
  const parent = ctx.store.db.prepare("SELECT id FROM cas WHERE subject = ? AND status = 'active'").get(info.issuer) as { id: string } | undefined;
  ctx.store.transaction(() => {
    activateCa(ctx.store.db, ca.id, { der, serial: info.serial, notBefore: info.notBefore, notAfter: info.notAfter, pathLen: info.pathLength, parentId: parent?.id ?? null });
    if (parent) {
      insertCertificate(ctx.store.db, { caId: parent.id, serial: info.serial, profile: 'intermediate-ca', subject: info.subject, sans: [], notBefore: info.notBefore, notAfter: info.notAfter, fingerprintSha256: info.fingerprintSha256, der, status: 'good', revokedAt: null, revocationReason: null, issuedAt: ctx.now().toISOString() });
    }
    ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'ca.import-certificate', inputs: { certificate: der }, outcome: 'ok', details: { caId: ca.id, serial: info.serial, issuer: info.issuer } }, ctx.now());
  });
  return summarizeCa(getCa(ctx.store.db, ca.id));
}
