import { open, stat } from 'node:fs/promises';

/** Where reading of one log file stopped: the file's identity and the byte after the last whole line read. */
export interface LogCursor {
  dev: number;
  ino: number;
  offset: number;
}

export interface TailResult {
  lines: string[];
  cursor: LogCursor | null;
  /** Why reading started where it did. */
  start: 'first-sight' | 'continued' | 'rotated' | 'truncated' | 'missing';
  /** True when maxBytes stopped the read before the end (the rest is read next time). */
  more: boolean;
}

export const DEFAULT_TAIL_MAX_BYTES = 32 * 1024 * 1024;
/** A line longer than this is cut (a log line is not a payload; this bounds memory on a garbled file). */
export const MAX_LINE_CHARS = 16 * 1024;

/**
 * Reads the whole lines appended to `path` since `cursor`. A file seen for the first time is read
 * from its end (its history belongs to no window), unless `fromStart`. A different inode (the log
 * was rotated and re-created) or a file shorter than the offset (truncated in place, copytruncate)
 * is read from 0. A partial last line is left for the next call. A missing file gives no lines and
 * keeps the cursor (it may be mid-rotation).
 */
export async function tailLog(path: string, cursor: LogCursor | null, opts: { fromStart?: boolean; maxBytes?: number } = {}): Promise<TailResult> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], cursor, start: 'missing', more: false };
    throw e;
  }
  const here = { dev: st.dev, ino: st.ino };
  let offset: number;
  let start: TailResult['start'];
  if (!cursor) {
    start = 'first-sight';
    offset = opts.fromStart ? 0 : st.size;
  } else if (cursor.ino !== st.ino || cursor.dev !== st.dev) {
    start = 'rotated';
    offset = 0;
  } else if (st.size < cursor.offset) {
    start = 'truncated';
    offset = 0;
  } else {
    start = 'continued';
    offset = cursor.offset;
  }
  if (start === 'first-sight' && !opts.fromStart) return { lines: [], cursor: { ...here, offset }, start, more: false };

  const maxBytes = opts.maxBytes ?? DEFAULT_TAIL_MAX_BYTES;
  const want = Math.min(st.size - offset, maxBytes);
  if (want <= 0) return { lines: [], cursor: { ...here, offset }, start, more: false };
  const buf = Buffer.alloc(want);
  const h = await open(path, 'r');
  let got = 0;
  try {
    while (got < want) {
      const { bytesRead } = await h.read(buf, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } finally {
    await h.close();
  }
  let end = buf.lastIndexOf(0x0a, got - 1);
  const more = offset + got < st.size;
  // A single line longer than maxBytes would stall the tail for ever: take the whole block as one (cut) line.
  if (end < 0 && got === maxBytes) end = got - 1;
  if (end < 0) return { lines: [], cursor: { ...here, offset }, start, more };
  const lines = buf.toString('utf8', 0, end + 1).split('\n');
  lines.pop();
  return {
    lines: lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l !== '').map((l) => (l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) : l)),
    cursor: { ...here, offset: offset + end + 1 },
    start, more,
  };
}
