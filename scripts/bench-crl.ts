// npm run bench:crl [-- --sizes 100000,1000000 --ocsp 100000]
// CRL generation from the inventory at 100k and 1M revoked entries: seconds and peak memory, next to
// `openssl ca -gencrl` over the same entries in the same run; every CRL is verified (openssl and ours).
// OCSP presign of 100k certificates next to the raw signature rate and the raw rate of creating as
// many files (one response per file) in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleService } from '../core/api/console-service.js';
import { describeCertificate, readCertificates } from '../core/x509/certificate-info.js';
import { certificateFields } from '../core/x509/certificate-fields.js';
import { readChildren, readTlv, splitSigned } from '../core/x509/der-reader.js';
import { checkOcspResponse } from '../core/x509/ocsp-verify.js';
import { openKey } from '../core/keys/key-spec.js';
import { describePublicKey } from '../core/x509/public-key.js';
import { verifySignature } from '../core/x509/signature.js';
import { fmt, row, timed } from './bench/bench-util.js';

const PASS = 'benchmark passphrase';
const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);

if (args[0] === '--child-ocsp') {
  const [, home, caId, out] = args;
  const svc = ConsoleService.open({ home, operator: 'bench' });
  const t = performance.now();
  const r = await svc.presignOcsp({ caId, secret: { passphrase: PASS }, outDir: out });
  const seconds = (performance.now() - t) / 1000;
  svc.close();
  process.stdout.write(JSON.stringify({ seconds, responses: r.responses }));
  process.exit(0);
}

if (args[0] === '--child-publish') {
  // Runs in its own process so its peak RSS is the CRL's alone.
  const [, home, caId, out] = args;
  const svc = ConsoleService.open({ home, operator: 'bench' });
  const t = performance.now();
  const crl = await svc.publishCrl({ caId, secret: { passphrase: PASS } });
  const seconds = (performance.now() - t) / 1000;
  writeFileSync(out, crl.der);
  svc.close();
  process.stdout.write(JSON.stringify({ seconds, entries: crl.revokedCount, bytes: crl.der.length }));
  process.exit(0);
}

