import { sign, type KeyObject } from 'node:crypto';
import { isColdrootError } from '../../errors.js';
import { readCsr } from '../../x509/csr.js';
import type { SubjectAltNames } from '../../x509/extensions.js';
import { commonNamesOf } from '../../x509/name-text.js';
import { signatureVerifier } from '../../x509/signature-verifier.js';
import type { CertificateProfile } from '../profiles/certificate-profile.js';
import { checkRequest } from '../profiles/request-rules.js';
import { renderTbs, type TemplatePieces } from '../template-render.js';

/** Everything a thread needs to turn requests into (signed) TBS bytes; plain data, so it crosses to workers. */
export interface BatchSpec {
  profile: CertificateProfile;
  template: TemplatePieces;
  /** node:crypto hash of the signature (null for Ed25519). */
  hash: string | null;
}

export interface RequestItem {
  csr: Uint8Array | string;
  source: string;
  serial: Uint8Array;
}

export type ProcessedRequest =
  | { ok: true; source: string; tbs: Uint8Array; subject: string; sans: string[]; signature?: Uint8Array }
  | { ok: false; source: string; code: string; message: string; kind: 'input' | 'failure' };

function sanStrings(s: SubjectAltNames): string[] {
  return [...(s.dns ?? []).map((v) => `DNS:${v}`), ...(s.ip ?? []).map((v) => `IP:${v}`), ...(s.email ?? []).map((v) => `email:${v}`), ...(s.uri ?? []).map((v) => `URI:${v}`)];
}

/** Verifies each request, checks it against the profile and renders its TBSCertificate; signs it when given the key. */
export function processRequests(spec: BatchSpec, items: RequestItem[], key: KeyObject | null): ProcessedRequest[] {
  return items.map((item) => {
    try {
      const csr = readCsr(item.csr, item.source);
      const req = { subject: csr.subject, commonNames: commonNamesOf(csr.subject), keyType: csr.keyType, keyIdentifier: csr.keyIdentifier, sans: csr.sans, requestsCa: csr.requestsCa };
      checkRequest(spec.profile, req);
      const tbs = renderTbs(spec.template, item.serial, csr.subjectDer, csr.spki, req);
      const signature = key ? new Uint8Array(sign(spec.hash, tbs, { key, dsaEncoding: 'der' })) : undefined;
      return { ok: true as const, source: item.source, tbs, subject: csr.subject, sans: sanStrings(csr.sans), signature };
    } catch (e) {
      if (isColdrootError(e)) return { ok: false as const, source: item.source, code: e.code, message: e.message, kind: e.kind };
      return { ok: false as const, source: item.source, code: 'INTERNAL_ERROR', message: (e as Error).message, kind: 'failure' as const };
    }
  });
}

/** Indices of the signatures that do not verify with the issuer key (a token's output is never trusted blindly). */
export function badSignatures(signatureOid: string, issuerSpki: Uint8Array, tbs: Uint8Array[], signatures: Uint8Array[]): number[] {
  const verify = signatureVerifier(signatureOid, issuerSpki);
  const bad: number[] = [];
  for (let i = 0; i < tbs.length; i++) if (!verify(tbs[i], signatures[i])) bad.push(i);
  return bad;
}
