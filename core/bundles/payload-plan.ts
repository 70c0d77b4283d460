import type { Manifest, ManifestFile } from './bundle-format.js';
import { reject } from './bundle-rejection.js';
import { METRICS_FILE } from './payloads/metrics-reader.js';
import { METRICS_SCHEMA_V1 } from './payloads/metrics-schema.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from './payloads/renewal-request.js';
import { CHAIN_FILE, RENEWAL_FILE, RENEWAL_SCHEMA_V1, ROLLOUT_FILE, ROLLOUT_SCHEMA_V1 } from './payloads/renewal.js';
import { RISK_REPORT_FILE, RISK_REPORT_SCHEMA_V1 } from './payloads/risk-report.js';

/** How the reader handles one payload file. */
export type PayloadKind = 'metrics' | 'risk-report' | 'renewal-request' | 'renewal-index' | 'rollout' | 'renewal-part';

const RENEWAL_PART = /^(?:certs\/[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.pem|ocsp\/[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.der|crls\/[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.crl)$/;

function expectSchema(f: ManifestFile, schema: string): void {
  if (f.schema !== schema) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: ${f.name} must declare schema '${schema}' (it declares ${f.schema ? `'${f.schema}'` : 'none'})`);
}

/**
 * Which files a bundle of each type holds (a manifest listing anything else is refused before any
 * payload byte is read), and how each is read.
 */
export function planPayload(m: Manifest): PayloadKind[] {
  const only = (name: string, schema: string, kind: PayloadKind): PayloadKind[] => {
    if (m.files.length !== 1 || m.files[0].name !== name) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: a ${m.type} bundle holds exactly one file, ${name}`);
    expectSchema(m.files[0], schema);
    return [kind];
  };
  switch (m.type) {
    case 'metrics':
      return m.files.map((f) => {
        if (!METRICS_FILE.test(f.name)) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: '${f.name}' is not a metrics file (metrics.ndjson.gz, metrics.csv.gz or metrics-N.…)`);
        expectSchema(f, METRICS_SCHEMA_V1);
        return 'metrics';
      });
    case 'risk-report':
      return only(RISK_REPORT_FILE, RISK_REPORT_SCHEMA_V1, 'risk-report');
    case 'renewal-request':
      return only(RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1, 'renewal-request');
    case 'renewal':
      if (m.files[0].name !== RENEWAL_FILE) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: a renewal bundle lists ${RENEWAL_FILE} first`);
      return m.files.map((f) => {
        if (f.name === RENEWAL_FILE) return expectSchema(f, RENEWAL_SCHEMA_V1), 'renewal-index';
        if (f.name === ROLLOUT_FILE) return expectSchema(f, ROLLOUT_SCHEMA_V1), 'rollout';
        if (f.name !== CHAIN_FILE && !RENEWAL_PART.test(f.name)) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: '${f.name}' has no place in a renewal bundle`);
        return 'renewal-part';
      });
  }
}
