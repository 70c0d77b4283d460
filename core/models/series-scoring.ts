import type { Database } from 'better-sqlite3';
import { describeCertificate } from '../x509/certificate-info.js';
import { certificateFactors, combineFactors, handshakeTrend, type CertificateFacts, type DegradationFactor } from './degradation-risk.js';
import { readSeriesWindows, type SeriesRef } from './features/hourly-features.js';
import type { RiskDetector } from './risk-detector.js';
import { seriesRisk, type RiskEvidence, type RiskLevel } from './risk-score.js';

/**
 * The per-series part of a scoring run: features, baselines and detectors, risk, predicted
 * degradation. Each series is independent of the others, so a run can split them over threads
 * (scoring-worker.ts); this is the one implementation both the inline and the threaded path call.
 */

export interface CertificateEvidence extends RiskEvidence {
  degradation: DegradationFactor[];
  certificate: { caId: string; serial: string; subject: string; notAfter: string } | null;
}

export interface ScoredRow {
  host: string;
  certSha256: string;
  score: number;
  level: RiskLevel;
  anomalyWindows: number;
  first: string | null;
  last: string | null;
  degradationScore: number;
  predictedAt: string | null;
  evidence: CertificateEvidence;
}

/** What is scored: windows in [start, end), read from readFrom for the trends and from baselineFrom in full for the baselines (ms). */
export interface ScoringWindow {
  readFrom: number;
  baselineFrom: number;
  start: number;
  end: number;
}

/** Milliseconds spent reading features, in the detectors, and forecasting degradation. */
export interface SeriesTimings {
  features: number;
  detectors: number;
  degradation: number;
}

export type CertificateLookup = (sha: string) => { facts: CertificateFacts; summary: CertificateEvidence['certificate'] } | null;

export function scoreSeries(db: Database, refs: readonly SeriesRef[], detector: RiskDetector, certs: CertificateLookup, w: ScoringWindow, timings: SeriesTimings): ScoredRow[] {
  const rows: ScoredRow[] = [];
  for (const ref of refs) {
    let t = performance.now();
    const s = readSeriesWindows(db, ref, w.readFrom, w.end, w.baselineFrom);
    timings.features += performance.now() - t;
    t = performance.now();
    const assessment = detector.assess(s, w.start, w.end);
    const risk = seriesRisk(assessment, detector.params);
    timings.detectors += performance.now() - t;
    t = performance.now();
    const facts = certs(ref.certSha256);
    const trend = handshakeTrend(s, w.end).factor;
    const factors = [...(trend ? [trend] : []), ...(facts ? certificateFactors(facts.facts, w.end) : [])];
    const degradation = combineFactors(factors);
    timings.degradation += performance.now() - t;
    rows.push({
      host: ref.host, certSha256: ref.certSha256, score: risk.score, level: risk.level, anomalyWindows: risk.evidence.anomalyWindows,
      first: risk.evidence.firstAnomalyAt, last: risk.evidence.lastAnomalyAt, degradationScore: degradation.score, predictedAt: degradation.predictedAt,
      evidence: { ...risk.evidence, degradation: factors, certificate: facts?.summary ?? null },
    });
  }
  return rows;
}

/** Certificate facts by fingerprint, with issuer expiry and CRL and OCSP freshness read once per CA. */
export function certificateLookup(db: Database): CertificateLookup {
  const byFingerprint = db.prepare('SELECT ca_id AS caId, serial, subject, not_after AS notAfter, der FROM certificates WHERE fingerprint_sha256 = ?');
  const cas = new Map((db.prepare('SELECT id, parent_id AS parentId, not_after AS notAfter FROM cas').all() as Array<{ id: string; parentId: string | null; notAfter: string | null }>).map((c) => [c.id, c]));
  const crl = db.prepare('SELECT next_update FROM crls WHERE ca_id = ? ORDER BY crl_number DESC LIMIT 1').pluck();
  const crlOf = new Map<string, string | null>();
  // Pre-signed OCSP responses are files, not rows: their nextUpdate is recorded in the ocsp.presign audit entry.
  const ocsp = db.prepare("SELECT json_extract(details, '$.nextUpdate') FROM audit_entries WHERE action = 'ocsp.presign' AND json_extract(details, '$.caId') = ? ORDER BY seq DESC LIMIT 1").pluck();
  const ocspOf = new Map<string, string | null>();
  return (sha) => {
    const c = byFingerprint.get(sha) as { caId: string; serial: string; subject: string; notAfter: string; der: Buffer } | undefined;
    if (!c) return null;
    const chain: { caId: string; notAfter: string | null }[] = [];
    for (let ca = cas.get(c.caId); ca; ca = ca.parentId ? cas.get(ca.parentId) : undefined) chain.push({ caId: ca.id, notAfter: ca.notAfter });
    if (!crlOf.has(c.caId)) crlOf.set(c.caId, (crl.get(c.caId) as string | undefined) ?? null);
    if (!ocspOf.has(c.caId)) ocspOf.set(c.caId, (ocsp.get(c.caId) as string | undefined) ?? null);
    const info = describeCertificate(new Uint8Array(c.der));
    return {
      facts: { notAfter: c.notAfter, issuerNotAfter: chain, crlNextUpdate: crlOf.get(c.caId)!, ocspNextUpdate: ocspOf.get(c.caId)!, publicKeyType: info.publicKeyType, signatureAlgorithm: info.signatureAlgorithm },
      summary: { caId: c.caId, serial: c.serial, subject: c.subject, notAfter: c.notAfter },
    };
  };
}
