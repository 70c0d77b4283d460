import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeBundle } from '../bundles/bundle-writer.js';
import type { SigningIdentity } from '../bundles/cms/cms-sign.js';
import { METRICS_SCHEMA_V1 } from '../bundles/payloads/metrics-schema.js';
import { MetricsFileWriter } from '../bundles/payloads/metrics-writer.js';
import { renewalRequestFile } from '../bundles/payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../bundles/payloads/renewal-request.js';
import { RISK_REPORT_FILE, RISK_REPORT_SCHEMA_V1, type RiskReport } from '../bundles/payloads/risk-report.js';
import { derivedKey, derivedUuid } from '../bundles/simulation/fleet-simulator.js';
import { generateSamples, makeHosts } from '../bundles/simulation/metric-generator.js';
import { ColdrootError } from '../errors.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { fromPemOrDer } from '../x509/asn1.js';
import { buildCsr } from '../x509/csr-builder.js';
import type { ConsoleService } from './console-service.js';

/** Lab passphrase of the demo CAs: the demo fleet is synthetic and so is its PKI. */
export const DEMO_PASSPHRASE = 'coldroot demo fleet (lab only)';
export const DEMO_ROOT = 'CN=Coldroot Demo Root CA,O=Coldroot Demo';
export const DEMO_DEVICE_CA = 'CN=Coldroot Demo Device CA,O=Coldroot Demo';
const SEED = 8;
const INTERVAL_S = 900;
const DAY = 86_400_000;

export interface DemoFleetSummary {
  rootCaId: string;
  deviceCaId: string;
  hosts: number;
  certificates: number;
  revoked: number;
  bundlesImported: number;
  metricRows: number;
  inbox: string;
  passphrase: string;
}

const der = (pem: string) => fromPemOrDer(pem, ['CERTIFICATE'])[0];

/**
 * A demo fleet in the console's own home, so every screen has data on a first run: a root and a
 * device CA on software keys (the lab passphrase above), device and TLS certificates for `hosts`
 * simulated hosts (keys and traffic from the fleet simulator), two revocations and CRLs, and
 * signed bundles: two days of metrics, risk reports and renewal requests, imported through the
 * normal import path. The third day's metrics bundle stays in <home>/demo-fleet/inbox for the
 * operator to import by hand on the Import screen.
 */
