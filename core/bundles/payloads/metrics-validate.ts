import { HOST, MAP_KEY, MAX_COUNT, MAX_MAP_KEYS, METRIC_FIELDS, METRIC_FIELDS_V1_1, METRICS_SCHEMA_V1, METRICS_SCHEMA_V1_1, metricFieldsOf, type CountMap, type MetricsSchema } from './metrics-fields.js';

/**
 * A validated sample as stored: the METRIC_FIELDS_V1_1 in order (21 slots; a v1 sample has null in
 * the last two, client_nets_distinct and client_nets_new), with `t` as Unix seconds and each
 * count map as its compact text `name=count;name=count` ('' when empty; the CSV form, so a CSV
 * row is stored without rewriting). Slots 0 and 1 (host, cert) are overwritten by the importer
 * with the series and bundle row ids, so a row is bound to the INSERT without copying.
 */
export type MetricRow = unknown[];

/** A failed check, as text for the caller to prefix with the file and line. */
export class SampleError {
  constructor(readonly message: string) {}
}

/** Reads a stored count map back (`name=count;…` → object). */
export function parseCountMap(text: string): CountMap {
  const out: CountMap = {};
  if (text === '') return out;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    out[part.slice(0, eq)] = Number(part.slice(eq + 1));
  }
  return out;
}

const FIELD_COUNT = METRIC_FIELDS.length;
const FIELD_COUNT_V1_1 = METRIC_FIELDS_V1_1.length;
const KNOWN = new Set<string>(METRIC_FIELDS);
const KNOWN_V1_1 = new Set<string>(METRIC_FIELDS_V1_1);
const CERT = /^[0-9a-f]{64}$/;

// The sum of the last map checked, and the last host and certificate seen: module slots keep the hot path allocation-free.
let mapSum = 0;
let lastHost = '';
let lastCert = '';

/** A canonical decimal whole number (no sign, no leading zero, at most 16 digits), or -1. */
function uint(v: string): number {
  const n = v.length;
  if (n === 0 || n > 16 || (n > 1 && v.charCodeAt(0) === 48)) return -1;
  let x = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
}

/** A canonical decimal (digits, optionally '.' and 1–9 digits; no sign or exponent), or -1. */
function decimal(v: string): number {
  const n = v.length;
  let i = 0;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 46) break;
    if (c < 48 || c > 57) return -1;
  }
  if (i === 0 || i > 16 || (i > 1 && v.charCodeAt(0) === 48)) return -1;
  if (i < n) {
    if (n - i - 1 < 1 || n - i - 1 > 9) return -1;
    for (let j = i + 1; j < n; j++) {
      const c = v.charCodeAt(j);
      if (c < 48 || c > 57) return -1;
    }
  }
  return Number(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isReal(v: unknown, max: number): v is number {
  return typeof v === 'number' && v >= 0 && v <= max;
}

// Map keys repeat from row to row (protocol, cipher and alert names): each is checked once.
const goodKeys = new Set<string>();

function mapFromJson(m: unknown, field: string): string | SampleError {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return new SampleError(`${field} must be an object of counts`);
  let text = '';
  let n = 0;
  mapSum = 0;
  for (const k in m) {
    const v = (m as Record<string, unknown>)[k];
    if (++n > MAX_MAP_KEYS) return new SampleError(`${field} has more than ${MAX_MAP_KEYS} keys`);
    if (!goodKeys.has(k)) {
      if (!MAP_KEY.test(k)) return new SampleError(`${field} key ${JSON.stringify(k)} is not a plain name`);
      if (goodKeys.size < 10_000) goodKeys.add(k);
    }
    if (!isCount(v)) return new SampleError(`${field}.${k} must be a whole number >= 0`);
    mapSum += v;
    text += n === 1 ? `${k}=${v}` : `;${k}=${v}`;
  }
  return text;
}

// Map key characters: 1 may start a key, 2 may follow.
const KEY_CHAR = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') KEY_CHAR[c.charCodeAt(0)] = 1;
for (const c of '_.:/+-') KEY_CHAR[c.charCodeAt(0)] = 2;
const keyStart = new Int32Array(MAX_MAP_KEYS + 1);
const keyEnd = new Int32Array(MAX_MAP_KEYS + 1);

function sameRange(s: string, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (; a < aEnd; a++, b++) if (s.charCodeAt(a) !== s.charCodeAt(b)) return false;
  return true;
}

/** Checks `name=count;name=count` in one pass (the import's hottest loop); the text is stored as it is. */
function mapFromCsv(text: string, field: string): string | SampleError {
  mapSum = 0;
  const n = text.length;
  let keys = 0;
  let i = 0;
  while (i < n) {
    const ks = i;
    if (KEY_CHAR[text.charCodeAt(i)] !== 1) return new SampleError(`${field} key ${JSON.stringify(text.slice(ks).split(/[=;]/)[0])} is not a plain name`);
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 61 || c > 127 || KEY_CHAR[c] === 0) break;
    }
    if (i === n || text.charCodeAt(i) !== 61 || i - ks > 64) return new SampleError(`${field} key ${JSON.stringify(text.slice(ks, i))} is not a plain name`);
    const ke = i;
    const vs = ++i;
    let v = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (i === vs || i - vs > 16 || (i - vs > 1 && text.charCodeAt(vs) === 48) || (i < n && text.charCodeAt(i) !== 59) || i === n - 1) {
      return new SampleError(`${field}.${text.slice(ks, ke)} must be a whole number >= 0`);
    }
    if (v > MAX_COUNT) return new SampleError(`${field}.${text.slice(ks, ke)} is too large`);
    if (keys === MAX_MAP_KEYS) return new SampleError(`${field} has more than ${MAX_MAP_KEYS} keys`);
    for (let k = 0; k < keys; k++) {
      if (sameRange(text, keyStart[k], keyEnd[k], ks, ke)) return new SampleError(`${field} names ${text.slice(ks, ke)} twice`);
    }
    keyStart[keys] = ks;
    keyEnd[keys] = ke;
    keys++;
    mapSum += v;
    i++;
  }
  return text;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
