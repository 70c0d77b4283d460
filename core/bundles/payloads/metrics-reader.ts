import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import type { BundleLimits } from '../bundle-format.js';
import { BundleRejection, reject } from '../bundle-rejection.js';
import type { MetricsSchema } from './metrics-fields.js';
import { csvHeaderOf, SampleError, sampleFromCsv, sampleFromJson, type MetricRow } from './metrics-validate.js';

export type MetricsFormat = 'ndjson' | 'csv';

/** Metric payload files: metrics.ndjson.gz, metrics.csv.gz, or numbered parts such as metrics-0002.csv.gz. */
export const METRICS_FILE = /^metrics(?:-[0-9]{1,6})?\.(ndjson|csv)\.gz$/;

export function metricsFormatOf(name: string): MetricsFormat | null {
  const m = METRICS_FILE.exec(name);
  return m ? (m[1] as MetricsFormat) : null;
}

export interface MetricsReadOptions {
  name: string;
  format: MetricsFormat;
  /** The schema the manifest declares for the file (coldroot.metrics.v1 or v1.1). */
  schema: MetricsSchema;
  limits: Pick<BundleLimits, 'maxDecompressedBytes' | 'maxCompressionRatio' | 'maxLineBytes'>;
  /** Receives each valid row, synchronously (the importer binds it to a prepared INSERT). */
  onRow: (row: MetricRow) => void;
  /** Awaited after each decompressed chunk: lets a worker hand rows on and wait for its reader. */
  afterChunk?: () => Promise<void> | void;
}

/** The ratio is judged once this much came out (small files may compress very well). */
const RATIO_GRACE = 1024 * 1024;

/**
 * Streams a gzip-compressed NDJSON or CSV metric file: decompresses (off the main thread, in
 * zlib's pool), splits lines, validates each against its schema (v1 or v1.1) and hands rows on.
 * Memory stays bounded by the line limit whatever the file's size; the decompressed size and the
 * compression ratio are capped, so a gzip bomb stops after a few megabytes.
 * Returns the number of samples.
 */
export async function readMetrics(compressed: AsyncIterable<Uint8Array>, o: MetricsReadOptions): Promise<number> {
  let compressedBytes = 0;
  // The first error raised by our own code, kept because pipeline() may report its abort instead.
  let failure: unknown = null;
  async function* counted(): AsyncGenerator<Uint8Array> {
    try {
      for await (const c of compressed) {
        compressedBytes += c.length;
        yield c;
      }
    } catch (e) {
      failure ??= e;
      throw e;
    }
  }
  let decompressed = 0;
  let records = 0;
  let lineNo = 0;
  let headerSeen = o.format === 'ndjson';
  let carry = '';
  const header = csvHeaderOf(o.schema);
  const decoder = new StringDecoder('utf8');
  const bad = (message: string): never => reject('BUNDLE_PAYLOAD_INVALID', `${o.name} line ${lineNo}: ${message}`);

  const line = (text: string): void => {
    lineNo++;
    if (text === '') bad('empty line');
    if (text.charCodeAt(text.length - 1) === 13) bad('lines end with \\n only (no carriage return)');
    if (!headerSeen) {
      if (text !== header) bad(`the header must be exactly (${o.schema}): ${header}`);
      headerSeen = true;
      return;
    }
    let r: MetricRow | SampleError;
    if (o.format === 'csv') {
      r = sampleFromCsv(text, o.schema);
    } else {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        bad(`not JSON (${(e as Error).message})`);
      }
      r = sampleFromJson(v, o.schema);
    }
    if (r instanceof SampleError) bad(r.message);
    records++;
    o.onRow(r as MetricRow);
  };

  const consume = (chunk: Buffer): void => {
    decompressed += chunk.length;
    if (decompressed > o.limits.maxDecompressedBytes) {
      reject('BUNDLE_DECOMPRESSED_TOO_LARGE', `${o.name} decompresses to more than ${o.limits.maxDecompressedBytes} bytes (a gzip bomb, or a limit to raise)`);
    }
    if (decompressed > RATIO_GRACE && decompressed > compressedBytes * o.limits.maxCompressionRatio) {
      reject('BUNDLE_DECOMPRESSED_TOO_LARGE', `${o.name} expands more than ${o.limits.maxCompressionRatio}:1 (${decompressed} bytes from ${compressedBytes}): a gzip bomb`);
    }
    const text = carry + decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      if (nl - start > o.limits.maxLineBytes) { lineNo++; bad(`longer than ${o.limits.maxLineBytes} bytes`); }
      line(text.slice(start, nl));
      start = nl + 1;
    }
    carry = text.slice(start);
    if (carry.length > o.limits.maxLineBytes) { lineNo++; bad(`longer than ${o.limits.maxLineBytes} bytes`); }
  };

  try {
    // A deep read-side buffer lets zlib inflate the next chunks in its thread pool while this one is parsed.
    await pipeline(Readable.from(counted(), { objectMode: false }), createGunzip({ chunkSize: 64 * 1024, readableHighWaterMark: 1024 * 1024 } as ZlibOptions), async (src: AsyncIterable<Buffer>) => {
      try {
        for await (const chunk of src) {
          consume(chunk);
          if (o.afterChunk) await o.afterChunk();
        }
      } catch (e) {
        failure ??= e;
        throw e;
      }
    });
  } catch (e) {
    if (failure) throw failure;
    if (e instanceof BundleRejection) throw e;
    reject('BUNDLE_PAYLOAD_INVALID', `${o.name} is not valid gzip: ${(e as Error).message}`);
  }
  const tail = carry + decoder.end();
  if (tail !== '') { lineNo++; bad('the last line does not end with a newline'); }
  if (!headerSeen) bad('the CSV header is missing');
  return records;
}
