import { encodeDer } from '../x509/asn1.js';
import { concatBytes, derSequence } from '../x509/der-writer.js';
import { derTime } from '../x509/der-time.js';
import { profileExtensions, type IssuerFacts, type ProfileOptions } from './profiles/apply-profile.js';
import type { CertificateProfile } from './profiles/certificate-profile.js';
import type { SubjectRequest } from './profiles/request-rules.js';
import type { TemplatePieces } from './template-render.js';

/**
 * Encodes once, with the same extension builders as the single-certificate path, everything of a
 * batch's certificates but serial, subject, key, SKI and SAN: for each variant (RSA or not, with
 * or without SANs) the extensions a probe request gets, with markers where the per-certificate
 * SKI and SAN go. renderTbs() output is byte-identical to encodeTbsCertificate(applyProfile(…)).
 */
export function certificateTemplate(profile: CertificateProfile, issuer: IssuerFacts, issuerName: Uint8Array, window: { notBefore: Date; notAfter: Date }, signatureAlgorithm: Uint8Array, opts: ProfileOptions = {}): TemplatePieces {
  const variants: TemplatePieces['variants'] = {};
  for (const rsa of [true, false]) {
    for (const sans of [true, false]) {
      const probe: SubjectRequest = { subject: 'CN=probe', commonNames: ['probe'], keyType: rsa ? 'rsa-3072' : 'ecdsa-p256', keyIdentifier: new Uint8Array(20), sans: sans ? { dns: ['probe.invalid'] } : {}, requestsCa: false };
      variants[`${rsa}|${sans}`] = profileExtensions(profile, probe, issuer, opts).map((e) => (e.extnID === '2.5.29.14' ? 'ski' : e.extnID === '2.5.29.17' ? 'san' : encodeDer(e)));
    }
  }
  return { head: concatBytes([signatureAlgorithm, issuerName, derSequence([derTime(window.notBefore), derTime(window.notAfter)])]), variants };
}