let lastTime = '';
let lastSeconds = 0;

function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** 'YYYY-MM-DDTHH:MM:SSZ' to Unix seconds, refusing impossible dates (Date.parse would roll them over). */
function time(t: unknown): number | SampleError {
  if (t === lastTime) return lastSeconds;
  if (typeof t !== 'string' || t.length !== 20 || t[4] !== '-' || t[7] !== '-' || t[10] !== 'T' || t[13] !== ':' || t[16] !== ':' || t[19] !== 'Z') {
    return new SampleError('t must be a UTC time such as 2026-01-05T00:05:00Z');
  }
  const y = digits(t, 0, 4), mo = digits(t, 5, 2), d = digits(t, 8, 2), h = digits(t, 11, 2), mi = digits(t, 14, 2), sec = digits(t, 17, 2);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > DAYS[mo - 1] + (mo === 2 && leap ? 1 : 0) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) {
    return new SampleError(`t ${t} is not a real date`);
  }
  lastTime = t;
  lastSeconds = Date.UTC(y, mo - 1, d, h, mi, sec) / 1000;
  return lastSeconds;
}

/** Cross-field rules, on a row whose fields are each valid. */
function consistency(row: MetricRow, failedBySum: number, protocolsSum: number, ciphersSum: number): SampleError | null {
  const attempted = row[4] as number, succeeded = row[5] as number, failed = row[6] as number;
  if (succeeded + failed > attempted) return new SampleError('hs_succeeded + hs_failed exceeds hs_attempted');
  if (failedBySum !== failed) return new SampleError('hs_failed_by does not sum to hs_failed');
  if (protocolsSum > succeeded) return new SampleError('protocols sum to more than hs_succeeded');
  if (ciphersSum > succeeded) return new SampleError('ciphers sum to more than hs_succeeded');
  const p50 = row[8], p95 = row[9];
  if ((p50 === null) !== (p95 === null)) return new SampleError('hs_p50_ms and hs_p95_ms are both null or both numbers');
  if (p50 !== null && (p50 as number) > (p95 as number)) return new SampleError('hs_p50_ms exceeds hs_p95_ms');
  if ((row[13] as number) > (row[12] as number)) return new SampleError('client_ips_new exceeds client_ips_distinct');
  if (row[19] !== null) {
    if ((row[19] as number) > (row[12] as number)) return new SampleError('client_nets_distinct exceeds client_ips_distinct');
    if ((row[20] as number) > (row[19] as number)) return new SampleError('client_nets_new exceeds client_nets_distinct');
  }
  return null;
}

