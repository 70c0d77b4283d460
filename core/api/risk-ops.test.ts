import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeBundle } from '../bundles/bundle-writer.js';
import { RENEWAL_FILE } from '../bundles/payloads/renewal.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../bundles/payloads/renewal-request.js';
import { renewalRequestFile } from '../bundles/payloads/renewal-request-builder.js';
import { derivedKey, FLEET_PASSPHRASE } from '../bundles/simulation/fleet-simulator.js';
import { simulateRiskFleet } from '../bundles/simulation/risk-fleet.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { buildCsr } from '../x509/csr-builder.js';
import { DEFAULT_POLICY } from '../policy/policy-file.js';
import { ConsoleService } from './console-service.js';
import { api, type ApiResult, type Out } from './contract.js';
import { ConsoleDispatcher } from './dispatcher.js';
import { StagingArea } from './staging-area.js';

const value = <T>(r: ApiResult<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};
const error = (r: ApiResult<unknown>) => (r.ok ? null : r.error);

// A fleet of 5 hosts, 35 days of hourly metrics; a misconfiguration breaks some hosts' chains from day 34, 06:00 UTC.
describe('risk operations through the dispatcher', () => {
  let dir: string;
  let svc: ConsoleService;
  let d: ConsoleDispatcher;
  let broken: string[];
  let healthy: string[];
  let deviceCaId: string;
  const call = <T>(name: string, input: unknown, callId?: string) => d.dispatch(name, input, callId) as Promise<ApiResult<T>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldroot-risk-ops-'));
    const { fleet, labels, end } = await simulateRiskFleet({ out: join(dir, 'fleet'), hosts: 5, days: 35, seed: 11, scenario: 'misconfiguration', incidentDay: 34, incidentHour: 6 });
    broken = [...labels].filter(([, l]) => l).map(([h]) => h).sort();
    healthy = [...labels].filter(([, l]) => !l).map(([h]) => h).sort();
    assert.ok(broken.length >= 2 && healthy.length >= 1, `labels: ${JSON.stringify([...labels])}`);
    deviceCaId = fleet.deviceCaId;
    svc = ConsoleService.open({ home: fleet.home, operator: 'tester', now: () => end });
    d = new ConsoleDispatcher(svc, { staging: new StagingArea(join(dir, 'stage'), 1024 * 1024), host: 'browser', version: 'test' });
  });
  after(() => {
    svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the operations are in the contract: reads, and the writes that train, score and decide', () => {
    for (const name of ['riskList', 'riskExplain', 'metricSeries', 'modelsList', 'actionsList', 'policyShow', 'actionPlan'] as const) assert.equal(api[name].access, 'read', name);
    for (const name of ['modelsTrain', 'riskScore', 'actionDecide'] as const) assert.equal(api[name].access, 'write', name);
  });

  test('bad input is refused by name before any handler runs', async () => {
    const invalid = async (name: string, input: unknown) => {
      const e = error(await d.dispatch(name, input));
      assert.equal(e?.code, 'INPUT_INVALID', `${name} ${JSON.stringify(input)}: ${JSON.stringify(e)}`);
      return e!.message;
    };
    assert.equal(await invalid('riskList', { limit: 0 }), 'riskList: limit: Too small: expected number to be >=1');
    assert.equal(await invalid('riskList', { sort: 'colour' }), 'riskList: sort: Invalid option: expected one of "risk"|"degradation"|"lastAnomaly"|"predicted"|"host"');
    assert.equal(await invalid('riskList', { minScore: 101 }), 'riskList: minScore: Too big: expected number to be <=100');
    assert.equal(await invalid('riskList', { orderBy: 'risk' }), 'riskList: (input): Unrecognized key: "orderBy"');
    assert.equal(await invalid('riskExplain', { query: '   ' }), 'riskExplain: query: give a host, serial or SHA-256');
    assert.equal(await invalid('metricSeries', { host: broken[0], certSha256: 'ABC' }), 'metricSeries: certSha256: a SHA-256 fingerprint: 64 lowercase hex digits');
    assert.equal(await invalid('metricSeries', { host: broken[0], from: '2026-02-08T00:00:00Z', to: '2026-02-01T00:00:00Z' }), 'metricSeries: from: from must be before to');
    assert.equal(await invalid('metricSeries', { host: broken[0], from: '2026-01-01T00:00:00Z', to: '2026-02-08T00:00:00Z' }), 'metricSeries: to: a chart spans at most 31 days');
    assert.match(await invalid('metricSeries', { host: broken[0], from: 'yesterday' }), /^metricSeries: from: Invalid ISO datetime/);
    assert.equal(await invalid('modelsTrain', { windowDays: 13 }), 'modelsTrain: windowDays: Too small: expected number to be >=14');
    assert.equal(await invalid('riskScore', { windowHours: 1.5 }), 'riskScore: windowHours: Invalid input: expected int, received number');
    assert.equal(await invalid('actionDecide', { id: 0, decision: 'approve' }), 'actionDecide: id: Too small: expected number to be >=1');
    assert.equal(await invalid('actionDecide', { id: 1, decision: 'maybe' }), 'actionDecide: decision: Invalid option: expected one of "approve"|"reject"');
    assert.equal(await invalid('actionsList', { status: 'done' }), 'actionsList: status: Invalid option: expected one of "pending"|"approved"|"rejected"|"exported"|"closed"|"all"');
    assert.equal(await invalid('policyShow', { path: '/etc/passwd' }), 'policyShow: (input): Unrecognized key: "path"');
  });

  test('before training: no model to score with, and the chart has points but no markers', async () => {
    assert.equal(error(await call('riskScore', {}))?.code, 'NO_MODEL');
    assert.deepEqual(value(await call('modelsList', {})), []);
    const s = value(await call<Out<'metricSeries'>>('metricSeries', { host: broken[0] }));
    assert.equal(s.points.length, 7 * 24);
    assert.equal(s.modelVersion, null);
    assert.deepEqual(s.anomalies, []);
    assert.equal(error(await call('metricSeries', { host: 'nowhere.example' }))?.code, 'METRICS_NOT_FOUND');
  });

  test('train and score report progress under their call id', async () => {
    const m = value(await call<Out<'modelsTrain'>>('modelsTrain', { windowDays: 28 }, 'train-1'));
    assert.equal(m.id, 1);
    assert.equal(m.createdBy, 'tester');
    assert.match(m.dataSha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(value(await call('progress', { callId: 'train-1' })), { done: 1, total: 1, message: 'model v1 trained' });
    const r = value(await call<Out<'riskScore'>>('riskScore', {}, 'score-1'));
    assert.equal(r.modelVersion, 1);
    assert.equal(r.policySource, 'built-in defaults');
    assert.equal(r.hosts, 5);
    assert.ok(r.actionsAdded.length >= broken.length * 2, JSON.stringify(r));
    assert.deepEqual(value(await call('progress', { callId: 'score-1' })), { done: 1, total: 1, message: `scored ${r.series} series on 5 hosts` });
    assert.deepEqual(value(await call<Out<'modelsList'>>('modelsList', {})).map((v) => v.id), [1]);
  });

  test('riskList: broken hosts first; filter, search, sort and page', async () => {
    const all = value(await call<Out<'riskList'>>('riskList', {}));
    assert.equal(all.total, 5);
    assert.deepEqual(all.rows.slice(0, broken.length).map((r) => r.host).sort(), broken);
    assert.ok(all.rows.every((r, i) => i === 0 || all.rows[i - 1].riskScore >= r.riskScore));
    assert.ok(all.rows.every((r) => r.subject === 'certificate' && r.serial && r.caId && r.certSubject === `CN=${r.host}`));
    const critical = value(await call<Out<'riskList'>>('riskList', { levels: ['critical'] }));
    assert.deepEqual(critical.rows.map((r) => r.host).sort(), broken);
    const page = value(await call<Out<'riskList'>>('riskList', { sort: 'host', order: 'asc', offset: 1, limit: 2 }));
    assert.equal(page.total, 5);
    assert.deepEqual(page.rows.map((r) => r.host), [...broken, ...healthy].sort().slice(1, 3));
    const found = value(await call<Out<'riskList'>>('riskList', { search: all.rows[0].serial!.slice(4, 14).toUpperCase() }));
    assert.deepEqual(found.rows.map((r) => r.certSha256), [all.rows[0].certSha256]);
    const likeIsLiteral = value(await call<Out<'riskList'>>('riskList', { search: '%' }));
    assert.equal(likeIsLiteral.total, 0, 'a % in the search is a character, not a wildcard');
    const hosts = value(await call<Out<'riskList'>>('riskList', { subject: 'host', minScore: 85 }));
    assert.deepEqual(hosts.rows.map((r) => r.host).sort(), broken);
    assert.ok(hosts.rows.every((r) => r.subject === 'host' && r.certSha256 === null));
  });

  test('riskExplain by serial: the features, since when, the model version', async () => {
    const top = value(await call<Out<'riskList'>>('riskList', { limit: 1 })).rows[0];
    const e = value(await call<Out<'riskExplain'>>('riskExplain', { query: top.serial! }));
    assert.equal(e.certificates.length, 1);
    const c = e.certificates[0];
    assert.equal(c.certSha256, top.certSha256);
    assert.equal(c.evidence.certificate?.serial, top.serial);
    assert.equal(c.evidence.firstAnomalyAt, '2026-02-08T06:00:00.000Z');
    assert.ok(c.evidence.features.some((f) => /failure_pct|validation_errors/.test(f.feature) && f.z >= 7 && f.since === '2026-02-08T06:00:00.000Z'), JSON.stringify(c.evidence.features));
    assert.deepEqual(e.models.map((m) => m.id), [1]);
    assert.equal(e.host?.host, top.host);
    assert.ok(e.openActions.some((a) => a.action === 'forced-renewal'));
    assert.equal(error(await call('riskExplain', { query: 'nowhere.example' }))?.code, 'RISK_SUBJECT_NOT_FOUND');
  });

  test('metricSeries: hourly sums from SQL, markers on the broken hours only', async () => {
    const top = value(await call<Out<'riskList'>>('riskList', { limit: 1 })).rows[0];
    const s = value(await call<Out<'metricSeries'>>('metricSeries', { host: top.host, certSha256: top.certSha256! }));
    assert.equal(s.modelVersion, 1);
    assert.equal(s.to, '2026-02-09T00:00:00.000Z');
    assert.equal(s.points.length, 168);
    const hour = s.points.find((p) => p.t === '2026-02-08T12:00:00.000Z')!;
    const raw = svc.store.db.prepare(`SELECT sum(hs_attempted) AS a, sum(hs_failed) AS f FROM metric_samples m JOIN metric_series s ON s.id = m.series_id
      WHERE s.host = ? AND s.cert_sha256 = ? AND t >= ? AND t < ?`).get(top.host, top.certSha256, Date.parse(hour.t) / 1000, Date.parse(hour.t) / 1000 + 3600) as { a: number; f: number };
    assert.equal(hour.handshakes, raw.a);
    assert.equal(hour.failurePct, Math.round((1e4 * raw.f) / raw.a) / 100);
    assert.ok(s.anomalies.length >= 6, JSON.stringify(s.anomalies));
    assert.ok(s.anomalies.every((a) => a.t >= '2026-02-08T06:00:00.000Z' && a.certSha256 === top.certSha256), JSON.stringify(s.anomalies));
    assert.equal(s.anomalies[0].t, '2026-02-08T06:00:00.000Z', 'marked from the first broken hour');
    const calm = value(await call<Out<'metricSeries'>>('metricSeries', { host: healthy[0] }));
    assert.deepEqual(calm.anomalies, []);
    const range = value(await call<Out<'metricSeries'>>('metricSeries', { host: top.host, from: '2026-02-08T00:00:00Z', to: '2026-02-08T06:00:00Z' }));
    assert.deepEqual(range.points.map((p) => p.t.slice(11, 13)), ['00', '01', '02', '03', '04', '05']);
    assert.deepEqual(range.anomalies, []);
  });

  test('actionDecide: approve and reject are audited; a rejection needs a note; a decided action stays decided', async () => {
    const pending = value(await call<Out<'actionsList'>>('actionsList', {}));
    assert.ok(pending.every((a) => a.status === 'pending' && broken.includes(a.host) && a.modelVersion === 1));
    const forced = pending.find((a) => a.action === 'forced-renewal')!;
    const investigation = pending.find((a) => a.action === 'investigation')!;
    assert.match(forced.evidenceSummary, /(cert_failure_pct|failure_pct|validation_errors) [\d.]+ vs [\d.]+ expected \(z [\d.]+\) since 2026-02-08 06:00Z/);
    assert.ok(forced.riskScore! >= 85 && forced.level === 'critical');
    const auditBefore = svc.info().auditEntries;
    assert.deepEqual(error(await call('actionDecide', { id: investigation.id, decision: 'reject', note: '  ' })),
      { code: 'QUEUE_NOTE_REQUIRED', message: `Rejecting action ${investigation.id} needs a note saying why`, hint: 'Add --note "why this is not needed"' });
    assert.equal(error(await call('actionDecide', { id: 999_999, decision: 'approve' }))?.code, 'QUEUE_ACTION_NOT_FOUND');
    assert.equal(svc.info().auditEntries, auditBefore, 'refusals write nothing');
    const approved = value(await call<Out<'actionDecide'>>('actionDecide', { id: forced.id, decision: 'approve', note: 'chain broken by the deploy' }));
    assert.equal(approved.status, 'approved');
    assert.equal(approved.decidedBy, 'tester');
    assert.equal(approved.decisionNote, 'chain broken by the deploy');
    const rejected = value(await call<Out<'actionDecide'>>('actionDecide', { id: investigation.id, decision: 'reject', note: 'cause known' }));
    assert.equal(rejected.status, 'rejected');
    assert.equal(svc.info().auditEntries, auditBefore + 2);
    const audit = value(await call<Out<'listAudit'>>('listAudit', { action: 'risk.action.approve' }));
    assert.equal(audit.entries.length, 1);
    assert.equal(error(await call('actionDecide', { id: forced.id, decision: 'reject', note: 'changed my mind' }))?.code, 'QUEUE_ALREADY_DECIDED');
    assert.deepEqual(value(await call<Out<'actionsList'>>('actionsList', { status: 'rejected' })).map((a) => a.id), [investigation.id]);
    const plan = value(await call<Out<'actionPlan'>>('actionPlan', {}));
    assert.deepEqual(plan.hosts, [forced.host]);
    assert.ok(plan.actionIds.includes(forced.id));
  });

  test('policyShow: the built-in defaults, then <home>/risk-policy.json, and a broken file refused by key', async () => {
    const defaults = value(await call<Out<'policyShow'>>('policyShow', {}));
    assert.equal(defaults.source, 'built-in defaults');
    assert.deepEqual(defaults.policy, DEFAULT_POLICY);
    const file = join(svc.store.home, 'risk-policy.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_POLICY, forcedRenewal: { minRisk: 90 } }));
    try {
      const custom = value(await call<Out<'policyShow'>>('policyShow', {}));
      assert.equal(custom.source, file);
      assert.equal(custom.policy.forcedRenewal.minRisk, 90);
      assert.notEqual(custom.sha256, defaults.sha256);
      writeFileSync(file, JSON.stringify({ ...DEFAULT_POLICY, alert: { minRisk: 40, colour: 'red' } }));
      assert.deepEqual(error(await call('policyShow', {})),
        { code: 'POLICY_INVALID', message: `Risk policy ${file}: unknown key 'alert.colour'`, hint: 'Fix the key named; the accepted keys and ranges are in docs/risk.md' });
    } finally {
      unlinkSync(file);
    }
  });
  test('exportRenewalBundle fromQueue: the approved renewal of an answered host is carried and marked exported; the investigation rides along', async () => {
    // The second broken host's investigation is approved too: its instruction goes into the bundle, but it asked for no renewal.
    const forced = value(await call<Out<'actionsList'>>('actionsList', { status: 'approved' })).find((a) => a.action === 'forced-renewal')!;
    const inv = value(await call<Out<'actionsList'>>('actionsList', {})).find((a) => a.action === 'investigation' && a.host !== forced.host)!;
    value(await call('actionDecide', { id: inv.id, decision: 'approve' }));
    // The broken host asks for a renewal, proving it with its current TLS key (as its agent would), sent by the fleet's collector.
    const db = svc.store.db;
    const derOf = (subject: string, profile: string) => new Uint8Array(db.prepare('SELECT der FROM certificates WHERE subject = ? AND profile = ?').pluck().get(subject, profile) as Buffer);
    const signer = (label: string) => new SoftwareSigner(derivedKey(11, label), 'ecdsa-p256', `software:${label}`);
    const requests = await renewalRequestFile([{
      requestId: 'renew-1', host: forced.host, profile: 'tls-server', reason: 'risk',
      csr: await buildCsr(signer(`tls-next/${forced.host}`), `CN=${forced.host}`, { dns: [forced.host] }),
      proof: { kind: 'current-certificate', certificate: derOf(`CN=${forced.host}`, 'tls-server'), key: signer(`tls/${forced.host}`) },
    }]);
    const caDer = new Uint8Array(db.prepare('SELECT certificate_der FROM cas WHERE id = ?').pluck().get(deviceCaId) as Buffer);
    const identity = { signer: signer('device/collector-01.fleet.example'), certificate: derOf('CN=collector-01.fleet.example', 'device-management'), chain: [caDer] };
    const file = join(dir, 'renewal-request.tar');
    const written = await writeBundle(file, { type: 'renewal-request', identity, sequence: 1000, createdAt: svc.ctx.now(), files: [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1, data: new TextEncoder().encode(JSON.stringify(requests)) }] });
    const [imported] = await svc.importBundles([file]);
    assert.equal(imported.status, 'accepted', JSON.stringify(imported));
    value(await call('createBundleSigner', { caId: deviceCaId, caSecret: { passphrase: FLEET_PASSPHRASE }, keyStorage: 'software', keySecret: 'risk ops signer passphrase' }));

    const out = join(dir, 'usb');
    const r = value(await call<Out<'exportRenewalBundle'>>('exportRenewalBundle', {
      caId: deviceCaId, caSecret: { passphrase: FLEET_PASSPHRASE }, signerSecret: { passphrase: 'risk ops signer passphrase' }, requestBundle: written.bundleId, outDir: out, fromQueue: true,
    }));
    assert.deepEqual(r.issued.map((i) => i.host), [forced.host]);
    assert.deepEqual(r.actions, [forced.id], 'the answered host\'s approved renewal is carried');
    assert.ok(r.warnings.some((w) => w.startsWith(`approved action ${inv.id} for ${inv.host} stays approved`)), JSON.stringify(r.warnings));
    const exported = value(await call<Out<'actionsList'>>('actionsList', { status: 'exported' }));
    assert.deepEqual(exported.map((a) => [a.id, a.exportedIn]), [[forced.id, r.bundleId]]);
    const index = JSON.parse(spawnSync('tar', ['-xOf', r.path, RENEWAL_FILE], { encoding: 'utf8' }).stdout) as { instructions?: Array<{ host: string; investigation?: { collectIntervalSeconds: number } }> };
    assert.deepEqual(index.instructions?.filter((i) => i.investigation).map((i) => [i.host, i.investigation!.collectIntervalSeconds]), [[inv.host, DEFAULT_POLICY.investigation.collectIntervalSeconds]]);
    assert.deepEqual(value(await call<Out<'actionPlan'>>('actionPlan', {})).hosts, [], 'nothing left to renew');
  });
});
