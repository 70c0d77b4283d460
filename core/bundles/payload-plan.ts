import type { Manifest, ManifestFile } from './bundle-format.js';
import { reject } from './bundle-rejection.js';
import { AGENT_CONFIG_SCHEMA_V1, AGENT_PACKAGE_FILES, AGENT_PACKAGE_SEA_FILE } from './payloads/agent-package.js';
import { LOG_EXCERPTS_FILE, LOG_EXCERPTS_SCHEMA_V1 } from './payloads/log-excerpts.js';
import { METRICS_FILE } from './payloads/metrics-reader.js';
import { METRICS_SCHEMA_V1, METRICS_SCHEMA_V1_1 } from './payloads/metrics-schema.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from './payloads/renewal-request.js';
import { CHAIN_FILE, RENEWAL_FILE, RENEWAL_SCHEMA_V1, ROLLOUT_FILE, ROLLOUT_SCHEMA_V1 } from './payloads/renewal.js';
import { RISK_REPORT_FILE, RISK_REPORT_SCHEMA_V1 } from './payloads/risk-report.js';
import { ROLLOUT_PROGRESS_FILE, ROLLOUT_PROGRESS_SCHEMA_V1 } from '../policy/canary/rollout-progress.js';

/** How the reader handles one payload file. */
export type PayloadKind = 'metrics' | 'log-excerpts' | 'risk-report' | 'renewal-request' | 'renewal-index' | 'rollout' | 'renewal-part' | 'package-file' | 'package-config' | 'rollout-progress';

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
    case 'metrics': {
      // Besides its metric files, a metrics bundle may carry one file of log excerpts (an agent in investigation mode; names are unique in a manifest).
      // …and one rollout.json (coldroot.rollout-progress.v1) when the agent runs a canary rollout.
      if (m.files.every((f) => f.name === LOG_EXCERPTS_FILE || f.name === ROLLOUT_PROGRESS_FILE) && m.files.some((f) => f.name === ROLLOUT_PROGRESS_FILE)) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: a metrics bundle with ${ROLLOUT_PROGRESS_FILE} also holds a metrics file`);
      if (m.files.every((f) => f.name === LOG_EXCERPTS_FILE)) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: a metrics bundle with ${LOG_EXCERPTS_FILE} also holds a metrics file`);
      return m.files.map((f) => {
        if (f.name === LOG_EXCERPTS_FILE) return expectSchema(f, LOG_EXCERPTS_SCHEMA_V1), 'log-excerpts';
        if (f.name === ROLLOUT_PROGRESS_FILE) return expectSchema(f, ROLLOUT_PROGRESS_SCHEMA_V1), 'rollout-progress';
        if (!METRICS_FILE.test(f.name)) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: '${f.name}' is not a metrics file (metrics.ndjson.gz, metrics.csv.gz or metrics-N.…) or ${LOG_EXCERPTS_FILE}`);
        if (f.schema !== METRICS_SCHEMA_V1_1) expectSchema(f, METRICS_SCHEMA_V1);
        return 'metrics';
      });
    }
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
    case 'agent-package': {
      // Exactly the package's files; install.sh trusts nothing else. Only config.json is parsed, the rest is hash-checked.
      const required: string[] = Object.values(AGENT_PACKAGE_FILES);
      const names = new Set(m.files.map((f) => f.name));
      const missing = required.filter((n) => !names.has(n));
      if (missing.length) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: an agent-package bundle lacks ${missing.join(', ')}`);
      return m.files.map((f) => {
        if (f.name === AGENT_PACKAGE_FILES.config) return expectSchema(f, AGENT_CONFIG_SCHEMA_V1), 'package-config';
        if (!required.includes(f.name) && f.name !== AGENT_PACKAGE_SEA_FILE) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: '${f.name}' has no place in an agent-package bundle`);
        return 'package-file';
      });
    }
  }
}