/** Checks one parsed NDJSON value against coldroot.metrics.v1 or v1.1 (strict: every field of that version, nothing else). */
export function sampleFromJson(o: unknown, schema: MetricsSchema = METRICS_SCHEMA_V1): MetricRow | SampleError {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return new SampleError('a sample must be a JSON object');
  const s = o as Record<string, unknown>;
  const v11 = schema === METRICS_SCHEMA_V1_1;
  const known = v11 ? KNOWN_V1_1 : KNOWN;
  let n = 0;
  for (const k in s) {
    if (!known.has(k)) return new SampleError(`unknown field ${JSON.stringify(k)}${KNOWN_V1_1.has(k) ? ` (a ${METRICS_SCHEMA_V1_1} field; declare that schema in the manifest)` : ''}`);
    n++;
  }
  if (n !== (v11 ? FIELD_COUNT_V1_1 : FIELD_COUNT)) return new SampleError(`missing field ${metricFieldsOf(schema).find((f) => !(f in s))}`);
  if (typeof s.host !== 'string' || !HOST.test(s.host)) return new SampleError('host must be a host name');
  if (typeof s.cert !== 'string' || !CERT.test(s.cert)) return new SampleError('cert must be 64 lowercase hex digits');
  const t = time(s.t);
  if (t instanceof SampleError) return t;
  if (!isCount(s.interval_s) || s.interval_s < 1 || s.interval_s > 86_400) return new SampleError('interval_s must be 1..86400');
  for (const f of ['hs_attempted', 'hs_succeeded', 'hs_failed', 'client_ips_distinct', 'client_ips_new', 'net_rx_bytes', 'net_tx_bytes'] as const) {
    if (!isCount(s[f])) return new SampleError(`${f} must be a whole number >= 0`);
  }
  if (v11) {
    for (const f of ['client_nets_distinct', 'client_nets_new'] as const) if (!isCount(s[f])) return new SampleError(`${f} must be a whole number >= 0`);
  }
  for (const f of ['hs_p50_ms', 'hs_p95_ms'] as const) {
    if (s[f] !== null && !isReal(s[f], 3_600_000)) return new SampleError(`${f} must be null or milliseconds (0..3600000)`);
  }
  if (!isReal(s.cpu_pct, 100)) return new SampleError('cpu_pct must be 0..100');
  if (!isReal(s.mem_pct, 100)) return new SampleError('mem_pct must be 0..100');
  const failedBy = mapFromJson(s.hs_failed_by, 'hs_failed_by');
  if (failedBy instanceof SampleError) return failedBy;
  const failedBySum = mapSum;
  const protocols = mapFromJson(s.protocols, 'protocols');
  if (protocols instanceof SampleError) return protocols;
  const protocolsSum = mapSum;
  const ciphers = mapFromJson(s.ciphers, 'ciphers');
  if (ciphers instanceof SampleError) return ciphers;
  const ciphersSum = mapSum;
  const certErrors = mapFromJson(s.cert_validation_errors, 'cert_validation_errors');
  if (certErrors instanceof SampleError) return certErrors;
  const row: MetricRow = [
    s.host, s.cert, t, s.interval_s, s.hs_attempted, s.hs_succeeded, s.hs_failed, failedBy, s.hs_p50_ms, s.hs_p95_ms,
    protocols, ciphers, s.client_ips_distinct, s.client_ips_new, s.cpu_pct, s.mem_pct, s.net_rx_bytes, s.net_tx_bytes, certErrors,
    v11 ? s.client_nets_distinct : null, v11 ? s.client_nets_new : null,
  ];
  return consistency(row, failedBySum, protocolsSum, ciphersSum) ?? row;
}

export const CSV_HEADER = METRIC_FIELDS.join(',');
export const CSV_HEADER_V1_1 = METRIC_FIELDS_V1_1.join(',');

export function csvHeaderOf(schema: MetricsSchema): string {
  return schema === METRICS_SCHEMA_V1_1 ? CSV_HEADER_V1_1 : CSV_HEADER;
}

