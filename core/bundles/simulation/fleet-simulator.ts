import { createECDH, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsoleService } from '../../api/console-service.js';
import { ColdrootError } from '../../errors.js';
import { SoftwareSigner } from '../../keys/software-signer.js';
import { fromPemOrDer } from '../../x509/asn1.js';
import { writeBundle } from '../bundle-writer.js';
import type { SigningIdentity } from '../cms/cms-sign.js';
import type { MetricsFormat } from '../payloads/metrics-reader.js';
import { METRICS_SCHEMA_V1 } from '../payloads/metrics-schema.js';
import { MetricsFileWriter } from '../payloads/metrics-writer.js';
import { createFleetPki } from './fleet-pki.js';
import { generateSamples, makeHosts, type HostProfile, type MetricScenario } from './metric-generator.js';

export interface FleetOptions {
  hosts: number;
  days: number;
  seed: number;
  /** A new or empty folder. */
  out: string;
  /** First sample time (UTC midnight); default 2026-01-05 (a Monday), so runs are reproducible. */
  start?: Date;
  intervalS?: number;
  format?: MetricsFormat;
  /** host-day: one bundle per host per day (an agent's daily upload); day: one per day for the fleet, signed by a collector. */
  bundleBy?: 'host-day' | 'day';
  scenarios?: readonly MetricScenario[];
  onProgress?: (message: string) => void;
}

export interface FleetSummary {
  out: string;
  home: string;
  passphrase: string;
  seed: number;
  start: string;
  days: number;
  intervalS: number;
  format: MetricsFormat;
  bundleBy: 'host-day' | 'day';
  rootCaId: string;
  deviceCaId: string;
  samples: number;
  bundles: string[];
  hosts: Array<{ host: string; role: HostProfile['role']; deviceCertificateSha256: string; tlsCertificateSha256: string }>;
}

export const DEFAULT_START = new Date('2026-01-05T00:00:00Z');
/** Lab passphrase of the simulator's CA keys: the fleet is synthetic and so is its PKI. */
export const FLEET_PASSPHRASE = 'coldroot fleet simulator (lab only)';
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** A P-256 key derived from the seed: the same fleet gets the same keys on every run. */
export function derivedKey(seed: number, label: string): KeyObject {
  for (let counter = 0; ; counter++) {
    const d = createHash('sha256').update(`coldroot-fleet/${seed}/${label}/${counter}`).digest();
    const k = BigInt(`0x${d.toString('hex')}`);
    if (k === 0n || k >= P256_ORDER) continue;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const pub = ecdh.getPublicKey();
    const b64 = (b: Buffer) => b.toString('base64url');
    return createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64(d), x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33, 65)) }, format: 'jwk' });
  }
}

