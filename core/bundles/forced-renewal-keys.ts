import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { readChildren, readTlv, splitSigned, tlvBytes } from '../x509/der-reader.js';
import { certificateFields } from '../x509/certificate-fields.js';

/** A pending request as the renewal export holds it (the fields this check reads). */
export interface ForcedRenewalCandidate { requestId: string; host: string; csr: Uint8Array; proofCertificate: Uint8Array | null }

export interface KeyReuse { actionId: number; code: 'FORCED_RENEWAL_KEY_REUSED'; message: string }

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The request's SubjectPublicKeyInfo, byte-exact; null when the DER is malformed (issuance then rejects it as CSR_INVALID). */
function csrSpki(csr: Uint8Array): Uint8Array | null {
  try {
    const { tbs } = splitSigned(csr);
    return tlvBytes(tbs, readChildren(tbs, readTlv(tbs))[2]);
  } catch {
    return null;
  }
}

/** CN=host as a whole RDN of the subject text, or host as a SAN (stored as JSON text such as ["DNS:host"]). */
function namesHost(subject: string, sans: string, host: string): boolean {
  return subject.split(/,\s*/).includes(`CN=${host}`) || (JSON.parse(sans) as string[]).some((s) => s.replace(/^[A-Za-z]+:/, '') === host);
}

/**
 * A forced renewal (key compromise suspected) must move the host to a new key. For each request of
 * a host with an approved forced-renewal action, returns why it is refused when its CSR's public key
 * is the key of a certificate that host already had: the flagged certificate, the request's proving
 * certificate, certificates issued to it through earlier renewals, the certificates it reported
 * metrics for, and inventory certificates naming it (subject CN or SAN, found through the full-text index).
 */
export function forcedRenewalKeyReuse<T extends ForcedRenewalCandidate>(db: Database.Database, requests: T[]): Map<T, KeyReuse> {
  const out = new Map<T, KeyReuse>();
  const action = db.prepare("SELECT id, cert_sha256 AS cert FROM risk_actions WHERE host = ? AND action = 'forced-renewal' AND status = 'approved' ORDER BY id LIMIT 1");
  const byFingerprint = db.prepare('SELECT ca_id AS caId, serial, der FROM certificates WHERE fingerprint_sha256 = ?');
  const renewed = db.prepare("SELECT c.ca_id AS caId, c.serial, c.der FROM renewal_requests r JOIN certificates c ON c.ca_id = r.issued_ca_id AND c.serial = r.issued_serial WHERE r.host = ? AND r.status = 'issued'");
  const reported = db.prepare('SELECT c.ca_id AS caId, c.serial, c.der FROM metric_series s JOIN certificates c ON c.fingerprint_sha256 = s.cert_sha256 WHERE s.host = ?');
  const named = db.prepare('SELECT c.ca_id AS caId, c.serial, c.der, c.subject, c.sans FROM certificate_search s JOIN certificates c ON c.rowid = s.rowid WHERE s.certificate_search MATCH ?');
  type Known = { caId: string | null; serial: string | null; der: Uint8Array };
  for (const r of requests) {
    const a = action.get(r.host) as { id: number; cert: string | null } | undefined;
    if (!a) continue;
    const spki = csrSpki(r.csr);
    if (!spki) continue;
    const known: Known[] = [];
    if (a.cert) known.push(...(byFingerprint.all(a.cert) as Known[]));
    if (r.proofCertificate) {
      const inInventory = byFingerprint.all(sha256(r.proofCertificate)) as Known[];
      known.push(...(inInventory.length ? inInventory : [{ caId: null, serial: null, der: r.proofCertificate }]));
    }
    known.push(...(renewed.all(r.host) as Known[]), ...(reported.all(r.host) as Known[]));
    // A phrase of the host's tokens finds candidates; the exact CN/SAN comparison decides.
    const phrase = `"${r.host.replace(/"/g, '""')}"`;
    known.push(...(named.all(phrase) as Array<Known & { subject: string; sans: string }>).filter((c) => namesHost(c.subject, c.sans, r.host)));
    const hex = Buffer.from(spki).toString('hex');
    const same = known.find((c) => Buffer.from(certificateFields(c.der).spki).toString('hex') === hex);
    if (!same) continue;
    const which = same.serial ? `certificate ${same.serial} of CA '${same.caId}'` : 'the certificate that proves the request';
    out.set(r, {
      actionId: a.id, code: 'FORCED_RENEWAL_KEY_REUSED',
      message: `Host ${r.host} has an approved forced renewal (risk action ${a.id}: key compromise suspected), but request ${r.requestId} reuses the public key of ${which}; `
        + 'renewing with that key would keep the suspected key in service. The agent must generate a new key: run coldroot-agent request-renewal on the host (it makes a new key for every request) and import the new request bundle.',
    });
  }
  return out;
}
