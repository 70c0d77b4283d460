/*
 * Applies one renewal bundle in a process of its own, for the kill tests:
 *   node --import tsx apply-renewal-child.ts STATE_DIR BUNDLE HOST NOW_ISO ANCHORS_PEM [SERVICES_JSON]
 * COLDROOT_AGENT_CRASH_AFTER=<step> makes it SIGKILL itself after that step; otherwise it prints
 * the outcome as one JSON line. SERVICES_JSON (a file holding ServiceActivation[]) gives it
 * services to activate; a service's reload command can kill it mid-activation.
 */
import { readFileSync } from 'node:fs';
import { fromPemOrDer } from '../../../../core/x509/asn1.js';
import { applyRenewalBundle } from '../rotation/apply-renewal.js';
import type { ServiceActivation } from '../rotation/service-activation.js';
import { StateLayout } from '../state/state-layout.js';

const [stateDir, bundle, host, nowIso, anchorsPem, servicesJson] = process.argv.slice(2);
const outcome = await applyRenewalBundle(bundle, {
  layout: new StateLayout(stateDir), host, now: new Date(nowIso),
  trustAnchors: fromPemOrDer(readFileSync(anchorsPem), ['CERTIFICATE']),
  services: servicesJson ? (JSON.parse(readFileSync(servicesJson, 'utf8')) as ServiceActivation[]) : undefined,
  log: (e) => process.stderr.write(`${JSON.stringify(e)}\n`),
});
process.stdout.write(`${JSON.stringify(outcome)}\n`);
