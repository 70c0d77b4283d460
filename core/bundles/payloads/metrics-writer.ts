import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import { ColdrootError } from '../../errors.js';
import type { MetricsFormat } from './metrics-reader.js';
import { csvHeaderOf } from './metrics-validate.js';
import { METRICS_SCHEMA_V1, METRICS_SCHEMA_V1_1, type CountMap, type MetricSample, type MetricsSchema } from './metrics-schema.js';

const FLUSH_AT = 256 * 1024;

/** Reals are written with at most three decimals and never in exponent form, in both formats. */
function real(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

function nullableReal(v: number | null, empty: string): string {
  return v === null ? empty : real(v);
}

function jsonMap(m: CountMap): string {
  let s = '{';
  let first = true;
  for (const k in m) {
    s += `${first ? '' : ','}"${k}":${m[k]}`;
    first = false;
  }
  return `${s}}`;
}

function csvMap(m: CountMap): string {
  let s = '';
  for (const k in m) s += `${s === '' ? '' : ';'}${k}=${m[k]}`;
  return s;
}

/** The two v1.1 counts of a sample; a v1.1 file without them would be refused at import, so the writer refuses first. */
function networks(x: MetricSample): [number, number] {
  if (x.client_nets_distinct === undefined || x.client_nets_new === undefined) {
    throw new ColdrootError('METRICS_SAMPLE_INCOMPLETE', `Sample of ${x.host} at ${x.t} has no client_nets_distinct/client_nets_new, which ${METRICS_SCHEMA_V1_1} requires`, 'Count the client networks, or write the file as coldroot.metrics.v1');
  }
  return [x.client_nets_distinct, x.client_nets_new];
}

export function ndjsonLine(x: MetricSample, schema: MetricsSchema = METRICS_SCHEMA_V1): string {
  const nets = schema === METRICS_SCHEMA_V1_1 ? networks(x) : null;
  return `{"host":"${x.host}","cert":"${x.cert}","t":"${x.t}","interval_s":${x.interval_s},"hs_attempted":${x.hs_attempted},"hs_succeeded":${x.hs_succeeded},"hs_failed":${x.hs_failed},"hs_failed_by":${jsonMap(x.hs_failed_by)},"hs_p50_ms":${nullableReal(x.hs_p50_ms, 'null')},"hs_p95_ms":${nullableReal(x.hs_p95_ms, 'null')},"protocols":${jsonMap(x.protocols)},"ciphers":${jsonMap(x.ciphers)},"client_ips_distinct":${x.client_ips_distinct},"client_ips_new":${x.client_ips_new},"cpu_pct":${real(x.cpu_pct)},"mem_pct":${real(x.mem_pct)},"net_rx_bytes":${x.net_rx_bytes},"net_tx_bytes":${x.net_tx_bytes},"cert_validation_errors":${jsonMap(x.cert_validation_errors)}${nets ? `,"client_nets_distinct":${nets[0]},"client_nets_new":${nets[1]}` : ''}}\n`;
}

export function csvLine(x: MetricSample, schema: MetricsSchema = METRICS_SCHEMA_V1): string {
  const nets = schema === METRICS_SCHEMA_V1_1 ? networks(x) : null;
  return `${x.host},${x.cert},${x.t},${x.interval_s},${x.hs_attempted},${x.hs_succeeded},${x.hs_failed},${csvMap(x.hs_failed_by)},${nullableReal(x.hs_p50_ms, '')},${nullableReal(x.hs_p95_ms, '')},${csvMap(x.protocols)},${csvMap(x.ciphers)},${x.client_ips_distinct},${x.client_ips_new},${real(x.cpu_pct)},${real(x.mem_pct)},${x.net_rx_bytes},${x.net_tx_bytes},${csvMap(x.cert_validation_errors)}${nets ? `,${nets[0]},${nets[1]}` : ''}\n`;
}

/**
 * Writes a coldroot.metrics.v1 (default) or v1.1 payload file (gzip NDJSON or CSV) sample by sample, so an agent
 * or the simulator never holds a whole day of samples. Samples are trusted to be valid here; the
 * importer checks every one. Never overwrites `path`.
 */
export class MetricsFileWriter {
  readonly schema: MetricsSchema;
  records = 0;
  private buffer = '';
  private readonly gzip: Gzip;
  private readonly out: WriteStream;
  private readonly line: (x: MetricSample) => string;

  private failure: Error | null = null;

  constructor(readonly path: string, readonly format: MetricsFormat, opts: { level?: number; schema?: MetricsSchema } = {}) {
    this.schema = opts.schema ?? METRICS_SCHEMA_V1;
    if (existsSync(path)) throw new ColdrootError('OUTPUT_EXISTS', `Output file ${path} already exists`, 'Choose a new file name; Coldroot never overwrites its outputs');
    this.gzip = createGzip({ level: opts.level ?? 6 });
    this.out = createWriteStream(path, { flags: 'wx' });
    this.out.on('error', (e) => { this.failure = e; });
    this.gzip.pipe(this.out);
    const schema = this.schema;
    this.line = format === 'csv' ? (x) => csvLine(x, schema) : (x) => ndjsonLine(x, schema);
    if (format === 'csv') this.buffer = `${csvHeaderOf(schema)}\n`;
  }

  /** Adds one sample; await the result to respect backpressure on large files. */
  write(sample: MetricSample): Promise<void> | undefined {
    this.buffer += this.line(sample);
    this.records++;
    return this.buffer.length >= FLUSH_AT ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    const data = this.buffer;
    this.buffer = '';
    if (!this.gzip.write(data)) await once(this.gzip, 'drain');
  }

  async close(): Promise<{ path: string; records: number }> {
    if (this.buffer && !this.failure) await this.flush();
    this.gzip.end();
    if (!this.out.closed) await once(this.out, 'close');
    if (this.failure) throw new ColdrootError('OUTPUT_FAILED', `Cannot write ${this.path}: ${this.failure.message}`, 'Check the folder exists, is writable and has space', 'failure');
    return { path: this.path, records: this.records };
  }
}
