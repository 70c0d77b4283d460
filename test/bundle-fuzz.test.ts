// Bundle fuzzing: valid bundles, mutated in every way the issue lists (and a few more), must each be
// rejected with the right reason while the database stays byte-for-byte as it was.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import tar from 'tar-stream';
import { importBundle } from '../core/bundles/bundle-import.js';
import { serializeManifest, type Manifest } from '../core/bundles/bundle-format.js';
import { signDetached, type SigningIdentity } from '../core/bundles/cms/cms-sign.js';
import { CSV_HEADER } from '../core/bundles/payloads/metrics-validate.js';
import { csvLine } from '../core/bundles/payloads/metrics-writer.js';
import { renewalRequestFile } from '../core/bundles/payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../core/bundles/payloads/renewal-request.js';
import { derivedKey } from '../core/bundles/simulation/fleet-simulator.js';
import { makeBundleTestKit, sampleRiskReport, TEST_PASSPHRASE, TEST_START, testSamples, writeMetricsBundle, writeRiskReportBundle, writeTestBundle, type BundleTestKit, type TestDevice } from '../core/bundles/testing/bundle-test-kit.js';
import { SeededRandom } from '../core/models/seeded-random.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { databaseFingerprint } from '../core/store/database.js';
import { describeCertificate } from '../core/x509/certificate-info.js';
import { buildCsr } from '../core/x509/csr-builder.js';

const SEED = Number(process.env.BUNDLE_FUZZ_SEED ?? 20260302);
let kit: BundleTestKit;
let a: TestDevice, b: TestDevice, revoked: TestDevice, foreign: TestDevice;
let fingerprint: string;
const base = new Map<string, Buffer>();
let dir: string;
let caseNo = 0;
const tally = new Map<string, number>();

interface Member { name: string; header: Buffer; data: Buffer }

/** The members of a bundle as written (header block, content), and the archive rebuilt from them. */
function members(buf: Buffer): Member[] {
  const out: Member[] = [];
  for (let off = 0; off + 512 <= buf.length && buf[off] !== 0;) {
    const header = buf.subarray(off, off + 512);
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim(), 8);
    out.push({ name: header.subarray(0, 100).toString('latin1').replace(/\0.*$/, ''), header, data: buf.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function rebuild(ms: Member[]): Buffer {
  return Buffer.concat([...ms.flatMap((m) => [m.header, m.data, Buffer.alloc((512 - (m.data.length % 512)) % 512)]), Buffer.alloc(1024)]);
}

/** Regions of an archive: [start, end) byte ranges by kind. */
function regions(buf: Buffer): Record<'header' | 'manifest' | 'signature' | 'payload' | 'padding' | 'end', Array<[number, number]>> {
  const r = { header: [] as Array<[number, number]>, manifest: [] as Array<[number, number]>, signature: [] as Array<[number, number]>, payload: [] as Array<[number, number]>, padding: [] as Array<[number, number]>, end: [] as Array<[number, number]> };
  let off = 0;
  for (const m of members(buf)) {
    r.header.push([off, off + 512]);
    const data: [number, number] = [off + 512, off + 512 + m.data.length];
    (m.name === 'manifest.json' ? r.manifest : m.name === 'manifest.p7s' ? r.signature : r.payload).push(data);
    const padded = off + 512 + Math.ceil(m.data.length / 512) * 512;
    if (padded > data[1]) r.padding.push([data[1], padded]);
    off = padded;
  }
  r.end.push([off, buf.length]);
  return r;
}

async function packTar(entries: Array<{ name: string; data?: Uint8Array | string; type?: 'file' | 'symlink' | 'link' | 'directory'; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c); })();
  for (const e of entries) await new Promise<void>((res, rej) => pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mtime: TEST_START }, e.data ?? '', (err) => (err ? rej(err) : res())));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A bundle built by hand: any manifest, signed by `id`, members in the given order. */
