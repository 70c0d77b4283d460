import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';
import { queryCertificates, searchExpression, type CertificateQuery } from './certificate-query.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

interface Row { ca: string; serial: string; subject: string; sans: string[]; profile: string; notAfter: Date; status?: 'good' | 'revoked' }

function inventory(rows: Row[]): Database.Database {
  const db = new Database(':memory:');
  migrate(db);
  for (const [id, name] of [['web-ca', 'CN=Web Issuing CA,O=Example'], ['device-ca', 'CN=Device Issuing CA,O=Example']]) {
    db.prepare("INSERT INTO cas (id, name, kind, status, key_uri, key_algorithm, public_key_spki, subject, created_at) VALUES (?, ?, 'intermediate', 'active', ?, 'ecdsa-p256', x'00', ?, '2026-01-01')").run(id, name, `software:${id}`, name);
  }
  const insert = db.prepare(`INSERT INTO certificates (ca_id, serial, profile, subject, sans, not_before, not_after, fingerprint_sha256, der, status, revoked_at, revocation_reason, issued_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, x'00', ?, ?, ?, ?)`);
  rows.forEach((r, i) => {
    const issued = new Date(NOW.getTime() - (rows.length - i) * DAY).toISOString();
    insert.run(r.ca, r.serial, r.profile, r.subject, JSON.stringify(r.sans), issued, r.notAfter.toISOString(), fingerprint(r.serial), r.status ?? 'good',
      r.status === 'revoked' ? issued : null, r.status === 'revoked' ? 'keyCompromise' : null, issued);
  });
  return db;
}

const fingerprint = (serial: string) => createHash('sha256').update(serial).digest('hex');

/** 60 rows: web, api and cam hosts at three sites, some expired, some revoked, two profiles, two CAs. */
function fleet(): Row[] {
  const roles = ['web', 'api', 'cam'];
  const sites = ['ams', 'fra', 'iad'];
  return Array.from({ length: 60 }, (_, i) => {
    const host = `${roles[i % 3]}-${String(i).padStart(4, '0')}.${sites[Math.floor(i / 3) % 3]}.fleet.example`;
    return {
      ca: i % 4 === 0 ? 'device-ca' : 'web-ca', serial: createHash('sha256').update(`s${i}`).digest('hex').slice(0, 32).replace(/^0+/, ''),
      subject: `CN=${host},O=Example`, sans: [`DNS:${host}`], profile: i % 4 === 0 ? 'device-management' : 'tls-server',
      notAfter: new Date(NOW.getTime() + (i - 10) * 7 * DAY), status: i % 10 === 7 ? 'revoked' : 'good',
    };
  });
}

const q = (db: Database.Database, query: CertificateQuery, few?: number) => queryCertificates(db, { limit: 500, ...query }, NOW, few);
const subjects = (db: Database.Database, query: CertificateQuery, few?: number) => q(db, query, few).rows.map((r) => r.subject);