export async function loadDemoFleet(svc: ConsoleService, hosts: number, progress: (done: number, total: number, message: string) => void = () => undefined): Promise<DemoFleetSummary> {
  const now = svc.ctx.now();
  const dir = join(svc.store.home, 'demo-fleet');
  const inbox = join(dir, 'inbox');
  const work = join(dir, 'work');
  const steps = 9;
  progress(0, steps, 'creating the demo root and device CAs');
  const key = { kind: 'software' as const, passphrase: DEMO_PASSPHRASE };
  const secret = { passphrase: DEMO_PASSPHRASE };
  const root = await svc.createRootCa({ name: DEMO_ROOT, algorithm: 'ecdsa-p384', key, validityDays: 7305 });
  const deviceCa = await svc.createIntermediateCa({
    name: DEMO_DEVICE_CA, algorithm: 'ecdsa-p256', key, parentId: root.id, parentSecret: secret,
    crlUrl: 'http://pki.demo.example/device-ca.crl', ocspUrl: 'http://ocsp.demo.example', caIssuersUrl: 'http://pki.demo.example/device-ca.crt',
  });
  mkdirSync(inbox, { recursive: true });
  mkdirSync(work, { recursive: true });

  progress(1, steps, `issuing device and TLS certificates for ${hosts} hosts`);
  const fleet = makeHosts(hosts, SEED);
  const collector = 'collector-01.fleet.example';
  const signerOf = (label: string) => new SoftwareSigner(derivedKey(SEED, label), 'ecdsa-p256', `software:${label}`);
  const deviceCsrs = await Promise.all([...fleet.map((h) => h.host), collector].map(async (n) => ({ csr: await buildCsr(signerOf(`device/${n}`), `CN=${n}`), source: n })));
  const tlsCsrs = await Promise.all(fleet.map(async (h) => ({ csr: await buildCsr(signerOf(`tls/${h.host}`), `CN=${h.host}`, { dns: [h.host] }), source: h.host })));
  const devices = await svc.issueBatch({ caId: deviceCa.id, secret, profile: 'device-management', csrs: deviceCsrs });
  const tls = await svc.issueBatch({ caId: deviceCa.id, secret, profile: 'tls-server', csrs: tlsCsrs });
  if (devices.rejected.length || tls.rejected.length) {
    throw new ColdrootError('DEMO_FLEET_FAILED', `The demo fleet's requests were refused: ${[...devices.rejected, ...tls.rejected][0].message}`, 'Report this as a Coldroot fault', 'failure');
  }
  fleet.forEach((h, i) => { h.cert = tls.issued[i].fingerprintSha256; });
  const tlsBy = new Map(tls.issued.map((c) => [c.source, c]));

  progress(2, steps, 'revoking two certificates and publishing CRLs');
  let revoked = 0;
  for (const [i, reason] of [[1, 'keyCompromise'], [3, 'superseded']] as const) {
    if (!fleet[i]) continue;
    svc.revokeCertificate({ caId: deviceCa.id, serial: devices.issued[i].serial, reason });
    revoked++;
  }
  await svc.publishCrl({ caId: deviceCa.id, secret });
  await svc.publishCrl({ caId: root.id, secret, nextUpdateHours: 24 * 90 });

  const collectorCert = devices.issued[devices.issued.length - 1];
  const identity: SigningIdentity = { signer: signerOf(`device/${collector}`), certificate: der(collectorCert.certificatePem), chain: [der(deviceCa.certificatePem!)] };
  const day0 = new Date(Math.floor(now.getTime() / DAY) * DAY - 3 * DAY);
  const stepsPerDay = DAY / 1000 / INTERVAL_S;
  const bundles: string[] = [];
  let metricRows = 0;
  for (let d = 0; d < 3; d++) {
    progress(3 + d, steps, `writing the metrics bundle of day ${d + 1} of 3`);
    const payload = join(work, `day-${d + 1}.metrics.csv.gz`);
    const w = new MetricsFileWriter(payload, 'csv');
    for (const h of fleet) for (const s of generateSamples(h, { start: day0, steps: stepsPerDay, firstStep: d * stepsPerDay, intervalS: INTERVAL_S, seed: SEED })) await w.write(s);
    const { records } = await w.close();
    const file = join(d < 2 ? work : inbox, `metrics-${new Date(day0.getTime() + d * DAY).toISOString().slice(0, 10)}.tar`);
    await writeBundle(file, {
      type: 'metrics', identity, sequence: d + 1, createdAt: new Date(Math.min(day0.getTime() + (d + 1) * DAY, now.getTime())), bundleId: derivedUuid(`demo/${root.serial}/metrics/${d}`),
      files: [{ name: 'metrics.csv.gz', path: payload, schema: METRICS_SCHEMA_V1, records }],
    });
    rmSync(payload);
    if (d < 2) {
      bundles.push(file);
      metricRows += records;
    }
  }

  progress(6, steps, 'writing risk reports and renewal requests');
  const risky = fleet.slice(0, Math.min(fleet.length, 6));
  const levels = ['critical', 'high', 'high', 'medium', 'low', 'low'] as const;
  const reports: RiskReport[] = risky.map((h, i) => ({
    host: h.host, cert: h.cert, computedAt: new Date(day0.getTime() + 2 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    window: { from: day0.toISOString().replace(/\.\d{3}Z$/, 'Z'), to: new Date(day0.getTime() + 2 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    model: { name: 'agent-baseline', version: '1' }, score: [0.93, 0.81, 0.74, 0.52, 0.18, 0.07][i], level: levels[i],
    anomalies: i < 4 ? [{ kind: ['new-client-ip-burst', 'handshake-failure-spike', 'cpu-saturation', 'validation-errors'][i], metric: ['client_ips_new', 'hs_failed', 'cpu_pct', 'cert_validation_errors'][i], at: new Date(day0.getTime() + DAY + 3600_000 * (3 + i)).toISOString().replace(/\.\d{3}Z$/, 'Z'), score: [0.95, 0.88, 0.71, 0.55][i], detail: 'demo fleet: reported by the host agent' }] : [],
  }));
  const riskFile = join(work, 'risk-report.tar');
  await writeBundle(riskFile, { type: 'risk-report', identity, sequence: 4, createdAt: now, files: [{ name: RISK_REPORT_FILE, schema: RISK_REPORT_SCHEMA_V1, records: reports.length, data: json({ reports }) }] });
  bundles.push(riskFile);

  const renewing = fleet.slice(0, Math.min(fleet.length, 3));
  const requests = await renewalRequestFile(await Promise.all(renewing.map(async (h, i) => ({
    requestId: `renew-${i + 1}`, host: h.host, profile: 'tls-server', reason: i === 0 ? 'risk' as const : 'expiring' as const,
    csr: await buildCsr(signerOf(`tls-next/${h.host}`), `CN=${h.host}`, { dns: [h.host] }),
    proof: { kind: 'current-certificate' as const, certificate: der(tlsBy.get(h.host)!.certificatePem), key: signerOf(`tls/${h.host}`) },
  }))));
  const requestFile = join(work, 'renewal-request.tar');
  await writeBundle(requestFile, { type: 'renewal-request', identity, sequence: 5, createdAt: now, files: [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: requests.requests.length, data: json(requests) }] });
  bundles.push(requestFile);

  progress(7, steps, `importing ${bundles.length} bundles`);
  const outcomes = await svc.importBundles(bundles);
  const refused = outcomes.find((o) => o.status === 'rejected');
  if (refused && refused.status === 'rejected') throw new ColdrootError('DEMO_FLEET_FAILED', `A demo bundle was rejected: ${refused.code}: ${refused.message}`, 'Report this as a Coldroot fault', 'failure');
  rmSync(work, { recursive: true, force: true });
  progress(steps, steps, 'done');
  return {
    rootCaId: root.id, deviceCaId: deviceCa.id, hosts, certificates: devices.issued.length + tls.issued.length + 2, revoked, bundlesImported: bundles.length, metricRows,
    inbox, passphrase: DEMO_PASSPHRASE,
  };
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}
