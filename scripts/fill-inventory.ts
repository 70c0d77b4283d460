// npm run fill:inventory -- --home DIR [--count 1000000] [--seed 1]
// Fills a home's inventory with realistic certificate rows by direct SQL (signing a million
// certificates would take twenty minutes and measure the signer, not the console). The home gets
// a lab root and two issuing CAs on software keys; each row carries a real certificate of its
// profile issued by one of them as its DER, so the detail view decodes something genuine (its
// subject is the template's, not the row's: the rows are for measuring lists, filters and search).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConsoleService } from '../core/api/console-service.js';
import { generateKeyObject } from '../core/keys/software-key-store.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import { fromPemOrDer } from '../core/x509/asn1.js';
import { SeededRandom } from '../core/models/seeded-random.js';

export const FILL_PASSPHRASE = 'coldroot fill-inventory (lab only)';

const PROFILES = [
  { name: 'tls-server', share: 0.6, days: 90 },
  { name: 'device-management', share: 0.3, days: 365 },
  { name: 'tls-client', share: 0.095, days: 365 },
  { name: 'emergency', share: 0.004, days: 1 },
  { name: 'code-signing', share: 0.001, days: 365 },
] as const;
const SITES = ['ams', 'fra', 'iad', 'sfo', 'sin', 'syd', 'gru', 'nrt', 'lhr', 'cdg'];
const ROLES = ['web', 'api', 'edge', 'db', 'cache', 'mq', 'iot', 'cam', 'pos', 'vpn'];
const REASONS = ['keyCompromise', 'superseded', 'cessationOfOperation', 'affiliationChanged'];

export interface FillResult { home: string; inserted: number; seconds: number; rowsPerSecond: number; cas: string[] }

/** Adds `count` rows to the home (creating it and its CAs when new). */
export async function fillInventory(home: string, count: number, seed = 1, now = new Date(), onProgress?: (done: number) => void): Promise<FillResult> {
  const fresh = !existsSync(home);
  const svc = ConsoleService.open({ home, operator: 'fill-inventory', create: true });
  try {
    svc.initialize();
    const key = { kind: 'software' as const, passphrase: FILL_PASSPHRASE };
    const secret = { passphrase: FILL_PASSPHRASE };
    let cas = svc.listCas().filter((c) => c.kind === 'intermediate');
    if (fresh || cas.length === 0) {
      const root = await svc.createRootCa({ name: `CN=Fill Root CA ${seed},O=Coldroot Bench`, algorithm: 'ecdsa-p256', key });
      for (const n of ['Web', 'Device']) {
        await svc.createIntermediateCa({ name: `CN=Fill ${n} Issuing CA ${seed},O=Coldroot Bench`, algorithm: 'ecdsa-p256', key, parentId: root.id, parentSecret: secret });
      }
      cas = svc.listCas().filter((c) => c.kind === 'intermediate');
    }
    const templates = new Map<string, Buffer>();
    for (const p of PROFILES) {
      const signer = new SoftwareSigner(generateKeyObject('ecdsa-p256'), 'ecdsa-p256', 'software:fill-template');
      const cn = `template-${p.name}.fleet.example`;
      const issued = await svc.issueCertificate({ caId: cas[0].id, secret, profile: p.name, csr: await buildCsr(signer, `CN=${cn}`, p.name === 'code-signing' ? {} : { dns: [cn] }) });
      templates.set(p.name, Buffer.from(fromPemOrDer(issued.certificatePem, ['CERTIFICATE'])[0]));
    }

    // The indexes take random inserts (serials, fingerprints, search terms): keep them in memory.
    svc.store.db.pragma('cache_size = -1048576');
    svc.store.db.pragma('synchronous = OFF');
    const rng = new SeededRandom(seed);
    const insert = svc.store.db.prepare(`INSERT INTO certificates (ca_id, serial, profile, subject, sans, not_before, not_after, fingerprint_sha256, der, status, revoked_at, revocation_reason, issued_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const base = svc.info().certificates;
    const t0 = performance.now();
    const chunk = 50_000;
    for (let done = 0; done < count;) {
      const n = Math.min(chunk, count - done);
      svc.store.transaction(() => {
        for (let i = 0; i < n; i++) {
          const k = base + done + i;
          let r = rng.nextFloat();
          const profile = PROFILES.find((p) => (r -= p.share) < 0) ?? PROFILES[0];
          const site = SITES[k % SITES.length];
          const role = ROLES[Math.floor(rng.nextFloat() * ROLES.length)];
          const host = `${role}-${String(k).padStart(7, '0')}.${site}.fleet.example`;
          const serialBytes = createHash('sha256').update(`fill/${seed}/${k}`).digest().subarray(0, 16);
          serialBytes[0] |= 0x40;
          const serial = serialBytes.toString('hex');
          // Issued over the last two years; most still valid, some expired, a few expiring this month.
          const notBefore = new Date(now.getTime() - Math.floor(rng.nextFloat() * Math.min(profile.days, 730) * 86_400_000) - (rng.nextFloat() < 0.15 ? 400 * 86_400_000 : 0));
          const notAfter = new Date(notBefore.getTime() + profile.days * 86_400_000);
          const revoked = rng.nextFloat() < 0.02;
          const caId = cas[profile.name === 'device-management' ? cas.length - 1 : 0].id;
          const subject = profile.name === 'device-management' ? `CN=${host}` : `CN=${host},O=Example Fleet,C=NL`;
          const sans = profile.name === 'code-signing' ? [] : [`DNS:${host}`, ...(role === 'web' ? [`DNS:www-${k}.example.com`] : [])];
          insert.run(caId, serial, profile.name, subject, JSON.stringify(sans), notBefore.toISOString(), notAfter.toISOString(),
            createHash('sha256').update(serialBytes).update(String(seed)).digest('hex'), templates.get(profile.name)!, revoked ? 'revoked' : 'good',
            revoked ? new Date(notBefore.getTime() + 86_400_000).toISOString() : null, revoked ? REASONS[k % REASONS.length] : null, notBefore.toISOString());
        }
        if (done + n === count) {
          svc.store.audit.append({ actor: 'fill-inventory', action: 'bench.fill-inventory', inputs: {}, outcome: 'ok', details: { rows: count, seed } }, new Date());
        }
      });
      done += n;
      onProgress?.(done);
    }
    svc.store.db.exec('ANALYZE');
    const seconds = (performance.now() - t0) / 1000;
    return { home, inserted: count, seconds, rowsPerSecond: Math.round(count / seconds), cas: cas.map((c) => c.id) };
  } finally {
    svc.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { home: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' } } });
  if (!values.home) {
    console.error('usage: npm run fill:inventory -- --home DIR [--count 1000000] [--seed 1]');
    process.exit(2);
  }
  const count = Number(values.count ?? 1_000_000);
  const r = await fillInventory(values.home, count, Number(values.seed ?? 1), new Date(), (d) => process.stderr.write(`\r${d.toLocaleString('en')} / ${count.toLocaleString('en')}`));
  process.stderr.write('\n');
  console.log(`${r.inserted.toLocaleString('en')} certificates in ${r.seconds.toFixed(1)} s (${r.rowsPerSecond.toLocaleString('en')} rows/s) into ${r.home}`);
  console.log(`explore: npx coldroot serve --home ${r.home}   (CA passphrase: '${FILL_PASSPHRASE}')`);
}
