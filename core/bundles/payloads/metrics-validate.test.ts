import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { SeededRandom } from '../../models/seeded-random.js';
import { testSamples } from '../testing/bundle-test-kit.js';
import { METRIC_FIELDS, METRIC_FIELDS_V1_1, METRICS_SCHEMA_V1_1, MetricSampleSchema, MetricSampleSchemaV1_1 } from './metrics-schema.js';
import { CSV_HEADER, CSV_HEADER_V1_1, parseCountMap, SampleError, sampleFromCsv, sampleFromJson } from './metrics-validate.js';
import { csvLine, ndjsonLine } from './metrics-writer.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/bundles/${name}`, import.meta.url), 'utf8');
const reason = (r: unknown) => (r instanceof SampleError ? r.message : 'accepted');

describe('coldroot.metrics.v1 known answers (fixtures/bundles)', () => {
  const csv = fixture('metrics-v1.csv').trimEnd().split('\n');
  const ndjson = fixture('metrics-v1.ndjson').trimEnd().split('\n');

  test('the CSV fixture has the documented header and the NDJSON fixture the same samples', () => {
    assert.equal(csv[0], CSV_HEADER);
    assert.equal(csv.length - 1, ndjson.length);
    for (let i = 0; i < ndjson.length; i++) assert.deepEqual(sampleFromCsv(csv[i + 1]), sampleFromJson(JSON.parse(ndjson[i])), `sample ${i + 1}`);
  });

  test('a stored row: t in Unix seconds, count maps as name=count text, nulls kept', () => {
    const row = sampleFromJson(JSON.parse(ndjson[0]));
    assert.ok(Array.isArray(row));
    assert.equal(row.length, METRIC_FIELDS_V1_1.length);
    assert.deepEqual(row.slice(19), [null, null], 'a v1 sample stores no network counts');
    assert.equal(row[2], Date.parse('2026-03-02T00:00:00Z') / 1000);
    assert.equal(row[7], 'alert:bad_certificate=1;error:timeout=2');
    assert.deepEqual(parseCountMap(row[11] as string), JSON.parse(ndjson[0]).ciphers);
    assert.deepEqual(parseCountMap(''), {});
    const quiet = sampleFromJson(JSON.parse(ndjson[2])) as unknown[];
    assert.equal(quiet[8], null);
    assert.equal(quiet[9], null);
  });
});

describe('strict rules, each with its message', () => {
  const good = JSON.parse(ndjsonLine(testSamples(1)[0])) as Record<string, unknown>;
  const cases: Array<[string, (s: Record<string, unknown>) => void, RegExp]> = [
    ['unknown field', (s) => { s.colour = 'blue'; }, /unknown field "colour"/],
    ['missing field', (s) => { delete s.cpu_pct; }, /missing field cpu_pct/],
    ['bad host', (s) => { s.host = 'bad host'; }, /host/],
    ['upper-case fingerprint', (s) => { s.cert = 'C'.repeat(64); }, /cert/],
    ['local time', (s) => { s.t = '2026-03-02T00:00:00+01:00'; }, /t must be a UTC time/],
    ['impossible date', (s) => { s.t = '2026-02-30T00:00:00Z'; }, /not a real date/],
    ['fractional count', (s) => { s.hs_attempted = 1.5; }, /hs_attempted/],
    ['negative bytes', (s) => { s.net_rx_bytes = -1; }, /net_rx_bytes/],
    ['cpu over 100', (s) => { s.cpu_pct = 101; }, /cpu_pct/],
    ['failures do not add up', (s) => { s.hs_failed_by = { 'error:timeout': (s.hs_failed as number) + 1 }; }, /hs_failed_by does not sum/],
    ['more outcomes than attempts', (s) => { s.hs_succeeded = (s.hs_attempted as number) + 1; }, /exceeds hs_attempted/],
    ['protocols over successes', (s) => { s.protocols = { 'TLSv1.3': (s.hs_succeeded as number) + 1 }; }, /protocols sum/],
    ['p50 above p95', (s) => { s.hs_p50_ms = 100; s.hs_p95_ms = 10; }, /hs_p50_ms exceeds/],
    ['one percentile null', (s) => { s.hs_p95_ms = null; }, /both null/],
    ['new clients over distinct', (s) => { s.client_ips_new = (s.client_ips_distinct as number) + 1; }, /client_ips_new exceeds/],
    ['map key with a quote', (s) => { s.cert_validation_errors = { 'a"b': 1 }; }, /not a plain name/],
    ['map of strings', (s) => { s.ciphers = { TLS_AES_128_GCM_SHA256: '1' }; }, /whole number/],
    ['array instead of object', (s) => { s.protocols = []; }, /object of counts/],
  ];
  for (const [name, mutate, message] of cases) {
    test(name, () => {
      const s = structuredClone(good);
      mutate(s);
      assert.match(reason(sampleFromJson(s)), message);
      assert.equal(MetricSampleSchema.safeParse(s).success, false, 'the zod reference refuses it too');
    });
  }

  test('CSV: field count, header-free rows, map syntax and decimals', () => {
    const line = csvLine(testSamples(1)[0]).trimEnd();
    assert.ok(Array.isArray(sampleFromCsv(line)));
    assert.match(reason(sampleFromCsv(`${line},extra`)), /20 fields/);
    assert.match(reason(sampleFromCsv(line.replace(/,(TLSv1\.3=)/, ',$1$1'))), /protocols/);
    assert.match(reason(sampleFromCsv(line.replace(/,300,/, ',0300,'))), /interval_s/);
    const cols = line.split(',');
    cols[14] = '1e2';
    assert.match(reason(sampleFromCsv(cols.join(','))), /cpu_pct must be a decimal/);
    cols[14] = '5';
    cols[10] = 'TLSv1.3=1;TLSv1.3=1';
    assert.match(reason(sampleFromCsv(cols.join(','))), /names TLSv1.3 twice/);
  });
});