/** A UUID (version 4 layout) derived from text, so bundle ids repeat with the seed. */
export function derivedUuid(text: string): string {
  const h = createHash('sha256').update(text).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Makes a synthetic fleet: a Coldroot home with a test root and device CA, a device-management
 * and a TLS certificate for every host (keys derived from the seed), and signed metric bundles
 * with daily and weekly traffic patterns. Metric payloads are byte-identical for the same seed and
 * options; certificates and signatures differ between runs (random serials, ECDSA).
 */
export async function simulateFleet(o: FleetOptions): Promise<FleetSummary> {
  const check = (ok: boolean, what: string) => { if (!ok) throw new ColdrootError('BAD_FLEET_OPTION', what, 'See: npm run fleet:simulate -- --help'); };
  check(Number.isInteger(o.hosts) && o.hosts >= 1 && o.hosts <= 1_000_000, `--hosts ${o.hosts} must be 1..1000000`);
  check(Number.isInteger(o.days) && o.days >= 1 && o.days <= 3660, `--days ${o.days} must be 1..3660`);
  check(Number.isSafeInteger(o.seed), `--seed ${o.seed} must be a whole number`);
  const start = o.start ?? DEFAULT_START;
  const intervalS = o.intervalS ?? 300;
  check(86_400 % intervalS === 0, `--interval ${intervalS} must divide a day`);
  const format = o.format ?? 'csv';
  const bundleBy = o.bundleBy ?? 'host-day';
  if (existsSync(o.out) && readdirSync(o.out).length) throw new ColdrootError('OUTPUT_EXISTS', `Output folder ${o.out} is not empty`, 'Give a new or empty folder');
  const progress = o.onProgress ?? (() => undefined);
  for (const d of ['ca', 'bundles', 'tmp']) mkdirSync(join(o.out, d), { recursive: true });

  let clock = new Date(start.getTime() - 86_400_000);
  const home = join(o.out, 'console-home');
  const svc = ConsoleService.open({ home, operator: 'fleet-simulator', create: true, now: () => clock });
  try {
    svc.initialize();
    const pki = await createFleetPki(svc, o.seed, FLEET_PASSPHRASE);
    writeFileSync(join(o.out, 'ca', 'root.pem'), pki.root.certificatePem!);
    writeFileSync(join(o.out, 'ca', 'device-ca.pem'), pki.deviceCa.certificatePem!);
    clock = start;

    const hosts = makeHosts(o.hosts, o.seed);
    const collector = bundleBy === 'day' ? 'collector-01.fleet.example' : null;
    const signerFor = (label: string) => new SoftwareSigner(derivedKey(o.seed, label), 'ecdsa-p256', `software:${label}`);
    progress(`issuing ${hosts.length + (collector ? 1 : 0)} device and ${hosts.length} TLS certificates`);
    const deviceNames = [...hosts.map((h) => h.host), ...(collector ? [collector] : [])];
    const deviceSigners = deviceNames.map((n) => signerFor(`device/${n}`));
    const devices = await pki.issue(deviceNames.map((n, i) => ({ label: `device/${n}`, subject: `CN=${n}`, profile: 'device-management' as const, signer: deviceSigners[i] })));
    // TLS certificates live 397 days (the CA/Browser Forum maximum) so a long simulation does not outlive them.
    const tls = await pki.issue(hosts.map((h) => ({ label: `tls/${h.host}`, subject: `CN=${h.host}`, sans: { dns: [h.host] }, profile: 'tls-server' as const, signer: signerFor(`tls/${h.host}`), validity: '397d' })));
    const chain = [fromPemOrDer(pki.deviceCa.certificatePem!, ['CERTIFICATE'])[0]];
    const identities = new Map<string, SigningIdentity & { sha256: string }>();
    deviceNames.forEach((n, i) => identities.set(`device/${n}`, { signer: deviceSigners[i], certificate: devices[i].der, chain, sha256: devices[i].sha256 }));
    hosts.forEach((h, i) => { h.cert = tls[i].sha256; });

    const stepsPerDay = 86_400 / intervalS;
    const bundles: string[] = [];
    let samples = 0;
    let tmpCount = 0;
    const writeMetricsBundle = async (file: string, identity: SigningIdentity, sequence: number, seed: string, createdAt: Date, members: HostProfile[], firstStep: number) => {
      const tmp = join(o.out, 'tmp', `${tmpCount++}.metrics.${format}.gz`);
      const w = new MetricsFileWriter(tmp, format);
      for (const h of members) {
        for (const s of generateSamples(h, { start, steps: stepsPerDay, firstStep, intervalS, seed: o.seed, scenarios: o.scenarios })) await w.write(s);
      }
      const { records } = await w.close();
      mkdirSync(join(file, '..'), { recursive: true });
      await writeBundle(file, { type: 'metrics', identity, sequence, createdAt, bundleId: derivedUuid(seed), files: [{ name: `metrics.${format}.gz`, path: tmp, schema: METRICS_SCHEMA_V1, records }] });
      rmSync(tmp);
      samples += records;
      bundles.push(file);
    };
    for (let d = 0; d < o.days; d++) {
      const dayStart = new Date(start.getTime() + d * 86_400_000);
      const createdAt = new Date(dayStart.getTime() + 86_400_000);
      clock = createdAt;
      progress(`day ${d + 1}/${o.days} (${day(dayStart)})`);
      if (collector) {
        await writeMetricsBundle(join(o.out, 'bundles', `${day(dayStart)}.tar`), identities.get(`device/${collector}`)!, d + 1, `${o.seed}/${collector}/${d + 1}`, createdAt, hosts, d * stepsPerDay);
      } else {
        for (const h of hosts) {
          await writeMetricsBundle(join(o.out, 'bundles', day(dayStart), `${h.host}.tar`), identities.get(`device/${h.host}`)!, d + 1, `${o.seed}/${h.host}/${d + 1}`, createdAt, [h], d * stepsPerDay);
        }
      }
    }
    rmSync(join(o.out, 'tmp'), { recursive: true, force: true });
    const summary: FleetSummary = {
      out: o.out, home, passphrase: FLEET_PASSPHRASE, seed: o.seed, start: start.toISOString(), days: o.days, intervalS, format, bundleBy,
      rootCaId: pki.root.id, deviceCaId: pki.deviceCa.id, samples, bundles,
      hosts: hosts.map((h) => ({ host: h.host, role: h.role, deviceCertificateSha256: identities.get(`device/${h.host}`)!.sha256, tlsCertificateSha256: h.cert })),
    };
    writeFileSync(join(o.out, 'fleet.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    svc.close();
  }
}
