// npm run bench:issue [-- --n 20000]
// Batch issuance certs/s for N CSRs with a software P-256 key, a software RSA-3072 key and a SoftHSM
// P-256 key, next to the raw signatures/s of the same key (node:crypto; graphene for SoftHSM) and
// `openssl speed`, measured in the same run. Every certificate is verified by our path validator and
// a sample by `openssl verify`.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleService } from '../core/api/console-service.js';
import type { KeyAlgorithm } from '../core/keys/key-algorithm.js';
import { openKey, type KeySecret, type NewKeySpec } from '../core/keys/key-spec.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { fromPemOrDer } from '../core/x509/asn1.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import { validatePath } from '../core/x509/path/index.js';
import { createSoftHsmToken, softHsmAvailable } from '../test/helpers/softhsm.js';
import { fmt, row } from './bench/bench-util.js';

const argv = process.argv.slice(2);
const N = Number(argv.includes('--n') ? argv[argv.indexOf('--n') + 1] : 20000);
const PASS = 'benchmark passphrase';
const dir = mkdtempSync(join(tmpdir(), 'coldroot-bench-issue-'));

function opensslSpeed(alg: 'ecdsap256' | 'rsa3072'): number {
  const out = execFileSync('openssl', ['speed', '-seconds', '2', alg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out.split('\n').find((l) => (alg === 'rsa3072' ? /^rsa\s+3072/.test(l.trim()) : /nistp256/.test(l)))!;
  const nums = line.trim().split(/\s+/).filter((x) => /^[0-9.]+$/.test(x)).map(Number);
  return nums[nums.length - 2]; // the sign/s column
}

async function makeCsrs(n: number): Promise<Array<{ csr: Uint8Array }>> {
  const out: Array<{ csr: Uint8Array }> = [];
  for (let i = 0; i < n; i++) {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    out.push({ csr: await buildCsr(new SoftwareSigner(k, 'ecdsa-p256', 'software:device'), `CN=device-${String(i).padStart(6, '0')},O=Fleet`, { dns: [`device-${i}.fleet.example`] }) });
  }
  return out;
}

async function rawRate(signer: { signMany?: (x: Uint8Array[]) => Promise<Uint8Array[]>; sign: (x: Uint8Array) => Promise<Uint8Array> }, n: number): Promise<number> {
  const items = Array.from({ length: n }, (_, i) => new Uint8Array(450).fill(i & 0xff));
  const t = performance.now();
  if (signer.signMany) await signer.signMany(items);
  else for (const x of items) await signer.sign(x);
  return n / ((performance.now() - t) / 1000);
}

interface Case { label: string; algorithm: KeyAlgorithm; key: NewKeySpec; secret: KeySecret; n: number; speed: number; rawLabel: string }

try {
  console.log(`bench:issue  N=${fmt(N)}  (node ${process.version}, ${execFileSync('openssl', ['version']).toString().trim()})`);
  console.log('generating CSRs (distinct P-256 subject keys)…');
  const csrs = await makeCsrs(N);
  const cases: Case[] = [
    { label: 'software P-256', algorithm: 'ecdsa-p256', key: { kind: 'software', passphrase: PASS }, secret: { passphrase: PASS }, n: N, speed: opensslSpeed('ecdsap256'), rawLabel: 'node:crypto' },
    { label: 'software RSA-3072', algorithm: 'rsa-3072', key: { kind: 'software', passphrase: PASS }, secret: { passphrase: PASS }, n: Math.min(N, 2000), speed: opensslSpeed('rsa3072'), rawLabel: 'node:crypto' },
  ];
  const hsm = softHsmAvailable();
  if (hsm.ok) {
    const token = createSoftHsmToken({ label: 'bench', pin: '1234' });
    process.env.SOFTHSM2_CONF = token.confPath;
    cases.push({ label: 'SoftHSM P-256', algorithm: 'ecdsa-p256', key: { kind: 'pkcs11', modulePath: token.modulePath, tokenLabel: 'bench', pin: '1234' }, secret: { pin: '1234' }, n: N, speed: cases[0].speed, rawLabel: 'graphene' });
  } else console.log(`SoftHSM case skipped: ${hsm.reason}`);

  const widths = [18, 8, 12, 16, 7, 14, 34];
  const lines = [row(['key', 'certs', 'issued/s', 'raw sig/s', 'ratio', 'openssl speed', 'verified'], widths)];
  for (const c of cases) {
    const home = join(dir, c.label.replace(/\W+/g, '-'));
    const svc = ConsoleService.open({ home, operator: 'bench', create: true });
    svc.initialize();
    const ca = await svc.createRootCa({ name: `CN=Bench ${c.label}`, algorithm: c.algorithm, key: c.key });
    const signer = await openKey(ca.keyUri, c.algorithm, c.secret, svc.store.keysDir);
    const raw = await rawRate(signer as never, c.n);
    await signer.close();
    const t = performance.now();
    const r = await svc.issueBatch({ caId: ca.id, secret: c.secret, profile: 'device-management', csrs: csrs.slice(0, c.n) });
    const rate = c.n / ((performance.now() - t) / 1000);
    svc.close();
    // Correctness is never traded for speed: our validator checks every certificate, openssl a sample.
    const anchor = fromPemOrDer(ca.certificatePem!, ['CERTIFICATE'])[0];
    const at = new Date(Date.now() + 60_000);
    const bad = r.issued.filter((x) => !validatePath({ leaf: fromPemOrDer(x.certificatePem, ['CERTIFICATE'])[0], trustAnchors: [anchor], at, purpose: 'clientAuth' }).ok).length;
    writeFileSync(join(dir, 'ca.pem'), ca.certificatePem!);
    const sample = r.issued.filter((_, i) => i % Math.ceil(r.issued.length / 100) === 0).map((x, i) => { const f = join(dir, `s${i}.pem`); writeFileSync(f, x.certificatePem); return f; });
    const ossl = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslclient', ...sample], { encoding: 'utf8' });
    const osslOk = ossl.split('\n').filter((l) => l.endsWith(': OK')).length;
    const verified = `ours ${fmt(r.issued.length - bad)}/${fmt(r.issued.length)}, openssl ${osslOk}/${sample.length}`;
    lines.push(row([c.label, fmt(r.issued.length), fmt(rate), `${fmt(raw)} ${c.rawLabel}`, `${((100 * rate) / raw).toFixed(0)}%`, fmt(c.speed), verified], widths));
    if (r.rejected.length || bad) throw new Error(`${c.label}: ${r.rejected.length} rejected, ${bad} failed validation`);
  }
  console.log(lines.join('\n'));
  console.log('issued/s: issueBatch end to end (CSR parse + signature check, profile, TBS, sign, store in one transaction); ratio = issued/s ÷ raw sig/s.');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