async function craft(id: SigningIdentity, manifest: Record<string, unknown>, files: Array<{ name: string; data: Uint8Array; schema?: string }>, opts: { raw?: boolean } = {}): Promise<Buffer> {
  const withHashes = { ...manifest, files: (manifest.files as unknown[] | undefined) ?? files.map((f) => ({ name: f.name, size: f.data.length, sha256: sha(f.data), ...(f.schema ? { schema: f.schema } : {}) })) };
  const bytes = opts.raw ? new TextEncoder().encode(JSON.stringify(withHashes)) : serializeManifest(withHashes as Manifest);
  const p7s = await signDetached(bytes, id, TEST_START);
  return packTar([{ name: 'manifest.json', data: bytes }, { name: 'manifest.p7s', data: p7s }, ...files.map(({ name, data }) => ({ name, data }))]);
}

const sha = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');

function manifestFor(id: TestDevice, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { subject, issuer, serial } = describeCertificate(id.certificate);
  return { type: 'metrics', formatVersion: 1, bundleId: randomUUID(), producer: { certificateSha256: id.sha256, subject, issuer, serial }, sequence: 100 + caseNo, createdAt: TEST_START.toISOString(), ...extra };
}

/** Imports `bytes` and asserts a rejection with one of `codes`, the database untouched. */
async function expectRejected(label: string, bytes: Uint8Array, codes: string[], opts: { limits?: Record<string, number>; message?: RegExp } = {}): Promise<void> {
  const file = join(dir, `case-${caseNo++}.tar`);
  writeFileSync(file, bytes);
  const r = await importBundle(kit.svc.ctx, file, { quarantine: false, parallel: 'never', limits: opts.limits });
  assert.equal(r.status, 'rejected', `${label}: ${JSON.stringify(r)}`);
  if (r.status !== 'rejected') return;
  assert.ok(codes.includes(r.code), `${label}: expected ${codes.join(' or ')}, got ${r.code}: ${r.message}`);
  if (opts.message) assert.match(r.message, opts.message, label);
  assert.equal(databaseFingerprint(kit.svc.store.db), fingerprint, `${label}: the database changed`);
  tally.set(label.replace(/ #\d+.*$/, ''), (tally.get(label.replace(/ #\d+.*$/, '')) ?? 0) + 1);
}

before(async () => {
  kit = await makeBundleTestKit('coldroot-bundle-fuzz-');
  dir = join(kit.dir, 'cases');
  mkdirSync(dir);
  [a, b, revoked] = [await kit.device('device-a'), await kit.device('device-b'), await kit.device('device-revoked')];
  foreign = await kit.foreignDevice('device-a');
  const file = (n: string) => join(kit.dir, `${n}.tar`);
  await writeMetricsBundle(file('m1'), a, { sequence: 1, rows: 20 });
  await writeMetricsBundle(file('m2'), b, { sequence: 1, rows: 20, format: 'ndjson' });
  await writeMetricsBundle(file('m3'), a, { sequence: 2, rows: 25 });
  await writeRiskReportBundle(file('r1'), a, 3);
  await writeRiskReportBundle(file('r2'), b, 2, sampleRiskReport('d'.repeat(64)));
  const newKey = new SoftwareSigner(derivedKey(3, 'renewed'), 'ecdsa-p256', 'software:renewed');
  const requests = await renewalRequestFile([{ requestId: 'b-device', host: 'device-b', profile: 'device-management', reason: 'expiring', csr: await buildCsr(newKey, 'CN=device-b'), proof: { kind: 'current-certificate', certificate: b.certificate, key: b.signer } }]);
  await writeTestBundle(file('q1'), b, 'renewal-request', 3, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1, json: requests }]);
  await writeMetricsBundle(file('from-revoked'), revoked, { sequence: 1, rows: 5 });
  for (const n of ['m1', 'm2', 'm3', 'r1', 'r2', 'q1', 'from-revoked']) base.set(n, readFileSync(file(n)));
  // State before fuzzing: one bundle imported, one device revoked, and a second device CA revoked by the root.
  const first = await importBundle(kit.svc.ctx, file('m1'));
  assert.equal(first.status, 'accepted', JSON.stringify(first));
  kit.svc.revokeCertificate({ caId: kit.deviceCa.id, serial: revoked.serial, reason: 'keyCompromise' });
  fingerprint = databaseFingerprint(kit.svc.store.db);
});

