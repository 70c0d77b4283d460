import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditRecord } from '../audit/audit-types.js';
import { DEFAULT_LIMITS, type BundleLimits } from '../bundles/bundle-format.js';
import { QUARANTINE_DIR } from '../bundles/quarantine.js';
import { summarizeCa } from '../ca/create-ca.js';
import { BUILTIN_PROFILES } from '../ca/profiles/builtin-profiles.js';
import { ColdrootError } from '../errors.js';
import { listPkcs11Tokens } from '../keys/pkcs11-module.js';
import { parsePkcs11Uri } from '../keys/pkcs11-uri.js';
import { listCas } from '../store/ca-repository.js';
import type { Store } from '../store/database.js';

const DAY = 86_400_000;

export interface CaHealth extends Omit<ReturnType<typeof summarizeCa>, 'certificatePem' | 'csrPem'> {
  keyStorage: 'software' | 'pkcs11';
  certificates: number;
  revoked: number;
  lastCrl: { number: number; thisUpdate: string; nextUpdate: string } | null;
  crlUrl: string | null;
  ocspUrl: string | null;
  warnings: string[];
  tokenPresent: boolean | null;
}

/** Whether the token a PKCS#11 key URI names is present, without logging in (null: not a token key). */
async function tokenPresent(keyUri: string): Promise<{ present: boolean | null; why?: string }> {
  if (!keyUri.startsWith('pkcs11:')) return { present: null };
  try {
    const uri = parsePkcs11Uri(keyUri);
    if (!uri.modulePath) return { present: null };
    const tokens = await listPkcs11Tokens(uri.modulePath);
    return { present: tokens.some((t) => t.label === uri.token && t.initialized) };
  } catch (e) {
    return { present: false, why: (e as Error).message };
  }
}

/** Every CA with what needs the operator's attention: expiry, CRL freshness, token presence. */
export async function caHealth(store: Store, now: Date): Promise<CaHealth[]> {
  const db = store.db;
  const counts = db.prepare("SELECT count(*) AS n, coalesce(sum(status = 'revoked'), 0) AS r FROM certificates WHERE ca_id = ?");
  const crl = db.prepare('SELECT crl_number AS number, this_update AS thisUpdate, next_update AS nextUpdate FROM crls WHERE ca_id = ? ORDER BY crl_number DESC LIMIT 1');
  const out: CaHealth[] = [];
  for (const ca of listCas(db)) {
    const { certificatePem: _pem, csrPem: _csr, ...summary } = summarizeCa(ca);
    const c = counts.get(ca.id) as { n: number; r: number };
    const lastCrl = (crl.get(ca.id) as CaHealth['lastCrl'] | undefined) ?? null;
    const token = await tokenPresent(ca.keyUri);
    const warnings: string[] = [];
    if (ca.notAfter) {
      const left = (new Date(ca.notAfter).getTime() - now.getTime()) / DAY;
      if (left < 0) warnings.push(`expired on ${ca.notAfter.slice(0, 10)}`);
      else if (left < (ca.kind === 'root' ? 730 : 180)) warnings.push(`expires in ${Math.floor(left)} days (${ca.notAfter.slice(0, 10)})`);
    }
    if (ca.status === 'active' && !lastCrl) warnings.push('no CRL published yet');
    else if (lastCrl && lastCrl.nextUpdate < now.toISOString()) warnings.push(`CRL #${lastCrl.number} is stale: nextUpdate ${lastCrl.nextUpdate} has passed`);
    else if (lastCrl && new Date(lastCrl.nextUpdate).getTime() - now.getTime() < DAY) warnings.push(`CRL #${lastCrl.number} goes stale within a day`);
    if (token.present === false) warnings.push(`HSM token not reachable${token.why ? `: ${token.why}` : ''}`);
    out.push({
      ...summary, keyStorage: ca.keyUri.startsWith('pkcs11:') ? 'pkcs11' : 'software', certificates: c.n, revoked: c.r, lastCrl,
      crlUrl: ca.crlUrl, ocspUrl: ca.ocspUrl, warnings, tokenPresent: token.present,
    });
  }
  return out;
}

