import { createPublicKey, type KeyObject } from 'node:crypto';
import { describeCertificate } from '../../../../core/x509/certificate-info.js';
import { certificateFields } from '../../../../core/x509/certificate-fields.js';
import { checkOcspResponse } from '../../../../core/x509/ocsp-verify.js';
import { validatePath } from '../../../../core/x509/path/index.js';
import { describePublicKey, sameBytes } from '../../../../core/x509/public-key.js';

export interface MaterialToValidate {
  /** The issued certificate, DER. */
  certificateDer: Uint8Array;
  /** chain.pem's certificates (issuing CA first), DER. */
  chain: Uint8Array[];
  /** The CRLs shipped with it, DER. */
  crls: Uint8Array[];
  ocspDer?: Uint8Array | null;
  /** The pending private key the certificate must certify (PKCS#8 PEM or a KeyObject). */
  pendingKey: string | KeyObject;
}

export type MaterialCheck =
  | { ok: true; path: Uint8Array[]; serial: string; notBefore: string; notAfter: string; fingerprintSha256: string }
  | { ok: false; code: string; message: string };

const fail = (code: string, message: string): MaterialCheck => ({ ok: false, code, message });

/**
 * Decides whether issued material may be installed, at the device's `now`: the certificate
 * certifies the pending key, is inside its validity, chains (through chain.pem, so a new
 * intermediate under the same root is fine) to the agent's trust anchors, is not revoked by any
 * CRL shipped with it (each CRL must verify with its issuer and be current), and the OCSP
 * response, when there is one, is signed by the issuer for this serial and says good.
 */
export function validateMaterial(m: MaterialToValidate, opts: { trustAnchors: Uint8Array[]; now: Date }): MaterialCheck {
  let info: ReturnType<typeof describeCertificate>;
  try {
    info = describeCertificate(m.certificateDer);
  } catch (e) {
    return fail('RENEWAL_CERT_MALFORMED', `The issued certificate cannot be decoded: ${(e as Error).message}`);
  }
  const what = `certificate ${info.subject} (serial ${info.serial})`;
  let pendingSpki: Uint8Array;
  try {
    pendingSpki = new Uint8Array(createPublicKey(m.pendingKey).export({ type: 'spki', format: 'der' }));
  } catch (e) {
    return fail('RENEWAL_PENDING_KEY_INVALID', `The pending private key cannot be read: ${(e as Error).message}`);
  }
  if (!sameBytes(pendingSpki, info.spki)) {
    return fail('RENEWAL_KEY_MISMATCH', `The issued ${what} does not certify the pending key of this request (key ids ${Buffer.from(describePublicKey(info.spki).keyIdentifier).toString('hex')} vs ${Buffer.from(describePublicKey(pendingSpki).keyIdentifier).toString('hex')})`);
  }
  const t = opts.now.getTime();
  if (t < Date.parse(info.notBefore)) return fail('RENEWAL_CERT_NOT_YET_VALID', `The issued ${what} is valid from ${info.notBefore}; the device clock says ${opts.now.toISOString()}`);
  if (t > Date.parse(info.notAfter)) return fail('RENEWAL_CERT_EXPIRED', `The issued ${what} expired at ${info.notAfter}; the device clock says ${opts.now.toISOString()}`);

  const path = validatePath({ leaf: m.certificateDer, intermediates: m.chain, trustAnchors: opts.trustAnchors, crls: m.crls, at: opts.now, keyUsage: ['digitalSignature'] });
  if (!path.ok) {
    const code = path.code === 'REVOKED' ? 'RENEWAL_CERT_REVOKED' : path.code === 'CRL_INVALID' || path.code === 'CRL_EXPIRED' ? 'RENEWAL_CRL_INVALID' : 'RENEWAL_CHAIN_INVALID';
    return fail(code, `The issued ${what} does not validate against the trust anchors: ${path.code}: ${path.message}`);
  }

  if (m.ocspDer) {
    const issuer = path.chain[1] ?? path.chain[0];
    const spki = describeCertificate(issuer).spki;
    const key = describePublicKey(spki);
    const r = checkOcspResponse(m.ocspDer, { nameDer: certificateFields(issuer).subject, keyHash: key.keyIdentifier, key: key.key });
    if (!r.ok) return fail('RENEWAL_OCSP_INVALID', `The OCSP response for ${what} does not check: ${r.reason}`);
    if (r.serial !== info.serial) return fail('RENEWAL_OCSP_INVALID', `The OCSP response is for serial ${r.serial}, not ${info.serial}`);
    if (r.status === 'revoked') return fail('RENEWAL_CERT_REVOKED', `The OCSP response says ${what} is revoked`);
    if (r.status !== 'good') return fail('RENEWAL_OCSP_NOT_GOOD', `The OCSP response says ${what} is ${r.status}`);
    if (r.nextUpdate && Date.parse(r.nextUpdate) < t) return fail('RENEWAL_OCSP_STALE', `The OCSP response for ${what} expired at ${r.nextUpdate}; the device clock says ${opts.now.toISOString()}`);
  }
  return { ok: true, path: path.chain, serial: info.serial, notBefore: info.notBefore, notAfter: info.notAfter, fingerprintSha256: info.fingerprintSha256 };
}
