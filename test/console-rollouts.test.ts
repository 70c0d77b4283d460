// The Agents screen's "Certificate rollouts" card with data, in a real browser (Debian's Chromium
// through Playwright) against `coldroot serve`: three hosts' agents report a canary rollout in
// signed metric bundles written by the agent's own bundle writer (two with rollout.json, one with
// samples only), plus one whose rollout.json is invalid. The operator imports them on the Import
// screen (the invalid one is refused with its reason), and the card shows each host's plan, state,
// exposure and its steps, old vs new success and handshake p95, failures caused and times, as the
// samples make them. The console's clock is the test kit's, so nothing here ages out.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from '@playwright/test';
import { writeMetricsBundle as writeAgentMetricsBundle } from '../agent-bundle/src/agent/canary/rollout-metrics-bundle.js';
import { StateLayout } from '../agent-bundle/src/agent/state/state-layout.js';
import { makeBundleTestKit, type BundleTestKit, type TestDevice } from '../core/bundles/testing/bundle-test-kit.js';
import type { RolloutProgressFile } from '../core/policy/canary/rollout-progress.js';
import { chromiumAvailable, ensureRendererBuilt, launchChromium, openPage, layoutProblems, screenshot, seriousA11yViolations, serveConsole, type ServedConsole } from './console/console-harness.js';
import { rolloutAt, rolloutInterval, rolloutProgress } from './helpers/rollout-samples.js';

const availability = chromiumAvailable();
const skip = availability.ok ? false : availability.reason;
if (skip) process.stdout.write(`# console rollout tests skipped: ${skip}\n`);

const COMPLETE = 'edge-1.fleet.example';
const ROLLED_BACK = 'edge-2.fleet.example';
const SAMPLES_ONLY = 'fix-1.fleet.example';