describe('the fast validator and the zod reference agree', () => {
  const fields = [...METRIC_FIELDS];
  const values: unknown[] = [null, -1, 0, 1, 2.5, 1e6, 101, '', 'x', 'TLSv1.3', [], {}, { a: 1 }, { 'alert:x': 3 }, '2026-03-02T00:00:00Z', 'f'.repeat(64)];

  test('on 3,000 randomly damaged samples', () => {
    const rng = new SeededRandom(42);
    const base = testSamples(50, 3);
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const s = structuredClone(base[i % base.length]) as unknown as Record<string, unknown>;
      for (let k = rng.nextInt(3); k >= 0; k--) {
        const f = fields[rng.nextInt(fields.length)];
        const roll = rng.nextInt(10);
        if (roll === 0) delete s[f];
        else if (roll === 1) s[`x${f}`] = 1;
        else s[f] = values[rng.nextInt(values.length)];
      }
      const fast = !(sampleFromJson(s) instanceof SampleError);
      const ref = MetricSampleSchema.safeParse(s).success;
      assert.equal(fast, ref, `sample ${i}: fast ${fast}, zod ${ref}: ${JSON.stringify(s)}`);
      if (!fast) rejected++;
    }
    assert.ok(rejected > 2000 && rejected < 3000, `${rejected} of 3000 rejected`);
  });

  test('CSV and NDJSON give the same verdict and the same row on 3,000 damaged samples', () => {
    const rng = new SeededRandom(7);
    const base = testSamples(50, 4);
    const numbers = [0, 1, 7.5, 100, 100.5, 3_600_001, 2 ** 53, 12345678];
    const keys = ['TLSv1.3', 'alert:x', 'a/b+c', '-bad', 'k'.repeat(65), 'ok_1', 'é'];
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const s = structuredClone(base[i % base.length]) as unknown as Record<string, unknown>;
      const f = METRIC_FIELDS[4 + rng.nextInt(METRIC_FIELDS.length - 4)];
      if (typeof s[f] === 'object' && s[f] !== null) {
        const m = s[f] as Record<string, number>;
        if (rng.nextInt(2)) m[keys[rng.nextInt(keys.length)]] = rng.nextInt(5);
        else for (const k of Object.keys(m)) m[k] += rng.nextInt(3) - 1;
      } else {
        s[f] = numbers[rng.nextInt(numbers.length)];
      }
      const sample = s as unknown as Parameters<typeof ndjsonLine>[0];
      const json = sampleFromJson(JSON.parse(ndjsonLine(sample)));
      const csv = sampleFromCsv(csvLine(sample).trimEnd());
      assert.equal(csv instanceof SampleError, json instanceof SampleError, `sample ${i}: csv ${reason(csv)}, json ${reason(json)}`);
      if (!(json instanceof SampleError)) assert.deepEqual(csv, json);
      else rejected++;
    }
    assert.ok(rejected > 500, `${rejected} rejected`);
  });

  test('every generated sample is valid in both formats and reads back the same', () => {
    for (const s of testSamples(500, 9)) {
      assert.equal(MetricSampleSchema.safeParse(s).success, true, JSON.stringify(s));
      const fromJson = sampleFromJson(JSON.parse(ndjsonLine(s)));
      assert.ok(Array.isArray(fromJson), reason(fromJson));
      assert.deepEqual(sampleFromCsv(csvLine(s).trimEnd()), fromJson);
    }
  });
});