after(() => {
  if (process.env.BUNDLE_FUZZ_TALLY) console.log([...tally].map(([k, v]) => `${v}\t${k}`).join('\n'));
  kit.close();
});

describe(`bundle fuzzing (seed ${SEED}; set BUNDLE_FUZZ_SEED to replay)`, () => {
  test('the unmutated bundles are accepted (so every rejection below comes from its mutation)', async () => {
    for (const n of ['m2', 'm3', 'r1', 'q1']) {
      const out = await kit.svc.inspectBundle(join(kit.dir, `${n}.tar`));
      assert.equal(out.verdict, 'valid', `${n}: ${JSON.stringify(out.failure)}`);
    }
    assert.equal((await kit.svc.inspectBundle(join(kit.dir, 'm1.tar'))).verdict, 'known');
    assert.equal(databaseFingerprint(kit.svc.store.db), fingerprint);
  });

  test('byte flips in every part of the archive', async () => {
    const rng = new SeededRandom(SEED, 1);
    const expected = { header: ['BUNDLE_ARCHIVE_INVALID'], manifest: ['BUNDLE_SIGNATURE_INVALID'], signature: ['BUNDLE_SIGNATURE_INVALID', 'BUNDLE_PRODUCER_MISMATCH', 'BUNDLE_SIGNER_UNTRUSTED'], payload: ['BUNDLE_HASH_MISMATCH'], padding: ['BUNDLE_ARCHIVE_INVALID'], end: ['BUNDLE_ARCHIVE_INVALID'] };
    const counts = { header: 30, manifest: 30, signature: 50, payload: 50, padding: 20, end: 15 };
    for (const name of ['m2', 'm3', 'r1', 'q1']) {
      const buf = base.get(name)!;
      const reg = regions(buf);
      for (const [kind, n] of Object.entries(counts) as Array<[keyof typeof counts, number]>) {
        for (let i = 0; i < n; i++) {
          const [s, e] = reg[kind][rng.nextInt(reg[kind].length)];
          const at = s + rng.nextInt(e - s);
          const mutated = Buffer.from(buf);
          mutated[at] ^= 1 + rng.nextInt(255);
          await expectRejected(`flip ${kind} #${i} of ${name} at ${at}`, mutated, expected[kind]);
        }
      }
    }
  });

  test('truncation at random points', async () => {
    const rng = new SeededRandom(SEED, 2);
    for (const name of ['m2', 'm3', 'r1', 'q1']) {
      const buf = base.get(name)!;
      for (let i = 0; i < 25; i++) {
        const cut = i === 0 ? 0 : rng.nextInt(buf.length);
        await expectRejected(`truncate #${i} of ${name} at ${cut}`, buf.subarray(0, cut), ['BUNDLE_TRUNCATED']);
      }
    }
  });

  test('reordered and duplicated members', async () => {
    for (const name of ['m2', 'm3', 'r1', 'q1']) {
      const ms = members(base.get(name)!);
      for (let i = 0; i + 1 < ms.length; i++) {
        const swapped = [...ms];
        [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
        await expectRejected(`reorder #${i} of ${name}`, rebuild(swapped), ['BUNDLE_ENTRY_ORDER']);
      }
      await expectRejected(`reorder #r of ${name}`, rebuild([...ms].reverse()), ['BUNDLE_ENTRY_ORDER']);
      for (let i = 0; i < ms.length; i++) {
        await expectRejected(`duplicate #${i} of ${name}`, rebuild([...ms.slice(0, i + 1), ms[i], ...ms.slice(i + 1)]), ['BUNDLE_DUPLICATE_ENTRY']);
        await expectRejected(`duplicate #${i} at the end of ${name}`, rebuild([...ms, ms[i]]), ['BUNDLE_DUPLICATE_ENTRY']);
      }
      await expectRejected(`missing payload of ${name}`, rebuild(ms.slice(0, 2)), ['BUNDLE_MISSING_ENTRY']);
      await expectRejected(`missing signature of ${name}`, rebuild([ms[0], ...ms.slice(2)]), ['BUNDLE_ENTRY_ORDER']);
    }
  });

  test('payloads and manifests swapped between bundles', async () => {
    const pairs: Array<[string, string]> = [['m1', 'm3'], ['m3', 'm1'], ['r1', 'r2'], ['r2', 'r1']];
    for (const [into, from] of pairs) {
      const target = members(base.get(into)!);
      const source = members(base.get(from)!);
      const payload = { ...target[2], data: source[2].data, header: Buffer.from(source[2].header) };
      await expectRejected(`swap payload ${from} into ${into}`, rebuild([target[0], target[1], payload]), ['BUNDLE_SIZE_MISMATCH', 'BUNDLE_HASH_MISMATCH']);
      await expectRejected(`swap manifest ${from} into ${into}`, rebuild([source[0], target[1], target[2]]), ['BUNDLE_SIGNATURE_INVALID']);
      await expectRejected(`swap signature ${from} into ${into}`, rebuild([target[0], source[1], target[2]]), ['BUNDLE_SIGNATURE_INVALID']);
    }
  });

  test('re-signed by an untrusted, revoked, unknown or expired producer', async () => {
    const w = (n: string) => join(dir, `${n}-${caseNo}.tar`);
    const foreignBundle = w('foreign');
    await writeMetricsBundle(foreignBundle, foreign, { sequence: 1, rows: 5 });
    await expectRejected('untrusted producer (foreign CA with the same names)', readFileSync(foreignBundle), ['BUNDLE_SIGNER_UNTRUSTED'], { message: /does not chain/ });
    const m3 = members(base.get('m3')!);
    const foreignSig = await signDetached(m3[0].data, foreign, TEST_START);
    await expectRejected('manifest re-signed by an untrusted key', rebuild([m3[0], { ...m3[1], data: Buffer.from(foreignSig), header: tarHeaderFor('manifest.p7s', foreignSig.length) }, m3[2]]), ['BUNDLE_PRODUCER_MISMATCH']);
    await expectRejected('producer revoked', base.get('from-revoked')!, ['BUNDLE_PRODUCER_REVOKED'], { message: /revoked at/ });
    // The issuing CA revoked by the root: its devices' bundles go with it.
    const subCa = await kit.svc.createIntermediateCa({ name: 'CN=Revoked Device CA', algorithm: 'ecdsa-p256', key: { kind: 'software', passphrase: TEST_PASSPHRASE }, parentId: kit.root.id, parentSecret: { passphrase: TEST_PASSPHRASE } });
    const underRevoked = await issueFrom(subCa.id, 'device-under-revoked-ca');
    kit.svc.revokeCertificate({ caId: kit.root.id, serial: subCa.serial!, reason: 'cACompromise' });
    fingerprint = databaseFingerprint(kit.svc.store.db);
    const f = w('under-revoked');
    await writeMetricsBundle(f, { ...underRevoked, chain: [] }, { sequence: 1, rows: 5 });
    await expectRejected('issuing CA revoked', readFileSync(f), ['BUNDLE_PRODUCER_REVOKED'], { message: /CA/ });
    const old = kit.clock.now;
    try {
      kit.clock.now = new Date(TEST_START.getTime() + 400 * 86_400_000);
      await expectRejected('producer certificate expired', base.get('m2')!, ['BUNDLE_SIGNER_UNTRUSTED'], { message: /EXPIRED/ });
      kit.clock.now = new Date(TEST_START.getTime() - 30 * 86_400_000);
      await expectRejected('producer certificate not yet valid', base.get('m2')!, ['BUNDLE_SIGNER_UNTRUSTED', 'BUNDLE_CREATED_IN_FUTURE']);
    } finally {
      kit.clock.now = old;
    }
  });

  test('replays', async () => {
    const m1Id = JSON.parse(members(base.get('m1')!)[0].data.toString()).bundleId;
    const f = (n: string) => join(dir, `${n}-${caseNo}.tar`);
    await writeMetricsBundle(f('seq'), a, { sequence: 1, rows: 7 });
    await expectRejected('old sequence number, new bundle id', readFileSync(f('seq')), ['BUNDLE_SEQUENCE_REPLAYED']);
    await writeMetricsBundle(f('id'), a, { sequence: 77, rows: 7, bundleId: m1Id });
    await expectRejected('known bundle id, different content', readFileSync(f('id')), ['BUNDLE_ID_REPLAYED']);
    const m1 = members(base.get('m1')!);
    await expectRejected('the imported bundle with its payload swapped', rebuild([m1[0], m1[1], members(base.get('m3')!)[2]]), ['BUNDLE_SIZE_MISMATCH', 'BUNDLE_HASH_MISMATCH']);
  });

  test('size limits', async () => {
    const m2 = base.get('m2')!;
    const ms = members(m2);
    await expectRejected('bundle over the size limit', m2, ['BUNDLE_TOO_LARGE'], { limits: { maxBundleBytes: m2.length - 1 } });
    await expectRejected('payload over the file limit', m2, ['BUNDLE_ENTRY_TOO_LARGE'], { limits: { maxFileBytes: ms[2].data.length - 1 } });
    await expectRejected('manifest over its limit', m2, ['BUNDLE_ENTRY_TOO_LARGE'], { limits: { maxManifestBytes: 200 } });
    await expectRejected('decompressed size over its limit', m2, ['BUNDLE_DECOMPRESSED_TOO_LARGE'], { limits: { maxDecompressedBytes: 1000 } });
    await expectRejected('a line over the line limit', m2, ['BUNDLE_PAYLOAD_INVALID'], { limits: { maxLineBytes: 100 }, message: /longer than 100 bytes/ });
    const two = await craft(a, manifestFor(a), [{ name: 'metrics-1.ndjson.gz', data: ms[2].data, schema: 'coldroot.metrics.v1' }, { name: 'metrics-2.ndjson.gz', data: ms[2].data, schema: 'coldroot.metrics.v1' }]);
    await expectRejected('too many files', two, ['BUNDLE_TOO_MANY_ENTRIES'], { limits: { maxFiles: 1 } });
  });

  test('gzip bombs', async () => {
    const line = csvLine(testSamples(1)[0]);
    const lines = Buffer.from(`${CSV_HEADER}\n${line.repeat(200_000)}`);
    const bomb = gzipSync(lines, { level: 9 });
    assert.ok(lines.length / bomb.length > 200, `ratio ${lines.length / bomb.length}`);
    await expectRejected('gzip bomb of valid lines', await craftMetrics(bomb, 'metrics.csv.gz', 200_000), ['BUNDLE_DECOMPRESSED_TOO_LARGE'], { message: /gzip bomb/ });
    await expectRejected('gzip bomb of zeros', await craftMetrics(gzipSync(Buffer.alloc(50 * 1024 * 1024), { level: 9 }), 'metrics.csv.gz'), ['BUNDLE_PAYLOAD_INVALID'], { message: /longer than/ });
    await expectRejected('gzip bomb under an absolute limit', await craftMetrics(bomb, 'metrics.csv.gz', 200_000), ['BUNDLE_DECOMPRESSED_TOO_LARGE'], { limits: { maxDecompressedBytes: 5_000_000, maxCompressionRatio: 100_000 }, message: /more than 5000000 bytes/ });
  });

  test('unsafe names, links and other member types', async () => {
    const ms = members(base.get('m2')!);
    const bundleEntries = ms.map((m) => ({ name: m.name, data: m.data }));
    for (const evil of ['../evil', '/etc/cron.d/x', 'a/../../b', 'certs/../../etc/passwd', 'C:/windows/x', 'a\\..\\b', 'a//b', './manifest.json', 'a b', 'x\u0001y']) {
      await expectRejected(`unsafe name ${evil} first`, await packTar([{ name: evil, data: 'x' }, ...bundleEntries]), ['BUNDLE_UNSAFE_PATH']);
      await expectRejected(`unsafe name ${evil} last`, await packTar([...bundleEntries, { name: evil, data: 'x' }]), ['BUNDLE_UNSAFE_PATH']);
    }
    // A tar writer stores a non-ASCII name in a pax header (refused as such); written raw, the name itself is refused.
    await expectRejected('non-ASCII name via pax', await packTar([...bundleEntries, { name: 'ünïcode', data: 'x' }]), ['BUNDLE_ENTRY_TYPE'], { message: /pax/ });
    const raw = rebuild([...ms, { name: 'raw', header: tarHeaderFor(Buffer.from('ünïcode/../../x', 'utf8'), 1), data: Buffer.from('x') }]);
    await expectRejected('non-ASCII name in the header', raw, ['BUNDLE_UNSAFE_PATH']);
    await expectRejected('symlink member', await packTar([...bundleEntries, { name: 'link', type: 'symlink', linkname: '/etc/passwd' }]), ['BUNDLE_ENTRY_TYPE'], { message: /symbolic link/ });
    await expectRejected('hard link member', await packTar([...bundleEntries, { name: 'hard', type: 'link', linkname: 'manifest.json' }]), ['BUNDLE_ENTRY_TYPE'], { message: /hard link/ });
    await expectRejected('directory member', await packTar([{ name: 'payload/', type: 'directory' }, ...bundleEntries]), ['BUNDLE_ENTRY_TYPE']);
    await expectRejected('a symlink in place of the manifest', await packTar([{ name: 'manifest.json', type: 'symlink', linkname: '/tmp/x' }, ...bundleEntries.slice(1)]), ['BUNDLE_ENTRY_TYPE']);
    await expectRejected('an unlisted extra file', await packTar([...bundleEntries, { name: 'notes.txt', data: 'hi' }]), ['BUNDLE_UNEXPECTED_ENTRY']);
  });

  test('forged manifests and payloads signed by a trusted device', async () => {
    const csv = members(base.get('m3')!)[2].data;
    const metricsFile = (extra: Record<string, unknown> = {}) => [{ name: 'metrics.csv.gz', size: csv.length, sha256: sha(csv), schema: 'coldroot.metrics.v1', ...extra }];
    const cases: Array<[string, Record<string, unknown>, Array<{ name: string; data: Uint8Array }>, string[], { raw?: boolean }?]> = [
      ['unknown manifest key', manifestFor(a, { colour: 'blue', files: metricsFile() }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_MANIFEST_INVALID'], { raw: true }],
      ['format version 2', manifestFor(a, { formatVersion: 2, files: metricsFile() }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_FORMAT_UNSUPPORTED'], { raw: true }],
      ['reserved type sync', manifestFor(a, { type: 'sync', files: metricsFile() }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_FORMAT_UNSUPPORTED'], { raw: true }],
      ['manifest not JSON', manifestFor(a), [], ['BUNDLE_MANIFEST_INVALID'], { raw: true }],
      ['a renewal bundle offered to the console', manifestFor(a, { type: 'renewal', files: [{ name: 'renewal.json', size: 2, sha256: sha(Buffer.from('{}')), schema: 'coldroot.renewal.v1' }] }), [{ name: 'renewal.json', data: Buffer.from('{}') }], ['BUNDLE_TYPE_NOT_IMPORTABLE']],
      ['created in the future', manifestFor(a, { createdAt: '2030-01-01T00:00:00.000Z', files: metricsFile() }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_CREATED_IN_FUTURE']],
      ['wrong record count', manifestFor(a, { files: metricsFile({ records: 3 }) }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_PAYLOAD_INVALID']],
      ['missing schema', manifestFor(a, { files: [{ name: 'metrics.csv.gz', size: csv.length, sha256: sha(csv) }] }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_MANIFEST_INVALID']],
      ['a file the type does not hold', manifestFor(a), [{ name: 'payload.bin', data: csv }], ['BUNDLE_MANIFEST_INVALID']],
      ['producer named falsely', manifestFor(a, { producer: { certificateSha256: b.sha256, subject: 'CN=device-b', issuer: 'CN=x', serial: b.serial }, files: metricsFile() }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_PRODUCER_MISMATCH']],
      ['producer subject misnamed', manifestFor(a, { producer: { ...(manifestFor(a).producer as object), subject: 'CN=someone-else' }, files: metricsFile() }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_PRODUCER_MISMATCH']],
      ['duplicate file in manifest', manifestFor(a, { files: [...metricsFile(), ...metricsFile()] }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_MANIFEST_INVALID']],
      ['path traversal in the manifest', manifestFor(a, { files: [{ name: '../metrics.csv.gz', size: csv.length, sha256: sha(csv), schema: 'coldroot.metrics.v1' }] }), [{ name: 'metrics.csv.gz', data: csv }], ['BUNDLE_MANIFEST_INVALID']],
    ];
    for (const [label, manifest, files, codes, opts] of cases) {
      const bytes = label === 'manifest not JSON'
        ? await packTar([{ name: 'manifest.json', data: '{"type":' }, { name: 'manifest.p7s', data: await signDetached(Buffer.from('{"type":'), a, TEST_START) }])
        : await craft(a, manifest, files, opts);
      await expectRejected(label, bytes, codes);
    }
    const bad = (text: string) => craftMetrics(gzipSync(Buffer.from(text)), 'metrics.csv.gz');
    const good = csvLine(testSamples(1)[0]);
    await expectRejected('CSV without its header', await bad(good), ['BUNDLE_PAYLOAD_INVALID'], { message: /header/ });
    await expectRejected('CSV row breaking a rule', await bad(`${CSV_HEADER}\n${good.replace(/,300,/, ',0,')}`), ['BUNDLE_PAYLOAD_INVALID'], { message: /line 2: interval_s/ });
    await expectRejected('CSV with CRLF', await bad(`${CSV_HEADER}\r\n${good}`), ['BUNDLE_PAYLOAD_INVALID']);
    await expectRejected('last line without newline', await bad(`${CSV_HEADER}\n${good.trimEnd()}`), ['BUNDLE_PAYLOAD_INVALID'], { message: /newline/ });
    await expectRejected('not gzip', await craftMetrics(Buffer.from(`${CSV_HEADER}\n${good}`), 'metrics.csv.gz'), ['BUNDLE_PAYLOAD_INVALID'], { message: /gzip/ });
    await expectRejected('NDJSON with an extra field', await craftMetrics(gzipSync(Buffer.from(`${JSON.stringify({ ...JSON.parse(JSON.stringify(testSamples(1)[0])), extra: 1 })}\n`)), 'metrics.ndjson.gz'), ['BUNDLE_PAYLOAD_INVALID'], { message: /unknown field/ });
    const report = sampleRiskReport();
    (report.reports[0] as { score: number }).score = 1.5;
    await expectRejected('risk report without its schema id', await craft(a, manifestFor(a, { type: 'risk-report' }), [{ name: 'risk-report.json', data: Buffer.from(JSON.stringify(sampleRiskReport())) }]), ['BUNDLE_MANIFEST_INVALID'], { message: /schema/ });
    await expectRejected('risk report out of range', await craftWithSchema('risk-report', 'risk-report.json', 'coldroot.risk-report.v1', Buffer.from(JSON.stringify(report))), ['BUNDLE_PAYLOAD_INVALID'], { message: /score/ });
    const q = JSON.parse(members(base.get('q1')!)[2].data.toString());
    const wrongProof = structuredClone(q);
    wrongProof.requests[0].proof.signature = Buffer.alloc(70, 1).toString('base64');
    await expectRejected('renewal request with a false proof', await craftWithSchema('renewal-request', RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1, Buffer.from(JSON.stringify(wrongProof)), b), ['BUNDLE_PAYLOAD_INVALID'], { message: /proof signature/ });
    const badCsr = structuredClone(q);
    badCsr.requests[0].csr = badCsr.requests[0].csr.replace(/[A-Za-z](?=[A-Za-z0-9+/]{40}\n)/, (c: string) => (c === 'A' ? 'B' : 'A'));
    await expectRejected('renewal request with a damaged CSR', await craftWithSchema('renewal-request', RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1, Buffer.from(JSON.stringify(badCsr)), b), ['BUNDLE_PAYLOAD_INVALID'], { message: /CSR/ });
  });

  test('things that are not bundles', async () => {
    const rng = new SeededRandom(SEED, 3);
    await expectRejected('empty file', Buffer.alloc(0), ['BUNDLE_TRUNCATED']);
    await expectRejected('gzip-compressed bundle', gzipSync(base.get('m2')!), ['BUNDLE_ARCHIVE_INVALID']);
    for (let i = 0; i < 10; i++) {
      const junk = Buffer.alloc(512 * (1 + rng.nextInt(8)));
      for (let k = 0; k < junk.length; k++) junk[k] = rng.nextInt(256);
      await expectRejected(`random bytes #${i}`, junk, ['BUNDLE_ARCHIVE_INVALID']);
    }
    await expectRejected('a plain tar of other files', await packTar([{ name: 'readme.txt', data: 'hello' }]), ['BUNDLE_ENTRY_ORDER']);
  });

  test('at least 1,000 cases ran, each rejected with its reason and nothing stored', () => {
    assert.ok(caseNo >= 1000, `${caseNo} cases`);
    const db = new Database(join(kit.dir, 'home', 'coldroot.db'), { readonly: true });
    try {
      assert.equal((db.prepare('SELECT count(*) AS n FROM bundles').get() as { n: number }).n, 1);
      assert.equal((db.prepare('SELECT count(*) AS n FROM metric_samples').get() as { n: number }).n, 20);
    } finally {
      db.close();
    }
    assert.deepEqual(readdirSync(join(kit.dir, 'home')).filter((f) => f === 'quarantine'), []);
  });
});

function tarHeaderFor(name: string | Buffer, size: number): Buffer {
  const h = Buffer.alloc(512);
  (typeof name === 'string' ? Buffer.from(name, 'latin1') : name).copy(h, 0);
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write(`${Math.floor(TEST_START.getTime() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
  h.write('0', 156, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of h) sum += c;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

async function craftMetrics(payload: Buffer, name: string, records?: number): Promise<Buffer> {
  return craft(a, manifestFor(a, { files: [{ name, size: payload.length, sha256: sha(payload), schema: 'coldroot.metrics.v1', ...(records !== undefined ? { records } : {}) }] }), [{ name, data: payload }]);
}

async function craftWithSchema(type: string, name: string, schema: string, data: Buffer, id: TestDevice = a): Promise<Buffer> {
  return craft(id, manifestFor(id, { type, files: [{ name, size: data.length, sha256: sha(data), schema }] }), [{ name, data }]);
}

async function issueFrom(caId: string, name: string): Promise<TestDevice> {
  const signer = new SoftwareSigner(derivedKey(9, name), 'ecdsa-p256', `software:${name}`);
  const c = await kit.svc.issueCertificate({ caId, secret: { passphrase: TEST_PASSPHRASE }, profile: 'device-management', csr: await buildCsr(signer, `CN=${name}`) });
  const { fromPemOrDer } = await import('../core/x509/asn1.js');
  return { name, signer, certificate: fromPemOrDer(c.certificatePem, ['CERTIFICATE'])[0], chain: [], serial: c.serial, sha256: c.fingerprintSha256, caId };
}
