// Synthetic fleet: npm run fleet:simulate -- --hosts N --days D --seed S --out DIR [options]
// Writes DIR/console-home (a Coldroot home with the test CAs and every host's certificates),
// DIR/ca/*.pem, DIR/bundles/… (signed metric bundles) and DIR/fleet.json (what was made).
import { parseArgs } from 'node:util';
import { isColdrootError } from '../core/errors.js';
import { DEFAULT_START, simulateFleet } from '../core/bundles/simulation/fleet-simulator.js';

const usage = `usage: npm run fleet:simulate -- --hosts N --days D --seed S --out DIR
  [--start 2026-01-05] [--interval 300] [--format csv|ndjson] [--bundle-by host-day|day] [--quiet]

  --hosts      number of hosts (each gets a device-management and a TLS certificate)
  --days       days of metrics, one sample per host per interval
  --seed       integer; the same seed gives the same hosts, keys and metric payloads
  --out        a new or empty folder
  --start      first day (UTC midnight; default ${DEFAULT_START.toISOString().slice(0, 10)}). Certificates are valid for
               365 days from it, so pick a recent date to import the bundles with today's clock
  --interval   seconds per sample (default 300; must divide a day)
  --format     metric payload format (default csv)
  --bundle-by  host-day: one bundle per host and day (default); day: one per day for the
               whole fleet, signed by a collector device`;

const { values } = parseArgs({
  options: {
    hosts: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, start: { type: 'string' },
    interval: { type: 'string' }, format: { type: 'string' }, 'bundle-by': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean' },
  },
});
if (values.help || !values.hosts || !values.days || values.seed === undefined || !values.out) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}
const format = values.format ?? 'csv';
const bundleBy = values['bundle-by'] ?? 'host-day';
if ((format !== 'csv' && format !== 'ndjson') || (bundleBy !== 'host-day' && bundleBy !== 'day')) {
  console.error(usage);
  process.exit(2);
}
const start = values.start ? new Date(`${values.start.slice(0, 10)}T00:00:00Z`) : undefined;
if (start && Number.isNaN(start.getTime())) {
  console.error(`--start '${values.start}' is not a date such as 2026-01-05`);
  process.exit(2);
}

const t0 = performance.now();
try {
  const r = await simulateFleet({
    hosts: Number(values.hosts), days: Number(values.days), seed: Number(values.seed), out: values.out, start,
    intervalS: values.interval ? Number(values.interval) : undefined, format, bundleBy,
    onProgress: values.quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
  });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`${r.hosts.length} hosts, ${r.days} day${r.days === 1 ? '' : 's'} from ${r.start.slice(0, 10)}: ${r.samples} samples in ${r.bundles.length} bundles (${s} s)`);
  console.log(`home ${r.home} (CA passphrase: '${r.passphrase}'); trust anchor ${r.out}/ca/root.pem`);
  console.log(`import: COLDROOT_HOME=${r.home} npx coldroot bundle import ${r.out}/bundles/…`);
} catch (e) {
  if (!isColdrootError(e)) throw e;
  console.error(`error: ${e.message}. ${e.hint}`);
  process.exit(e.kind === 'input' ? 2 : 1);
}