const sizes = (args[args.indexOf('--sizes') + 1] && args.includes('--sizes') ? args[args.indexOf('--sizes') + 1] : '100000,1000000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'coldroot-bench-crl-'));
try {
  console.log(`bench:crl  (node ${process.version}, ${execFileSync('openssl', ['version']).toString().trim()})`);
  console.log(row(['entries', 'coldroot s', 'peak MiB', 'openssl s', 'peak MiB', 'ratio', 'DER MB', 'verified'], [10, 11, 9, 10, 9, 7, 8, 30]));
  for (const n of sizes) {
    const home = join(dir, `home-${n}`);
    const svc = ConsoleService.open({ home, operator: 'bench', create: true });
    svc.initialize();
    const ca = await svc.createRootCa({ name: `CN=CRL Bench ${n}`, algorithm: 'ecdsa-p256', key: { kind: 'software', passphrase: PASS } });
    // Synthetic revoked inventory rows (issuing a million certificates is bench:issue's job).
    const index: string[] = [];
    const insert = svc.store.db.prepare("INSERT INTO certificates (ca_id, serial, profile, subject, sans, not_before, not_after, fingerprint_sha256, der, status, revoked_at, revocation_reason, issued_at) VALUES (?, ?, 'device-management', ?, '[]', ?, ?, ?, ?, 'revoked', ?, ?, ?)");
    const reasons = ['keyCompromise', 'superseded', 'cessationOfOperation', 'unspecified'];
    const revokedAt = '2026-11-01T10:00:00.000Z';
    svc.store.db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const b = randomBytes(16);
        b[0] |= 0x01;
        const serial = b.toString('hex').replace(/^0/, '');
        const reason = reasons[i % reasons.length];
        insert.run(ca.id, serial, `CN=device-${i}`, '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', createHash('sha256').update(b).digest('hex'), b, revokedAt, reason, revokedAt);
        index.push(`R\t270101000000Z\t261101100000Z${reason === 'unspecified' ? '' : `,${reason}`}\t${serial.length % 2 ? `0${serial}` : serial}\tunknown\t/CN=device-${i}`);
      }
    })();
    svc.close();

    const ours = join(dir, `ours-${n}.crl`);
    const r = timed(process.execPath, ['--import', 'tsx', self, '--child-publish', home, ca.id, ours]);
    if (r.status !== 0) throw new Error(r.stderr);
    const child = JSON.parse(r.stdout) as { seconds: number; entries: number; bytes: number };

    // The same entries through openssl ca -gencrl with the same key.
    const ref = join(dir, `ref-${n}`);
    writeFileSync(join(dir, 'ca.pem'), ca.certificatePem!);
    execFileSync('openssl', ['pkey', '-in', join(home, 'keys', `${ca.id}.key.pem`), '-passin', `pass:${PASS}`, '-out', join(dir, 'ca.key')]);
    writeFileSync(`${ref}.index`, index.join('\n') + '\n');
    writeFileSync(`${ref}.cnf`, `[ca]\ndefault_ca=x\n[x]\ndatabase=${ref}.index\ncrlnumber=${ref}.num\ndefault_md=sha256\ndefault_crl_days=7\n`);
    writeFileSync(`${ref}.num`, '01\n');
    const o = timed('openssl', ['ca', '-gencrl', '-config', `${ref}.cnf`, '-keyfile', join(dir, 'ca.key'), '-cert', join(dir, 'ca.pem'), '-out', `${ref}.crl`, '-batch']);
    if (o.status !== 0) throw new Error(`openssl ca -gencrl failed: ${o.stderr}`);

    // Verification: openssl checks the signature; ours checks the signature and every entry against the inventory.
    const v = timed('openssl', ['crl', '-inform', 'DER', '-in', ours, '-CAfile', join(dir, 'ca.pem'), '-noout']);
    const der = readFileSync(ours);
    const parts = splitSigned(der);
    const caSpki = describeCertificate(readCertificates(ca.certificatePem!)[0]).spki;
    const okSig = verifySignature('1.2.840.10045.4.3.2', describePublicKey(caSpki).key, parts.tbs, parts.signature);
    const fields = readChildren(parts.tbs, readTlv(parts.tbs));
    const entries = readChildren(parts.tbs, fields[5]).length;
    const verified = `${/verify OK/.test(v.stderr + v.stdout) ? 'openssl OK' : 'openssl FAIL'}, ours ${okSig && entries === n ? 'OK' : 'FAIL'} (${fmt(entries)})`;
    console.log(row([fmt(n), child.seconds.toFixed(2), r.peakMiB?.toFixed(0) ?? 'n/a', o.seconds.toFixed(2), o.peakMiB?.toFixed(0) ?? 'n/a', (o.seconds / child.seconds).toFixed(2), (child.bytes / 1e6).toFixed(1), verified], [10, 11, 9, 10, 9, 7, 8, 30]));
    rmSync(home, { recursive: true, force: true });
  }
  console.log('coldroot s: publishCrl (read inventory, encode, sign, store) in its own process; peak MiB: that process; ratio: openssl s / coldroot s.');

  // OCSP: pre-sign a response for every certificate of a 100,000-certificate CA.
  const ocspN = Number(args.includes('--ocsp') ? args[args.indexOf('--ocsp') + 1] : 100000);
  {
    const home = join(dir, 'home-ocsp');
    const svc = ConsoleService.open({ home, operator: 'bench', create: true });
    svc.initialize();
    const ca = await svc.createRootCa({ name: 'CN=OCSP Bench', algorithm: 'ecdsa-p256', key: { kind: 'software', passphrase: PASS } });
    const insert = svc.store.db.prepare("INSERT INTO certificates (ca_id, serial, profile, subject, sans, not_before, not_after, fingerprint_sha256, der, status, revoked_at, revocation_reason, issued_at) VALUES (?, ?, 'device-management', 'CN=d', '[]', 'a', 'b', ?, ?, ?, ?, ?, 'c')");
    const serials: string[] = [];
    svc.store.db.transaction(() => {
      for (let i = 0; i < ocspN; i++) {
        const b = randomBytes(16);
        b[0] |= 0x01;
        const serial = b.toString('hex').replace(/^0/, '');
        serials.push(serial);
        const revoked = i % 50 === 0;
        insert.run(ca.id, serial, createHash('sha256').update(b).digest('hex'), b, revoked ? 'revoked' : 'good', revoked ? '2026-11-01T10:00:00.000Z' : null, revoked ? 'keyCompromise' : null);
      }
    })();
    const signer = await openKey(ca.keyUri, 'ecdsa-p256', { passphrase: PASS }, svc.store.keysDir);
    svc.close();
    const probe = new Uint8Array(200).fill(1);
    const t = performance.now();
    for (let i = 0; i < 20000; i++) await signer.sign(probe);
    const raw = 20000 / ((performance.now() - t) / 1000);
    await signer.close();
    const out = join(dir, 'ocsp');
    const r = timed(process.execPath, ['--import', 'tsx', self, '--child-ocsp', home, ca.id, out]);
    if (r.status !== 0) throw new Error(r.stderr);
    const child = JSON.parse(r.stdout) as { seconds: number; responses: number };
    // Every response checked by our verifier; a sample by openssl ocsp.
    const caDer = readCertificates(ca.certificatePem!)[0];
    const info = describeCertificate(caDer);
    const fields = certificateFields(caDer);
    const issuerCheck = { nameDer: fields.subject, keyHash: describePublicKey(info.spki).keyIdentifier, key: describePublicKey(info.spki).key };
    let good = 0;
    for (const s of serials) {
      const c = checkOcspResponse(readFileSync(join(out, `${s}.der`)), issuerCheck);
      if (c.ok && c.serial === s) good++;
    }
    writeFileSync(join(dir, 'ocsp-ca.pem'), ca.certificatePem!);
    let osslOk = 0;
    for (const s of serials.slice(0, 20)) {
      const o = spawnSync('openssl', ['ocsp', '-respin', join(out, `${s}.der`), '-issuer', join(dir, 'ocsp-ca.pem'), '-CAfile', join(dir, 'ocsp-ca.pem'), '-no_nonce', '-serial', `0x${s}`], { encoding: 'utf8' });
      if (/Response verify OK/.test(o.stderr + o.stdout) && /: (good|revoked)/.test(o.stdout)) osslOk++;
    }
    // The other reference: one file per response, so creating that many files in one folder of the
    // same file system, with nothing else to do, bounds the rate too (it varies run to run on a VM disk).
    const files = join(dir, 'files');
    mkdirSync(files);
    const sample = readFileSync(join(out, `${serials[1]}.der`));
    const tf = performance.now();
    for (const s of serials) writeFileSync(join(files, `${s}.der`), sample, { flag: 'wx' });
    const fileRate = serials.length / ((performance.now() - tf) / 1000);
    rmSync(files, { recursive: true, force: true });
    const rate = child.responses / child.seconds;
    const widths = [15, 8, 12, 10, 6, 13, 6, 9, 30];
    console.log('');
    console.log(row(['OCSP responses', 'seconds', 'responses/s', 'raw sig/s', 'ratio', 'file writes/s', 'ratio', 'peak MiB', 'verified'], widths));
    console.log(row([fmt(child.responses), child.seconds.toFixed(2), fmt(rate), fmt(raw), `${((100 * rate) / raw).toFixed(0)}%`, fmt(fileRate), `${((100 * rate) / fileRate).toFixed(0)}%`, r.peakMiB?.toFixed(0) ?? 'n/a', `ours ${fmt(good)}/${fmt(ocspN)}, openssl ${osslOk}/20`], widths));
    console.log('raw sig/s: one thread signing with node:crypto; file writes/s: writeFileSync of as many files of that size into one new folder, nothing else done.');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
