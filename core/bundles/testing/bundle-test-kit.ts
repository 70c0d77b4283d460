import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleService } from '../../api/console-service.js';
import type { CaSummary } from '../../ca/create-ca.js';
import { SoftwareSigner } from '../../keys/software-signer.js';
import { fromPemOrDer } from '../../x509/asn1.js';
import { buildCsr } from '../../x509/csr-builder.js';
import type { BundleType } from '../bundle-format.js';
import { writeBundle, type BundleFileSource, type WrittenBundle } from '../bundle-writer.js';
import type { SigningIdentity } from '../cms/cms-sign.js';
import type { MetricsFormat } from '../payloads/metrics-reader.js';
import { METRICS_SCHEMA_V1, type MetricSample } from '../payloads/metrics-schema.js';
import { MetricsFileWriter } from '../payloads/metrics-writer.js';
import { RISK_REPORT_FILE, RISK_REPORT_SCHEMA_V1, type RiskReportFile } from '../payloads/risk-report.js';
import { derivedKey } from '../simulation/fleet-simulator.js';
import { generateSamples, makeHosts } from '../simulation/metric-generator.js';

/*
 * A small PKI and bundle factory for tests: a home with a root and a device CA (software keys,
 * injected clock), devices with device-management certificates, and a "foreign" device whose CA
 * this home does not trust.
 */

export const TEST_PASSPHRASE = 'bundle test passphrase';
export const TEST_START = new Date('2026-03-02T00:00:00Z');

export interface TestDevice extends SigningIdentity {
  name: string;
  serial: string;
  sha256: string;
  caId: string;
  signer: SoftwareSigner;
}

export interface BundleTestKit {
  dir: string;
  svc: ConsoleService;
  root: CaSummary;
  deviceCa: CaSummary;
  clock: { now: Date };
  device(name: string, opts?: { profile?: string }): Promise<TestDevice>;
  foreignDevice(name: string): Promise<TestDevice>;
  close(): void;
}

async function issueDevice(svc: ConsoleService, ca: CaSummary, name: string, seed: string, profile = 'device-management'): Promise<TestDevice> {
  const signer = new SoftwareSigner(derivedKey(7, `${seed}/${name}`), 'ecdsa-p256', `software:test-${name}`);
  const c = await svc.issueCertificate({ caId: ca.id, secret: { passphrase: TEST_PASSPHRASE }, profile, csr: await buildCsr(signer, `CN=${name}`) });
  const chain = ca.kind === 'intermediate' ? [fromPemOrDer(ca.certificatePem!, ['CERTIFICATE'])[0]] : [];
  return { name, signer, certificate: fromPemOrDer(c.certificatePem, ['CERTIFICATE'])[0], chain, serial: c.serial, sha256: c.fingerprintSha256, caId: ca.id };
}

