import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import tar from 'tar-stream';
import type { BundleRejection } from '../bundle-rejection.js';
import { TarReader, type TarHeader } from './tar-reader.js';

type Entry = { name: string; data?: string; type?: 'file' | 'symlink' | 'directory' | 'link'; linkname?: string; pax?: Record<string, string> };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c); })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mtime: new Date('2026-03-02T00:00:00Z'), pax: e.pax }, e.data ?? '', (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Reads every member, feeding the archive in `chunk`-byte pieces (to cross every boundary). */
async function readAll(buf: Uint8Array, chunk = 7, maxBytes = 1 << 30): Promise<Array<TarHeader & { data: string }>> {
  async function* source() { for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk); }
  const r = new TarReader(source(), { maxBytes });
  const out: Array<TarHeader & { data: string }> = [];
  for (let h = await r.next(); h; h = await r.next()) {
    const parts: Uint8Array[] = [];
    for await (const p of r.content()) parts.push(new Uint8Array(p));
    out.push({ ...h, data: Buffer.concat(parts).toString() });
  }
  return out;
}

const rejects = (code: string, message?: RegExp) => (e: BundleRejection) => e.code === code && (!message || message.test(e.message));

describe('TarReader', () => {
  test('reads members in order with exact content, across any chunking', async () => {
    const buf = await makeTar([{ name: 'manifest.json', data: '{"a":1}\n' }, { name: 'dir/b.txt', data: 'x'.repeat(1000) }, { name: 'empty' }]);
    for (const chunk of [1, 7, 512, 100_000]) {
      const got = await readAll(buf, chunk);
      assert.deepEqual(got.map((e) => [e.name, e.size, e.typeflag, e.data.length]), [['manifest.json', 8, '0', 8], ['dir/b.txt', 1000, '0', 1000], ['empty', 0, '0', 0]]);
      assert.equal(got[1].offset, 1024);
    }
  });

  test('GNU tar layout (checksum NUL then space, record padding of zeros) is accepted', async () => {
    const buf = await makeTar([{ name: 'a', data: 'hello' }]);
    const gnu = Buffer.concat([buf, Buffer.alloc(10240 - buf.length)]);
    gnu.write('\u0000 ', 148 + 6, 'latin1');
    assert.equal((await readAll(gnu))[0].data, 'hello');
  });

  test('a wrong checksum, or a checksum field in any other layout, is refused', async () => {
    const buf = await makeTar([{ name: 'a', data: 'hello' }]);
    const flipped = Buffer.from(buf);
    flipped[20] ^= 1;
    await assert.rejects(readAll(flipped), rejects('BUNDLE_ARCHIVE_INVALID', /checksum/));
    const layout = Buffer.from(buf);
    layout.write('  ', 148 + 6, 'latin1');
    await assert.rejects(readAll(layout), rejects('BUNDLE_ARCHIVE_INVALID', /checksum/));
  });

  test('non-zero padding and data after the end marker are refused', async () => {
    const buf = await makeTar([{ name: 'a', data: 'hello' }]);
    const pad = Buffer.from(buf);
    pad[512 + 100] = 1;
    await assert.rejects(readAll(pad), rejects('BUNDLE_ARCHIVE_INVALID', /padding/));
    await assert.rejects(readAll(Buffer.concat([buf, Buffer.from('trailing')])), rejects('BUNDLE_ARCHIVE_INVALID', /after its end-of-archive/));
    const half = Buffer.from(buf);
    half[buf.length - 1] = 7;
    await assert.rejects(readAll(half), rejects('BUNDLE_ARCHIVE_INVALID'));
  });

  test('truncation anywhere is BUNDLE_TRUNCATED', async () => {
    const buf = await makeTar([{ name: 'a', data: 'hello world' }, { name: 'b', data: 'x'.repeat(700) }]);
    for (const cut of [0, 100, 512, 600, 1536, 2000, buf.length - 512, buf.length - 1]) {
      await assert.rejects(readAll(buf.subarray(0, cut)), rejects('BUNDLE_TRUNCATED'), `cut at ${cut}`);
    }
  });

  test('links, directories and pax headers surface as their type for the caller to refuse', async () => {
    const got = await readAll(await makeTar([{ name: 'l', type: 'symlink', linkname: '/etc/passwd' }, { name: 'd/', type: 'directory' }, { name: 'p', data: 'x', pax: { comment: 'hi' } }]));
    assert.deepEqual(got.map((e) => [e.typeflag, e.linkname]), [['2', '/etc/passwd'], ['5', ''], ['x', ''], ['0', '']]);
    assert.deepEqual(got.slice(0, 2).map((e) => e.name), ['l', 'd/']);
  });

  test('the byte limit stops reading', async () => {
    const buf = await makeTar([{ name: 'a', data: 'x'.repeat(5000) }]);
    await assert.rejects(readAll(buf, 512, 4096), rejects('BUNDLE_TOO_LARGE'));
  });

  test('garbage is not an archive', async () => {
    await assert.rejects(readAll(Buffer.alloc(1024, 0x41)), rejects('BUNDLE_ARCHIVE_INVALID'));
  });
});
