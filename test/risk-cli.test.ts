// `coldroot models|risk|queue|status` end to end on a simulated fleet with a misconfigured host:
// train, score, list, explain, decide, export status; exit 2 and an unchanged database on bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { simulateRiskFleet } from '../core/bundles/simulation/risk-fleet.js';
import { DEFAULT_POLICY } from '../core/policy/policy-file.js';
import { coldroot, homeFingerprint } from './helpers/cli.js';

describe('coldroot risk CLI', () => {
  let dir: string;
  let home: string;
  let broken: string[];
  const run = (...args: string[]) => coldroot(['--home', home, '--operator', 'bob', ...args]);
  const json = (...args: string[]) => coldroot(['--home', home, '--operator', 'bob', ...args, '--json']);
  const refused = (args: string[], code: string) => {
    const before = homeFingerprint(home);
    const r = json(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.equal(r.json?.error?.code, code, r.stdout);
    assert.match(r.stderr, /^error: /);
    assert.equal(homeFingerprint(home), before, `${args.join(' ')} changed the database`);
    return r;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldroot-risk-cli-'));
    const { fleet, labels } = await simulateRiskFleet({ out: join(dir, 'fleet'), hosts: 4, days: 35, seed: 11, scenario: 'misconfiguration', incidentDay: 34, incidentHour: 6 });
    home = fleet.home;
    broken = [...labels].filter(([, l]) => l).map(([h]) => h);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('models train and list', () => {
    refused(['models', 'train', '--window-days', 'ten'], 'BAD_NUMBER');
    const t = json('models', 'train', '--window-days', '28');
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.json.id, 1);
    assert.match(t.json.dataSha256, /^[0-9a-f]{64}$/);
    assert.match(run('models', 'list').stdout, /^v1 {2}risk-detector\/v1 {2}trained .* by bob/);
  });

  test('risk score with a strict policy file; list and explain', () => {
    const bad = join(dir, 'bad-policy.json');
    writeFileSync(bad, JSON.stringify({ ...DEFAULT_POLICY, alert: { minRisk: 40, colour: 'red' } }));
    assert.match(refused(['risk', 'score', '--policy', bad], 'POLICY_INVALID').stderr, /unknown key 'alert.colour'/);
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ ...DEFAULT_POLICY, autoApprove: { ...DEFAULT_POLICY.autoApprove, alert: false } }));
    const s = json('risk', 'score', '--policy', policy);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.json.modelVersion, 1);
    assert.equal(s.json.policySource, policy);
    assert.equal(s.json.actionsAutoApproved.length, 0);
    const list = json('risk', 'list');
    const top = list.json.slice(0, broken.length).map((r: { host: string }) => r.host).sort();
    assert.deepEqual(top, [...broken].sort());
    assert.ok(list.json[0].riskScore >= 85 && list.json[0].modelVersion === 1);
    const text = run('risk', 'explain', broken[0]).stdout;
    assert.match(text, /risk \d+(\.\d)? \(critical\)/);
    assert.match(text, /(cert_failure_pct|failure_pct|validation_errors): [\d.]+ against [\d.]+ expected \(z [\d.]+\) since 2026-02-08T0[6-7]:00:00.000Z/);
  });

  test('queue list, approve, reject: decisions audited, mistakes refused', () => {
    const pending = json('queue', 'list').json as Array<{ id: number; action: string; host: string }>;
    assert.ok(pending.length >= 3 && pending.every((a) => broken.includes(a.host)));
    const alert = pending.find((a) => a.action === 'alert')!;
    const forced = pending.find((a) => a.action === 'forced-renewal')!;
    refused(['queue', 'approve', 'x1'], 'QUEUE_BAD_ID');
    const a = json('queue', 'approve', String(forced.id), '--note', 'chain broken since the 06:00 deploy');
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.json.decidedBy, 'bob');
    const r = json('queue', 'reject', String(alert.id), '--note', 'known');
    assert.equal(r.json.status, 'rejected');
    assert.deepEqual(json('queue', 'plan').json.hosts, [forced.host]);
  });

  test('status --json and --csv', () => {
    const none = run('status');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^error: coldroot status writes --json or --csv/);
    const j = json('status');
    assert.equal(j.code, 0, j.stderr);
    const mine = j.json.filter((r: { host: string | null }) => r.host && broken.includes(r.host));
    assert.equal(mine.length, broken.length);
    assert.ok(mine.every((r: { riskLevel: string; openActions: string[] }) => r.riskLevel === 'critical'));
    assert.ok(mine.some((r: { renewalReason: string; openActions: string[] }) => r.renewalReason === 'approved-action' && r.openActions.includes('forced-renewal:approved')));
    const csv = run('status', '--csv').stdout.trimEnd().split('\n');
    assert.equal(csv[0], 'caId,serial,subject,profile,state,notAfter,fingerprintSha256,host,riskScore,riskLevel,lastAnomalyAt,degradationScore,predictedDegradationAt,renewBy,renewalReason,openActions');
    assert.equal(csv.length, j.json.length + 1);
  });

  test('status: renewal before predicted degradation follows the policy\'s lead days', () => {
    const calm = (json('status').json as Array<{ host: string | null; fingerprintSha256: string }>).find((r) => r.host && !broken.includes(r.host))!;
    const predicted = '2026-03-01T00:00:00.000Z';
    const db = new Database(join(home, 'coldroot.db'));
    try {
      db.prepare('UPDATE certificate_risk SET degradation_score = 72, predicted_degradation_at = ? WHERE cert_sha256 = ?').run(predicted, calm.fingerprintSha256);
    } finally {
      db.close();
    }
    const row = (...args: string[]) => (json('status', ...args).json as Array<{ fingerprintSha256: string; renewBy: string; renewalReason: string }>).find((r) => r.fingerprintSha256 === calm.fingerprintSha256)!;
    const before = (days: number) => new Date(Date.parse(predicted) - days * 86_400_000).toISOString();
    assert.deepEqual([row().renewBy, row().renewalReason], [before(DEFAULT_POLICY.predictiveRenewal.leadDays), 'predicted-degradation']);
    const policy = join(dir, 'lead-20.json');
    writeFileSync(policy, JSON.stringify({ ...DEFAULT_POLICY, predictiveRenewal: { minDegradation: 50, leadDays: 20 } }));
    assert.equal(row('--policy', policy).renewBy, before(20));
    assert.equal(row('--policy', policy, '--lead-days', '3').renewBy, before(3));
  });
});