describe('coldroot.metrics.v1.1: v1 plus client_nets_distinct and client_nets_new', () => {
  const v11 = { ...testSamples(1)[0], client_ips_distinct: 40, client_ips_new: 9, client_nets_distinct: 12, client_nets_new: 3 };

  test('both encodings read the two counts into row slots 19 and 20, the same row', () => {
    assert.equal(CSV_HEADER_V1_1, `${CSV_HEADER},client_nets_distinct,client_nets_new`);
    const json = sampleFromJson(JSON.parse(ndjsonLine(v11, METRICS_SCHEMA_V1_1)), METRICS_SCHEMA_V1_1);
    assert.ok(Array.isArray(json), reason(json));
    assert.deepEqual(json.slice(19), [12, 3]);
    assert.deepEqual(sampleFromCsv(csvLine(v11, METRICS_SCHEMA_V1_1).trimEnd(), METRICS_SCHEMA_V1_1), json);
    assert.equal(MetricSampleSchemaV1_1.safeParse(v11).success, true);
  });

  test('each version is strict: v1.1 fields in a v1 file and missing ones in a v1.1 file are refused', () => {
    assert.equal(reason(sampleFromJson(JSON.parse(ndjsonLine(v11, METRICS_SCHEMA_V1_1)))), 'unknown field "client_nets_distinct" (a coldroot.metrics.v1.1 field; declare that schema in the manifest)');
    assert.equal(reason(sampleFromJson(JSON.parse(ndjsonLine(v11)), METRICS_SCHEMA_V1_1)), 'missing field client_nets_distinct');
    assert.equal(reason(sampleFromCsv(csvLine(v11).trimEnd(), METRICS_SCHEMA_V1_1)), '19 fields; coldroot.metrics.v1.1 rows have 21');
    assert.throws(() => ndjsonLine(testSamples(1)[0], METRICS_SCHEMA_V1_1), /has no client_nets_distinct\/client_nets_new/);
  });

  const cases: Array<[string, Partial<typeof v11>, string]> = [
    ['more networks than addresses', { client_nets_distinct: 41 }, 'client_nets_distinct exceeds client_ips_distinct'],
    ['more new networks than networks', { client_nets_new: 13 }, 'client_nets_new exceeds client_nets_distinct'],
  ];
  for (const [name, change, message] of cases) {
    test(name, () => {
      const s = { ...v11, ...change };
      assert.equal(reason(sampleFromJson(JSON.parse(ndjsonLine(s, METRICS_SCHEMA_V1_1)), METRICS_SCHEMA_V1_1)), message);
      assert.equal(reason(sampleFromCsv(csvLine(s, METRICS_SCHEMA_V1_1).trimEnd(), METRICS_SCHEMA_V1_1)), message);
      assert.equal(MetricSampleSchemaV1_1.safeParse(s).success, false, 'the zod reference refuses it too');
    });
  }
  test('a negative network count is refused in both encodings', () => {
    const s = { ...v11, client_nets_new: -1 };
    assert.equal(reason(sampleFromJson(JSON.parse(ndjsonLine(s, METRICS_SCHEMA_V1_1)), METRICS_SCHEMA_V1_1)), 'client_nets_new must be a whole number >= 0');
    assert.equal(reason(sampleFromCsv(csvLine(s, METRICS_SCHEMA_V1_1).trimEnd(), METRICS_SCHEMA_V1_1)), 'client_nets_new must be a whole number >= 0');
  });
});
