import { reject } from '../bundle-rejection.js';

const BLOCK = 512;

/** One archive member as its header describes it. */
export interface TarHeader {
  /** The full path (ustar prefix + name), decoded as Latin-1 so every byte stays visible. */
  name: string;
  size: number;
  /** The typeflag character: '0' (or NUL) regular file, '1' hard link, '2' symlink, '5' directory, 'x' pax, 'L' GNU long name… */
  typeflag: string;
  linkname: string;
  /** Byte offset of the header block in the archive. */
  offset: number;
}

export const TYPE_NAMES: Readonly<Record<string, string>> = {
  '0': 'regular file', '\0': 'regular file', '1': 'hard link', '2': 'symbolic link', '3': 'character device', '4': 'block device',
  '5': 'directory', '6': 'FIFO', '7': 'contiguous file', x: 'pax extended header', g: 'pax global header', L: 'GNU long name', K: 'GNU long link name',
};

/**
 * A strict, streaming ustar reader. It accepts exactly what a plain `tar` writes for regular
 * files (POSIX ustar or GNU magic, checksums right, zero padding, the two zero blocks at the end
 * and nothing but zeros after them) and leaves the judgement of entry types and names to the
 * caller. It never holds more than one source chunk and one header in memory.
 */
export class TarReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private ended = false;
  private remaining = 0;
  private padding = 0;
  private offset = 0;
  /** Bytes pulled from the source so far. */
  bytesRead = 0;

  constructor(source: AsyncIterable<Uint8Array>, private readonly opts: { maxBytes: number; onChunk?: (chunk: Uint8Array) => void }) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const c = r.value instanceof Uint8Array ? r.value : new Uint8Array(r.value as ArrayBufferLike);
    this.bytesRead += c.length;
    if (this.bytesRead > this.opts.maxBytes) reject('BUNDLE_TOO_LARGE', `The bundle is larger than the limit of ${this.opts.maxBytes} bytes`);
    this.opts.onChunk?.(c);
    this.chunk = c;
    this.pos = 0;
    return true;
  }

  /** Up to `max` bytes without copying, or null at the end of the source. */
  private async some(max: number): Promise<Uint8Array | null> {
    while (this.pos >= this.chunk.length) if (!(await this.pull())) return null;
    const n = Math.min(max, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return out;
  }

  private async exactly(n: number, what: string): Promise<Uint8Array> {
    const first = await this.some(n);
    if (first && first.length === n) return first;
    const out = new Uint8Array(n);
    let got = 0;
    for (let part = first; part; part = got < n ? await this.some(n - got) : null) {
      out.set(part, got);
      got += part.length;
    }
    if (got < n) reject('BUNDLE_TRUNCATED', `The archive ends in the middle of ${what} (at byte ${this.offset})`);
    return out;
  }

  /** The next member's header, or null after a valid end-of-archive marker. */
  async next(): Promise<TarHeader | null> {
    if (this.remaining > 0 || this.padding > 0) await this.skip();
    const at = this.offset;
    const block = await this.some(BLOCK).then((b) => (b && b.length === BLOCK ? b : this.finishBlock(b, at)));
    if (block === null) reject('BUNDLE_TRUNCATED', `The archive ends at byte ${at} without its end-of-archive marker`);
    if (isZero(block)) {
      const second = await this.exactly(BLOCK, 'the end-of-archive marker');
      if (!isZero(second)) reject('BUNDLE_ARCHIVE_INVALID', `The end-of-archive marker at byte ${at} is followed by a non-zero block`);
      for (let rest = await this.some(1 << 20); rest; rest = await this.some(1 << 20)) {
        if (!isZero(rest)) reject('BUNDLE_ARCHIVE_INVALID', `The archive has data after its end-of-archive marker (at byte ${this.offset - rest.length})`);
      }
      return null;
    }
    const header = parseHeader(block, at);
    this.remaining = header.size;
    this.padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
    return header;
  }

  private async finishBlock(first: Uint8Array | null, at: number): Promise<Uint8Array | null> {
    if (first === null) return null;
    const out = new Uint8Array(BLOCK);
    out.set(first, 0);
    let got = first.length;
    while (got < BLOCK) {
      const part = await this.some(BLOCK - got);
      if (!part) reject('BUNDLE_TRUNCATED', `The archive ends inside the header block at byte ${at}`);
      out.set(part, got);
      got += part.length;
    }
    return out;
  }

  /** The current member's content, in source-sized chunks; the zero padding after it is checked. */
  async *content(): AsyncGenerator<Uint8Array> {
    while (this.remaining > 0) {
      const part = await this.some(this.remaining);
      if (!part) reject('BUNDLE_TRUNCATED', `The archive ends inside a member, ${this.remaining} bytes short (at byte ${this.offset})`);
      this.remaining -= part.length;
      yield part;
    }
    await this.checkPadding();
  }

  /** The current member's content in one buffer (only for small members: the caller checked the size). */
  async readAll(what: string): Promise<Uint8Array> {
    const data = await this.exactly(this.remaining, what);
    const copy = new Uint8Array(data);
    this.remaining = 0;
    await this.checkPadding();
    return copy;
  }

  /** Consumes whatever is left of the current member, handing it to `sink` (e.g. a hash). */
  async skip(sink?: (chunk: Uint8Array) => void): Promise<void> {
    for await (const part of this.content()) sink?.(part);
  }

  private async checkPadding(): Promise<void> {
    if (this.padding === 0) return;
    const at = this.offset;
    const pad = await this.exactly(this.padding, 'the padding after a member');
    this.padding = 0;
    if (!isZero(pad)) reject('BUNDLE_ARCHIVE_INVALID', `The padding after the member ending at byte ${at} is not zero`);
  }
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function field(b: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && b[end] !== 0) end++;
  return Buffer.from(b.subarray(start, end)).toString('latin1');
}

function octal(b: Uint8Array, start: number, len: number, what: string, at: number): number {
  if (b[start] & 0x80) reject('BUNDLE_ARCHIVE_INVALID', `The ${what} of the member at byte ${at} uses the base-256 form, which bundles never need`);
  const text = field(b, start, len).replace(/ +$/, '').replace(/^ +/, '');
  if (!/^[0-7]{1,12}$/.test(text)) reject('BUNDLE_ARCHIVE_INVALID', `The ${what} field of the member at byte ${at} is not octal ('${text}')`);
  return parseInt(text, 8);
}

function parseHeader(b: Uint8Array, at: number): TarHeader {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  // The checksum field is outside the sum, so its layout is held exact: six octal digits, then NUL and space in either order.
  const field148 = Buffer.from(b.subarray(148, 156)).toString('latin1');
  if (!/^[0-7]{6}(?: \u0000|\u0000 )$/.test(field148) || parseInt(field148.slice(0, 6), 8) !== sum) {
    reject('BUNDLE_ARCHIVE_INVALID', `The header at byte ${at} has a wrong checksum: the archive is damaged or not a tar file`);
  }
  const magic = Buffer.from(b.subarray(257, 265)).toString('latin1');
  const posix = magic === 'ustar\u000000';
  if (!posix && magic !== 'ustar  \u0000') reject('BUNDLE_ARCHIVE_INVALID', `The header at byte ${at} is not ustar (magic ${JSON.stringify(magic)})`);
  const name = field(b, 0, 100);
  const prefix = posix ? field(b, 345, 155) : '';
  return {
    name: prefix ? `${prefix}/${name}` : name,
    size: octal(b, 124, 12, 'size', at),
    typeflag: String.fromCharCode(b[156]),
    linkname: field(b, 157, 100),
    offset: at,
  };
}
