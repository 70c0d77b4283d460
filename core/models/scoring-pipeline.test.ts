import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConsoleService } from '../api/console-service.js';
import { simulateRiskFleet } from '../bundles/simulation/risk-fleet.js';
import { decideAction, listActions, markActionsExported, renewalPlan } from '../policy/action-queue.js';
import { DEFAULT_POLICY } from '../policy/policy-file.js';
import { queryCertificates } from '../store/certificate-query.js';
import { listModels, loadDetector, trainModel } from './model-registry.js';
import { certificateStatus, explainRisk, listRisk } from './risk-queries.js';
import { scoreFleet } from './scoring-pipeline.js';

describe('scoring imported metrics end to end', () => {
  let dir: string;
  let svc: ConsoleService;
  let compromised: string[];
  let clean: string[];
  let clock: Date;
  let fleet: { deviceCaId: string; passphrase: string };
  const count = (sql: string) => svc.ctx.store.db.prepare(sql).pluck().get() as number;
  const snapshot = () => ['risk_actions', 'audit_entries', 'risk_scores', 'certificate_risk', 'model_versions'].map((t) => count(`SELECT count(*) FROM ${t}`)).join(',');

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-risk-'));
    const { fleet: f, labels, end } = await simulateRiskFleet({ out: path.join(dir, 'fleet'), hosts: 4, days: 35, seed: 7, scenario: 'compromise', incidentDay: 34 });
    compromised = [...labels].filter(([, l]) => l).map(([h]) => h);
    clean = [...labels].filter(([, l]) => !l).map(([h]) => h);
    clock = end;
    fleet = f;
    svc = ConsoleService.open({ home: f.home, operator: 'alice', now: () => clock });
  });
  after(() => {
    svc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the fleet has compromised and clean hosts', () => {
    assert.ok(compromised.length >= 1 && clean.length >= 1, `compromised ${compromised}, clean ${clean}`);
  });

  test('scoring before any model is trained says what to do', () => {
    assert.throws(() => scoreFleet(svc.ctx), (e: Error & { code: string }) => e.code === 'NO_MODEL' && /coldroot models train/.test((e as unknown as { hint: string }).hint));
  });

  test('training stores a version with its window, parameters, data hash and evaluation, audited', () => {
    assert.throws(() => trainModel(svc.ctx, { windowDays: 3 }), /--window-days 3 must be/);
    const m = trainModel(svc.ctx, { windowDays: 28 });
    assert.equal(m.windowEnd, clock.toISOString());
    assert.equal(m.windowStart, new Date(clock.getTime() - 28 * 86_400_000).toISOString());
    assert.match(m.dataSha256, /^[0-9a-f]{64}$/);
    assert.equal(m.evaluation.series, 4);
    assert.ok(m.params.forestThreshold > 0.5);
    // The same data gives the same hash and the same model.
    const again = trainModel(svc.ctx, { windowDays: 28 });
    assert.equal(again.dataSha256, m.dataSha256);
    assert.deepEqual(loadDetector(svc.ctx, again.id).detector.forest.toBytes(), loadDetector(svc.ctx, m.id).detector.forest.toBytes());
    assert.deepEqual(listModels(svc.ctx).map((v) => v.id), [again.id, m.id]);
    assert.equal(count("SELECT count(*) FROM audit_entries WHERE action = 'models.train'"), 2);
  });

  test('scores name their model version; compromised hosts are critical with evidence, clean ones low', () => {
    const r = scoreFleet(svc.ctx, { policy: DEFAULT_POLICY });
    const newest = listModels(svc.ctx)[0].id;
    assert.equal(r.modelVersion, newest);
    assert.equal(r.series, 4);
    assert.equal(count(`SELECT count(*) FROM risk_scores WHERE model_version != ${newest}`), 0);
    const list = listRisk(svc.ctx);
    for (const h of compromised) {
      const row = list.find((x) => x.host === h)!;
      assert.equal(row.level, 'critical', `${h}: ${row.riskScore}`);
      assert.ok(row.firstAnomalyAt! <= new Date(clock.getTime() - 22 * 3_600_000).toISOString(), `${h} alarmed from ${row.firstAnomalyAt}`);
    }
    for (const h of clean) assert.equal(list.find((x) => x.host === h)!.level, 'low');
    const e = explainRisk(svc.ctx, compromised[0]);
    const ev = e.certificates[0].evidence as { features: Array<{ feature: string }>; certificate: { serial: string } };
    assert.ok(ev.features.some((f) => f.feature === 'new_client_pct'));
    // The same explanation by the certificate's serial.
    assert.equal(explainRisk(svc.ctx, ev.certificate.serial).certificates[0].scoreId, e.certificates[0].scoreId);
    assert.throws(() => explainRisk(svc.ctx, 'nobody.example'), /No risk score for 'nobody.example'/);
    const cr = svc.ctx.store.db.prepare('SELECT risk_score, level, last_anomaly_at, anomaly_details, degradation_score FROM certificate_risk WHERE host = ?').get(compromised[0]) as Record<string, unknown>;
    assert.equal(cr.level, 'critical');
    assert.ok(cr.last_anomaly_at && JSON.parse(cr.anomaly_details as string).anomalyWindows > 0);
    // The console's certificate table shows the score.
    const page = queryCertificates(svc.ctx.store.db, { text: compromised[0] }, clock);
    assert.ok(page.rows.some((r) => r.risk?.level === 'critical' && r.risk.score === cr.risk_score), JSON.stringify(page.rows.map((r) => r.risk)));
  });

  test('the policy queues actions: alerts auto-approved, the rest pending; re-scoring adds no duplicates', () => {
    const pending = listActions(svc.ctx);
    assert.deepEqual([...new Set(pending.map((a) => a.action))].sort(), ['forced-renewal', 'investigation']);
    assert.ok(pending.every((a) => compromised.includes(a.host)));
    const approved = listActions(svc.ctx, { status: 'approved' });
    assert.ok(approved.length >= compromised.length && approved.every((a) => a.action === 'alert' && a.decidedBy === 'policy:auto-approve'));
    const before = count('SELECT count(*) FROM risk_actions');
    scoreFleet(svc.ctx);
    assert.equal(count('SELECT count(*) FROM risk_actions'), before);
    // Once a certificate scores below the alert threshold its approved alert closes.
    const calm = scoreFleet(svc.ctx, { policy: { ...DEFAULT_POLICY, alert: { minRisk: 100 } } });
    assert.equal(calm.alertsClosed, approved.length);
    assert.deepEqual(listActions(svc.ctx, { status: 'closed' }).map((a) => a.id), approved.map((a) => a.id));
    assert.equal(listActions(svc.ctx).length, pending.length);
  });

  test('decisions are audited with evidence and model version; bad decisions change nothing', () => {
    const [forced] = listActions(svc.ctx).filter((a) => a.action === 'forced-renewal');
    const [investigation] = listActions(svc.ctx).filter((a) => a.action === 'investigation');
    const unchanged = snapshot();
    assert.throws(() => decideAction(svc.ctx, 99999, 'approve'), /No queued action 99999/);
    assert.throws(() => decideAction(svc.ctx, forced.id, 'reject'), /needs a note/);
    assert.throws(() => decideAction(svc.ctx, Number.NaN, 'approve'), /not a positive whole number/);
    assert.equal(snapshot(), unchanged);
    clock = new Date(clock.getTime() + 60_000);
    const a = decideAction(svc.ctx, forced.id, 'approve', 'confirmed with the host owner');
    assert.equal(a.status, 'approved');
    assert.equal(a.decidedBy, 'alice');
    assert.throws(() => decideAction(svc.ctx, forced.id, 'reject', 'changed my mind'), /is approved \(by alice/);
    decideAction(svc.ctx, investigation.id, 'approve');
    const entry = svc.ctx.store.db.prepare("SELECT details FROM audit_entries WHERE action = 'risk.action.approve' ORDER BY seq LIMIT 1").pluck().get() as string;
    assert.deepEqual({ ...JSON.parse(entry), note: undefined }, { id: forced.id, action: 'forced-renewal', host: forced.host, certSha256: forced.certSha256, modelVersion: forced.modelVersion, scoreId: forced.scoreId, policySha256: forced.policySha256, note: undefined });
    assert.equal(svc.auditVerify().ok, true);
  });

  test('approved renewals and investigations become the renewal export\'s hosts and instructions', () => {
    const plan = renewalPlan(svc.ctx, DEFAULT_POLICY);
    const host = listActions(svc.ctx, { status: 'approved' }).find((a) => a.action === 'forced-renewal')!.host;
    assert.deepEqual(plan.hosts, [host]);
    assert.equal(plan.instructions.length, 1);
    const until = new Date(Math.floor(clock.getTime() / 1000) * 1000 + 72 * 3_600_000).toISOString().replace('.000Z', 'Z');
    assert.deepEqual({ ...plan.instructions[0].investigation, reason: '' }, { until, collectIntervalSeconds: 60, logExcerpts: true, reason: '' });
    assert.deepEqual(plan.emergency, []);
    assert.equal(markActionsExported(svc.ctx, plan.actionIds, 'bundle-1'), plan.actionIds.length);
    assert.deepEqual(renewalPlan(svc.ctx, DEFAULT_POLICY).hosts, []);
  });

  test('the status export lists leaf certificates with risk and a renewal schedule', () => {
    const rows = [...certificateStatus(svc.ctx)];
    const tls = rows.filter((r) => r.host !== null);
    assert.equal(tls.length, 4);
    const hot = tls.find((r) => compromised.includes(r.host!))!;
    assert.equal(hot.riskLevel, 'critical');
    assert.equal(hot.state, 'valid');
    assert.ok(Date.parse(hot.renewBy) < Date.parse(hot.notAfter));
  });

  test('pre-signed OCSP responses past their nextUpdate are a degradation factor of the CA\'s certificates', async () => {
    const scoredAt = clock;
    clock = new Date(scoredAt.getTime() - 48 * 3_600_000);
    try {
      await svc.presignOcsp({ caId: fleet.deviceCaId, secret: { passphrase: fleet.passphrase }, outDir: path.join(dir, 'ocsp'), validityHours: 1 });
    } finally {
      clock = scoredAt;
    }
    const nextUpdate = new Date(scoredAt.getTime() - 47 * 3_600_000).toISOString();
    scoreFleet(svc.ctx, { policy: DEFAULT_POLICY });
    const certs = explainRisk(svc.ctx, compromised[0]).certificates;
    const factors = certs.flatMap((c) => (c.evidence as { degradation: Array<{ kind: string; predictedAt: string }>; certificate: { caId: string } | null }).certificate?.caId === fleet.deviceCaId
      ? (c.evidence as { degradation: Array<{ kind: string; predictedAt: string }> }).degradation : []);
    assert.deepEqual(factors.filter((d) => d.kind === 'stale-ocsp').map((d) => d.predictedAt), [nextUpdate], JSON.stringify(certs.map((c) => c.evidence)));
  });

  test('scoring on worker threads writes the same scores and evidence as scoring in this thread', () => {
    const written = (from: number) => svc.ctx.store.db.prepare(`SELECT subject, host, cert_sha256, risk_score, level, anomaly_windows, first_anomaly_at, last_anomaly_at,
      degradation_score, predicted_degradation_at, evidence FROM risk_scores WHERE id > ? ORDER BY id`).raw(true).all(from);
    const top = () => count('SELECT coalesce(max(id), 0) FROM risk_scores');
    const before = top();
    const inline = scoreFleet(svc.ctx, { policy: DEFAULT_POLICY, threads: 1 });
    const middle = top();
    const threaded = scoreFleet(svc.ctx, { policy: DEFAULT_POLICY, threads: 2 });
    assert.deepEqual({ ...threaded, timings: null }, { ...inline, timings: null });
    assert.ok(inline.series === 4 && middle - before === 4 + 4);
    assert.deepEqual(written(middle), written(before).slice(0, middle - before));
    assert.ok((written(middle) as unknown[][]).some((r) => r[1] === compromised[0] && r[4] === 'critical' && (r[10] as string).includes('"certificate":{"caId"')), 'threads see the certificate facts and the anomalies');
  });

  test('training on worker threads stores the same model, data hash and evaluation as training in this thread', () => {
    const one = trainModel(svc.ctx, { windowDays: 28, threads: 1 });
    const two = trainModel(svc.ctx, { windowDays: 28, threads: 2 });
    assert.deepEqual({ ...two, id: 0 }, { ...one, id: 0 });
    assert.deepEqual(loadDetector(svc.ctx, two.id).detector.forest.toBytes(), loadDetector(svc.ctx, one.id).detector.forest.toBytes());
    assert.equal(one.evaluation.series, 4);
  });
});