export async function overview(store: Store, now: Date) {
  const db = store.db;
  const nowIso = now.toISOString();
  const soon = new Date(now.getTime() + 30 * DAY).toISOString();
  const n = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
  const total = n('SELECT count(*) AS n FROM certificates');
  const revoked = n("SELECT count(*) AS n FROM certificates WHERE status = 'revoked'");
  const expired = n("SELECT count(*) AS n FROM certificates WHERE status = 'good' AND not_after < ?", nowIso);
  const expiring = n("SELECT count(*) AS n FROM certificates WHERE status = 'good' AND not_after >= ? AND not_after < ?", nowIso, soon);
  const requests = db.prepare('SELECT status, count(*) AS n FROM renewal_requests GROUP BY status').all() as { status: string; n: number }[];
  const byStatus = (s: string) => requests.find((r) => r.status === s)?.n ?? 0;
  const risk = db.prepare(`SELECT count(*) AS reports, count(DISTINCT host) AS hosts, coalesce(sum(level = 'high'), 0) AS high, coalesce(sum(level = 'critical'), 0) AS critical
    FROM risk_reports r WHERE computed_at = (SELECT max(computed_at) FROM risk_reports r2 WHERE r2.host = r.host AND r2.cert_sha256 = r.cert_sha256)`).get() as { reports: number; hosts: number; high: number; critical: number };
  const scores = db.prepare(`SELECT count(*) AS certificates, count(DISTINCT host) AS hosts, coalesce(sum(level = 'high'), 0) AS high,
    coalesce(sum(level = 'critical'), 0) AS critical, max(model_version) AS newestModel, max(updated_at) AS scoredAt FROM certificate_risk`).get() as { certificates: number; hosts: number; high: number; critical: number; newestModel: number | null; scoredAt: string | null };
  const actionCount = (status: string) => n('SELECT count(*) AS n FROM risk_actions WHERE status = ?', status);
  const last = db.prepare('SELECT seq, at FROM audit_entries ORDER BY seq DESC LIMIT 1').get() as { seq: number; at: string } | undefined;
  return {
    asOf: nowIso,
    cas: await caHealth(store, now),
    certificates: { total, valid: total - revoked - expired, revoked, expired, expiringIn30Days: expiring },
    expiringSoon: db.prepare(`SELECT ca_id AS caId, serial, subject, not_after AS notAfter, profile FROM certificates INDEXED BY certificates_by_status_not_after
      WHERE status = 'good' AND not_after >= ? ORDER BY not_after LIMIT 10`).all(nowIso) as Array<{ caId: string; serial: string; subject: string; notAfter: string; profile: string }>,
    recentImports: db.prepare(`SELECT bundle_id AS bundleId, direction, type, producer_subject AS producerSubject, sequence, created_at AS createdAt, records,
      processed_at AS processedAt, operator, file_sha256 AS fileSha256 FROM bundles ORDER BY id DESC LIMIT 8`).all() as Array<{ bundleId: string; direction: 'import' | 'export'; type: string; producerSubject: string; sequence: number; createdAt: string; records: number; processedAt: string; operator: string; fileSha256: string | null }>,
    renewalRequests: { pending: byStatus('pending'), issued: byStatus('issued'), rejected: byStatus('rejected') },
    risk,
    scores,
    actions: { pending: actionCount('pending'), approved: actionCount('approved') },
    audit: { entries: last?.seq ?? 0, lastAt: last?.at ?? null },
  };
}

export interface AuditPage { total: number; entries: Array<Omit<AuditRecord, 'signature'>>; actions: string[] }

/** A page of the trail with the number of entries the filter matches and the actions that occur. */
export function auditPage(store: Store, f: { action?: string; actor?: string; since?: string; order: 'asc' | 'desc'; offset: number; limit: number }): AuditPage {
  const entries = store.audit.list({ ...f, action: f.action || undefined, actor: f.actor || undefined, since: f.since || undefined }).map(({ signature: _s, ...e }) => e);
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.action) { where.push('action = ?'); args.push(f.action); }
  if (f.actor) { where.push('actor = ?'); args.push(f.actor); }
  if (f.since) { where.push('at >= ?'); args.push(new Date(f.since).toISOString()); }
  const total = (store.db.prepare(`SELECT count(*) AS n FROM audit_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`).get(...args) as { n: number }).n;
  const actions = store.db.prepare('SELECT DISTINCT action FROM audit_entries ORDER BY action').pluck().all() as string[];
  return { total, entries, actions };
}

export interface QuarantineEntry { file: string; bundle: string; sha256: string; rejectedAt: string; operator: string; check: string | null; code: string; message: string; hint: string }

/** Rejected bundles kept in <home>/quarantine, newest first, from their reason files. */
export function listQuarantine(home: string): QuarantineEntry[] {
  const dir = join(home, QUARANTINE_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.reason.json')).sort().reverse().map((f) => {
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Omit<QuarantineEntry, 'bundle'>;
    return { file: r.file, bundle: join(QUARANTINE_DIR, f.replace(/\.reason\.json$/, '.bundle')), sha256: r.sha256, rejectedAt: r.rejectedAt, operator: r.operator, check: r.check ?? null, code: r.code, message: r.message, hint: r.hint };
  });
}

export const PKCS11_MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/libykcs11.so', '/usr/lib/libyubihsm_pkcs11.so', '/usr/safenet/lunaclient/lib/libCryptoki2_64.so', '/opt/nfast/toolkits/pkcs11/libcknfast.so',
  '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
];

export function consoleSettings(extraModules: string[] = []): { pkcs11Modules: Array<{ path: string; present: boolean }>; bundleLimits: BundleLimits; profiles: Array<{ name: string; description: string; kind: 'ca' | 'leaf'; validityDefault: string; validityMax: string }> } {
  const modules = [...new Set([...extraModules, ...PKCS11_MODULE_CANDIDATES])];
  return {
    pkcs11Modules: modules.map((path) => ({ path, present: existsSync(path) })).sort((a, b) => Number(b.present) - Number(a.present)),
    bundleLimits: { ...DEFAULT_LIMITS },
    profiles: [...BUILTIN_PROFILES.values()].map((p) => ({ name: p.name, description: p.description, kind: p.kind, validityDefault: p.validity.default, validityMax: p.validity.max })),
  };
}

export function assertModulePath(path: string): void {
  if (!path.startsWith('/') && !/^[A-Za-z]:\\/.test(path)) {
    throw new ColdrootError('PKCS11_MODULE_PATH_INVALID', `PKCS#11 module path '${path}' is not absolute`, 'Give the full path of the vendor library, e.g. /usr/lib/softhsm/libsofthsm2.so');
  }
}