const countError = (i: number, v: string) => new SampleError(uint(v) < 0 ? `${METRIC_FIELDS_V1_1[i]} must be a whole number >= 0` : `${METRIC_FIELDS_V1_1[i]} is too large`);

function realOrError(i: number, v: string, max: number, nullable: boolean): number | null | SampleError {
  if (v === '' && nullable) return null;
  const n = decimal(v);
  if (n < 0) return new SampleError(`${METRIC_FIELDS[i]} must be a decimal number${nullable ? ' or empty' : ''}`);
  return n > max ? new SampleError(`${METRIC_FIELDS[i]} must be at most ${max}`) : n;
}

/** Checks one CSV data row (fields in the schema's order; count maps as name=count;name=count). */
export function sampleFromCsv(line: string, schema: MetricsSchema = METRICS_SCHEMA_V1): MetricRow | SampleError {
  const c = line.split(',');
  const v11 = schema === METRICS_SCHEMA_V1_1;
  const fields = v11 ? FIELD_COUNT_V1_1 : FIELD_COUNT;
  if (c.length !== fields) return new SampleError(`${c.length} fields; ${schema} rows have ${fields}`);
  // Consecutive rows usually share host and certificate; a string compare is cheaper than the patterns.
  if (c[0] !== lastHost) {
    if (!HOST.test(c[0])) return new SampleError('host must be a host name');
    lastHost = c[0];
  }
  if (c[1] !== lastCert) {
    if (!CERT.test(c[1])) return new SampleError('cert must be 64 lowercase hex digits');
    lastCert = c[1];
  }
  const t = time(c[2]);
  if (t instanceof SampleError) return t;
  const interval = uint(c[3]);
  if (interval < 1 || interval > 86_400) return new SampleError('interval_s must be 1..86400');
  const attempted = uint(c[4]), succeeded = uint(c[5]), failed = uint(c[6]), distinct = uint(c[12]), fresh = uint(c[13]), rx = uint(c[16]), tx = uint(c[17]);
  if (attempted < 0 || attempted > MAX_COUNT) return countError(4, c[4]);
  if (succeeded < 0 || succeeded > MAX_COUNT) return countError(5, c[5]);
  if (failed < 0 || failed > MAX_COUNT) return countError(6, c[6]);
  if (distinct < 0 || distinct > MAX_COUNT) return countError(12, c[12]);
  if (fresh < 0 || fresh > MAX_COUNT) return countError(13, c[13]);
  if (rx < 0 || rx > MAX_COUNT) return countError(16, c[16]);
  if (tx < 0 || tx > MAX_COUNT) return countError(17, c[17]);
  const p50 = realOrError(8, c[8], 3_600_000, true);
  if (p50 instanceof SampleError) return p50;
  const p95 = realOrError(9, c[9], 3_600_000, true);
  if (p95 instanceof SampleError) return p95;
  const cpu = realOrError(14, c[14], 100, false);
  if (cpu instanceof SampleError) return cpu;
  const mem = realOrError(15, c[15], 100, false);
  if (mem instanceof SampleError) return mem;
  const failedBy = mapFromCsv(c[7], 'hs_failed_by');
  if (failedBy instanceof SampleError) return failedBy;
  const failedBySum = mapSum;
  const protocols = mapFromCsv(c[10], 'protocols');
  if (protocols instanceof SampleError) return protocols;
  const protocolsSum = mapSum;
  const ciphers = mapFromCsv(c[11], 'ciphers');
  if (ciphers instanceof SampleError) return ciphers;
  const ciphersSum = mapSum;
  const certErrors = mapFromCsv(c[18], 'cert_validation_errors');
  if (certErrors instanceof SampleError) return certErrors;
  let nets: number | null = null, freshNets: number | null = null;
  if (v11) {
    nets = uint(c[19]);
    freshNets = uint(c[20]);
    if (nets < 0 || nets > MAX_COUNT) return countError(19, c[19]);
    if (freshNets < 0 || freshNets > MAX_COUNT) return countError(20, c[20]);
  }
  const row: MetricRow = [c[0], c[1], t, interval, attempted, succeeded, failed, failedBy, p50, p95, protocols, ciphers, distinct, fresh, cpu, mem, rx, tx, certErrors, nets, freshNets];
  return consistency(row, failedBySum, protocolsSum, ciphersSum) ?? row;
}