/** `start`: the clock once the CAs exist (they are made a day earlier); tests that run the CLI, whose clock is real, pass a recent time. */
export async function makeBundleTestKit(prefix = 'coldroot-bundle-test-', start = TEST_START): Promise<BundleTestKit> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const clock = { now: new Date(start.getTime() - 86_400_000) };
  const svc = ConsoleService.open({ home: join(dir, 'home'), operator: 'tester', create: true, now: () => clock.now });
  svc.initialize();
  const key = { kind: 'software' as const, passphrase: TEST_PASSPHRASE };
  const root = await svc.createRootCa({ name: 'CN=Bundle Test Root CA,O=Coldroot Tests', algorithm: 'ecdsa-p256', key });
  const deviceCa = await svc.createIntermediateCa({ name: 'CN=Bundle Test Device CA,O=Coldroot Tests', algorithm: 'ecdsa-p256', key, parentId: root.id, parentSecret: { passphrase: TEST_PASSPHRASE } });
  let foreign: { svc: ConsoleService; ca: CaSummary } | null = null;
  clock.now = start;
  return {
    dir, svc, root, deviceCa, clock,
    device: (name, opts) => issueDevice(svc, deviceCa, name, 'home', opts?.profile),
    async foreignDevice(name) {
      if (!foreign) {
        const fsvc = ConsoleService.open({ home: join(dir, 'foreign-home'), operator: 'stranger', create: true, now: () => clock.now });
        fsvc.initialize();
        // Same subject names as the trusted CAs: only the keys tell them apart.
        const froot = await fsvc.createRootCa({ name: 'CN=Bundle Test Root CA,O=Coldroot Tests', algorithm: 'ecdsa-p256', key });
        foreign = { svc: fsvc, ca: froot };
      }
      return issueDevice(foreign.svc, foreign.ca, name, 'foreign');
    },
    close() {
      svc.close();
      (foreign as { svc: ConsoleService } | null)?.svc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` realistic samples (one host, consecutive intervals from TEST_START). */
export function testSamples(count: number, seed = 1, host = 0): MetricSample[] {
  const h = makeHosts(host + 1, seed)[host];
  h.cert = 'c'.repeat(64);
  return [...generateSamples(h, { start: TEST_START, steps: count, intervalS: 300, seed })];
}

export interface MetricsBundleOptions {
  sequence: number;
  format?: MetricsFormat;
  samples?: MetricSample[];
  rows?: number;
  bundleId?: string;
  createdAt?: Date;
  /** Overrides the record count the manifest declares. */
  records?: number;
}

/** A signed metrics bundle written to `file`. */
export async function writeMetricsBundle(file: string, identity: SigningIdentity, o: MetricsBundleOptions): Promise<WrittenBundle> {
  const format = o.format ?? 'csv';
  const payload = `${file}.payload.${format}.gz`;
  const w = new MetricsFileWriter(payload, format);
  for (const s of o.samples ?? testSamples(o.rows ?? 20, o.sequence)) await w.write(s);
  const { records } = await w.close();
  try {
    return await writeBundle(file, { type: 'metrics', identity, sequence: o.sequence, createdAt: o.createdAt ?? TEST_START, bundleId: o.bundleId, files: [{ name: `metrics.${format}.gz`, path: payload, schema: METRICS_SCHEMA_V1, records: o.records ?? records }] });
  } finally {
    rmSync(payload, { force: true });
  }
}

export function sampleRiskReport(cert = 'c'.repeat(64)): RiskReportFile {
  return {
    reports: [{
      host: 'web-0001.fleet.example', cert, computedAt: '2026-03-02T12:00:00Z', window: { from: '2026-03-01T12:00:00Z', to: '2026-03-02T12:00:00Z' },
      model: { name: 'isolation-forest', version: '1' }, score: 0.82, level: 'high',
      anomalies: [{ kind: 'handshake-failure-spike', metric: 'hs_failed', at: '2026-03-02T09:05:00Z', score: 0.91, detail: 'hs_failed 14x the seasonal baseline' }],
    }],
  };
}

/** Any bundle from files given in memory (JSON values are serialized). */
export function writeTestBundle(file: string, identity: SigningIdentity, type: BundleType, sequence: number, files: Array<BundleFileSource & { json?: unknown }>, extra: { bundleId?: string; createdAt?: Date; inReplyTo?: string } = {}): Promise<WrittenBundle> {
  return writeBundle(file, {
    type, identity, sequence, createdAt: extra.createdAt ?? TEST_START, bundleId: extra.bundleId ?? randomUUID(), inReplyTo: extra.inReplyTo,
    files: files.map(({ json, ...f }) => (json === undefined ? f : { ...f, data: new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`) })),
  });
}

export function writeRiskReportBundle(file: string, identity: SigningIdentity, sequence: number, report: RiskReportFile = sampleRiskReport()): Promise<WrittenBundle> {
  return writeTestBundle(file, identity, 'risk-report', sequence, [{ name: RISK_REPORT_FILE, schema: RISK_REPORT_SCHEMA_V1, records: report.reports.length, json: report }]);
}