describe('queryCertificates', () => {
  const rows = fleet();
  const db = inventory(rows);

  test('search: words are prefixes; punctuation inside a word makes a phrase; spaces require every word', () => {
    assert.equal(searchExpression('web-00.ams'), '"web 00 ams"*');
    assert.equal(searchExpression('cam  iad'), '"cam"* "iad"*');
    assert.equal(searchExpression('  '), null);
    assert.deepEqual(subjects(db, { text: 'web-0003' }), ['CN=web-0003.fra.fleet.example,O=Example']);
    assert.equal(q(db, { text: 'web' }).total, 20);
    assert.equal(q(db, { text: 'cam iad' }).total, rows.filter((r) => r.subject.includes('cam-') && r.subject.includes('.iad.')).length);
    // 'cam iad' needs both words; 'cam-iad' would need them adjacent, which no host has.
    assert.equal(q(db, { text: 'cam-iad' }).total, 0);
  });

  test('search by the start of a serial (8+ hex digits) or by a SHA-256 fingerprint', () => {
    const target = rows[17];
    assert.deepEqual(subjects(db, { text: target.serial.slice(0, 10).toUpperCase() }), [target.subject]);
    assert.deepEqual(subjects(db, { text: fingerprint(target.serial) }), [target.subject]);
    assert.deepEqual(subjects(db, { text: fingerprint(target.serial).replace(/(..)(?=.)/g, '$1:') }), [target.subject]);
  });

  test('filters: state against the clock, CA, issuer words, profile, expiry window', () => {
    const expired = rows.filter((r) => r.status !== 'revoked' && r.notAfter < NOW).length;
    const revoked = rows.filter((r) => r.status === 'revoked').length;
    assert.equal(q(db, { state: 'expired' }).total, expired);
    assert.equal(q(db, { state: 'revoked' }).total, revoked);
    assert.equal(q(db, { state: 'valid' }).total, rows.length - expired - revoked);
    assert.ok(q(db, { state: 'expired' }).rows.every((r) => r.state === 'expired' && r.notAfter < NOW.toISOString()));
    assert.equal(q(db, { caId: 'device-ca' }).total, 15);
    assert.equal(q(db, { issuer: 'device issuing' }).total, 15);
    assert.equal(q(db, { issuer: 'nosuch' }).total, 0);
    assert.equal(q(db, { profile: 'tls-server', caId: 'web-ca' }).total, 45);
    const window = { expiresAfter: '2026-06-01', expiresBefore: '2026-07-01' };
    assert.equal(q(db, window).total, rows.filter((r) => r.notAfter >= NOW && r.notAfter < new Date('2026-07-01T00:00:00Z')).length);
    assert.equal(q(db, { ...window, text: 'web' }).total, rows.filter((r) => r.subject.includes('web-') && r.notAfter >= NOW && r.notAfter < new Date('2026-07-01T00:00:00Z')).length);
  });

  test('sorts and pages agree with a sort of the whole list, through both plans (few matches, walk the sort index)', () => {
    const bySubject = [...rows].sort((a, b) => (a.subject.toLowerCase() < b.subject.toLowerCase() ? -1 : 1)).map((r) => r.subject);
    for (const few of [0, 1_000_000]) {
      assert.deepEqual(subjects(db, { sort: 'subject' }, few), bySubject);
      assert.deepEqual(subjects(db, { sort: 'subject', order: 'desc' }, few), [...bySubject].reverse());
      const paged = [0, 1, 2, 3, 4, 5].flatMap((p) => subjects(db, { sort: 'subject', offset: p * 11, limit: 11 }, few));
      assert.deepEqual(paged, bySubject);
      const web = bySubject.filter((s) => s.includes('web-'));
      assert.deepEqual(subjects(db, { text: 'web', sort: 'subject' }, few), web);
      assert.deepEqual(subjects(db, { text: 'web', sort: 'subject', state: 'valid', caId: 'web-ca' }, few),
        rows.filter((r) => r.subject.includes('web-') && r.ca === 'web-ca' && r.status !== 'revoked' && r.notAfter >= NOW).map((r) => r.subject).sort((a, b) => (a < b ? -1 : 1)));
      const byExpiry = [...rows].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime()).map((r) => r.subject);
      assert.deepEqual(subjects(db, {}, few), byExpiry);
      assert.deepEqual(subjects(db, { sort: 'notAfter', order: 'desc', offset: 50, limit: 10 }, few), [...byExpiry].reverse().slice(50, 60));
    }
  });

  test('the full-text index follows inserts and subject changes (triggers)', () => {
    const local = inventory(fleet().slice(0, 3));
    assert.equal(q(local, { text: 'printer' }).total, 0);
    local.prepare(`INSERT INTO certificates (ca_id, serial, profile, subject, sans, not_before, not_after, fingerprint_sha256, der, issued_at)
      VALUES ('web-ca', 'abc123', 'tls-server', 'CN=printer-7.lab.example', '["DNS:printer-7.lab.example"]', '2026-01-01', '2027-01-01', ?, x'00', '2026-01-01')`).run(fingerprint('abc123'));
    assert.equal(q(local, { text: 'printer-7' }).total, 1);
    local.prepare("UPDATE certificates SET subject = 'CN=scanner-7.lab.example', sans = '[]' WHERE serial = 'abc123'").run();
    assert.equal(q(local, { text: 'printer' }).total, 0);
    assert.equal(q(local, { text: 'scanner-7' }).total, 1);
  });

  test('risk: the latest report of each certificate, at least the level asked for', () => {
    const local = inventory(fleet().slice(0, 4));
    local.prepare(`INSERT INTO bundles (id, bundle_id, direction, type, format_version, producer_sha256, producer_subject, sequence, created_at, manifest, manifest_sha256, signature, processed_at, operator)
      VALUES (1, 'b', 'import', 'risk-report', 1, 'p', 'CN=agent', 1, '2026-05-01', x'00', 'm', x'00', '2026-05-01', 'op')`).run();
    const report = local.prepare("INSERT INTO risk_reports (bundle_id, host, cert_sha256, computed_at, window_start, window_end, model, score, level, anomalies) VALUES (1, 'h', ?, ?, 'a', 'b', 'm@1', ?, ?, '[]')");
    const [a, b] = fleet();
    report.run(fingerprint(a.serial), '2026-05-01T00:00:00Z', 0.9, 'critical');
    report.run(fingerprint(a.serial), '2026-05-02T00:00:00Z', 0.2, 'low'); // a is fine now
    report.run(fingerprint(b.serial), '2026-05-02T00:00:00Z', 0.7, 'high');
    assert.deepEqual(subjects(local, { risk: 'high' }), [b.subject]);
    assert.deepEqual(subjects(local, { risk: 'low', sort: 'subject' }), [a.subject, b.subject].sort());
    const row = q(local, { text: a.subject.slice(3, 12) }).rows[0];
    assert.deepEqual(row.risk, { level: 'low', score: 0.2, computedAt: '2026-05-02T00:00:00Z' });
  });

  test('refuses out-of-range pages, empty searches and dates it cannot read, naming them', () => {
    assert.throws(() => q(db, { limit: 501 }), { code: 'PAGE_INVALID', message: 'limit 501 / offset 0 is out of range' });
    assert.throws(() => q(db, { offset: -1 }), { code: 'PAGE_INVALID' });
    assert.throws(() => q(db, { text: '--' }), { code: 'SEARCH_INVALID', message: "Search '--' has no letters or digits" });
    assert.throws(() => q(db, { expiresBefore: 'soon' }), { code: 'FILTER_INVALID', message: "Expiry bound 'soon' is not a date" });
  });
});