describe('Agents screen in Chromium: certificate rollouts imported from agents\' metric bundles', { skip, timeout: 120_000 }, () => {
  let kit: BundleTestKit;
  let served: ServedConsole;
  let browser: Browser;
  let page: Page;
  const files: string[] = [];
  const devices = new Map<string, TestDevice>();
  let invalid: string;

  const nav = (name: string) => page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name, exact: true }).click();
  const heading = (name: string) => page.getByRole('heading', { name, level: 1 }).waitFor();
  async function capture(name: string): Promise<void> {
    await screenshot(page, name);
    assert.deepEqual(await seriousA11yViolations(page), [], `${name}: serious or critical accessibility violations`);
  }

  /** What the host's agent writes: its metrics (one series per certificate) and, when given, rollout.json. */
  async function agentBundle(host: string, exposures: number[], newFailPct: number, rollout: RolloutProgressFile | null): Promise<string> {
    const layout = new StateLayout(join(kit.dir, `agent-${host}`));
    mkdirSync(layout.root, { recursive: true });
    const samples = exposures.flatMap((e, k) => rolloutInterval(host, k, e, newFailPct));
    if (!devices.has(host)) devices.set(host, await kit.device(host));
    const device = devices.get(host)!;
    return (await writeAgentMetricsBundle({ layout, identity: device, now: kit.clock.now, outDir: join(kit.dir, 'outbox', host), samples, rollout })).path;
  }

  before(async () => {
    ensureRendererBuilt();
    kit = await makeBundleTestKit('coldroot-console-rollouts-');
    // 5 → 20 → 80 → 100%, one minute a step, every client accepts the new certificate.
    const complete = rolloutProgress(COMPLETE, {
      state: 'complete', exposurePercent: 100, activeCertificate: 'new', lastChangeAt: rolloutAt(3), finishedAt: rolloutAt(3), rollbackReason: null,
      changes: [[0, 5, 'increase', 'start'], [5, 20, 'increase', 'success'], [20, 80, 'increase', 'success'], [80, 100, 'complete', 'success']].map(([from, to, action, metric], k) => ({ at: rolloutAt(k), from: from as number, to: to as number, action: action as 'increase', metric: metric as string })),
      lastDecision: { at: rolloutAt(3), action: 'complete', from: 80, to: 100, metric: 'success', message: 'new as good as old for 3 windows' },
    });
    files.push(await agentBundle(COMPLETE, [5, 20, 80, 100, 100], 0, complete));
    // 30% of the clients do not trust the new root: back to 0 after the first minute.
    files.push(await agentBundle(ROLLED_BACK, [5, 0, 0], 30, rolloutProgress(ROLLED_BACK)));
    // No rollout.json (a front that does not report one): the rollout is recognised from the samples.
    files.push(await agentBundle(SAMPLES_ONLY, [5, 5, 25, 25, 50, 50, 100], 0, null));
    invalid = await agentBundle(ROLLED_BACK, [0], 0, rolloutProgress(ROLLED_BACK, { exposurePercent: 150 }));
    kit.svc.close(); // the served console takes the home's lock
    served = await serveConsole(join(kit.dir, 'home'), { now: new Date(kit.clock.now.getTime() + 3_600_000) });
    browser = await launchChromium();
    page = await openPage(browser);
    await page.goto(served.url);
    await heading('Overview');
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    kit?.close();
  });

  test('imported on the Import screen: three rollouts accepted, an invalid rollout.json refused with its reason', async () => {
    await nav('Agents');
    await heading('Agents');
    await page.getByText('No canary rollout reported yet', { exact: false }).waitFor();

    await nav('Import');
    await heading('Import');
    await page.getByLabel('Choose bundles…').setInputFiles([...files, invalid]);
    for (const f of files) await page.getByRole('article', { name: `Verification report for ${basename(f)}` }).getByText('Verifies: ready to import').waitFor();
    const refused = page.getByRole('article', { name: `Verification report for ${basename(invalid)}` });
    await refused.getByText('Rejected', { exact: true }).waitFor();
    assert.match(await refused.getByRole('alert').innerText(), /BUNDLE_PAYLOAD_INVALID[\s\S]*rollout\.json: rollouts\.0\.exposurePercent: Too big: expected number to be <=100/);
    await page.getByRole('button', { name: /^Import 4 bundles/ }).click();
    const results = page.getByRole('list', { name: 'Import results' });
    await results.waitFor();
    const text = await results.innerText();
    for (const f of files) assert.match(text, new RegExp(`${basename(f).replace(/\./g, '\\.')}: accepted, metrics`));
    assert.match(text, new RegExp(`${basename(invalid).replace(/\./g, '\\.')}: rejected, BUNDLE_PAYLOAD_INVALID`));
  });

  test('the Certificate rollouts card: plan, state, exposure and its steps, old vs new success and p95, failures caused, times, why', async () => {
    await nav('Agents');
    await heading('Agents');
    const table = page.getByRole('table', { name: 'Certificate rollouts' });
    await table.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 3);
    const row = async (host: string) => (await table.getByRole('row', { name: `Rollout on ${host}` }).locator('td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    // Old: 1,950 handshakes, 4 unrelated failures (99.8%); new: 3,050, none failed; p95 12 vs 15 ms; 100% three minutes after the start.
    assert.deepEqual(await row(COMPLETE), [COMPLETE, 'edge-2026 adaptive', 'complete', '100%', '5 → 20 → 80 → 100% over 5 intervals', '99.8% / 100.0%', '12 ms / 15 ms', '0', '3 min / —', 'complete success: new as good as old for 3 windows']);
    // New: 50 handshakes, 15 refused with unknown_ca (70%); beyond old's 0.2%: 15 caused; rolled back after 60 s.
    assert.deepEqual(await row(ROLLED_BACK), [ROLLED_BACK, 'edge-2026 adaptive', 'rolled-back', '0%', '5 → 0% over 3 intervals', '99.8% / 70.0%', '12 ms / 15 ms', '15', '— / 60 s', 'success rate 70.0% on new vs 99.8% on old']);
    // From the samples alone: no plan, 100% in the seventh interval (6 min after the first).
    assert.deepEqual(await row(SAMPLES_ONLY), [SAMPLES_ONLY, '—', 'complete', '100%', '5 → 25 → 50 → 100% over 7 intervals', '99.8% / 100.0%', '12 ms / 15 ms', '0', '6 min / —', '']);
    assert.deepEqual(await layoutProblems(page), []);
    await capture('agents-05-rollouts');
    assert.ok(!served.stderr.join('').includes('failed'), `the host reported no fault: ${served.stderr.join('')}`);
  });
});
