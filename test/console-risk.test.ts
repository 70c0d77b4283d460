// The Risk and Queue screens in a real browser (Debian's Chromium through Playwright) against
// `coldroot serve` on a home holding a simulated fleet's imported metrics bundles, where a deploy
// breaks some hosts' chains (core/bundles/simulation/risk-fleet.ts): train a model and score the
// fleet from the screen, find the broken hosts on top, open one's evidence and its chart with the
// anomalous hours marked, approve one action and reject another (a rejection without a note is
// refused), see their status and the audit entries, sign and export the approved renewal from the
// Queue screen and check the bundle with openssl, read the policy in Settings; axe-core on each.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from '@playwright/test';
import Database from 'better-sqlite3';
import { writeBundle } from '../core/bundles/bundle-writer.js';
import { RENEWAL_FILE } from '../core/bundles/payloads/renewal.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../core/bundles/payloads/renewal-request.js';
import { renewalRequestFile } from '../core/bundles/payloads/renewal-request-builder.js';
import { derivedKey, FLEET_PASSPHRASE } from '../core/bundles/simulation/fleet-simulator.js';
import { simulateRiskFleet } from '../core/bundles/simulation/risk-fleet.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import { openssl } from './helpers/openssl.js';
import { chromiumAvailable, ensureRendererBuilt, launchChromium, openPage, layoutProblems, screenshot, seriousA11yViolations, serveConsole, type ServedConsole } from './console/console-harness.js';

const availability = chromiumAvailable();
const skip = availability.ok ? false : availability.reason;
if (skip) process.stdout.write(`# console Risk tests skipped: ${skip}\n`);

describe('Risk and Queue screens in Chromium: scores, evidence, decisions', { skip, timeout: 120_000 }, () => {
  let dir: string;
  let served: ServedConsole;
  let browser: Browser;
  let page: Page;
  let broken: string[];
  let healthy: string[];
  let deviceCaId: string;
  let forcedId: number;

  const nav = (name: string) => page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name, exact: true }).click();
  const heading = (name: string) => page.getByRole('heading', { name, level: 1 }).waitFor();
  const call = <T = unknown>(op: string, body: unknown) => page.evaluate(async ([origin, name, input]) => {
    const res = await fetch(`${origin}/api/${name}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(input) });
    return (await res.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
  }, [served.origin, op, body] as const) as Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }>;
  async function capture(name: string): Promise<void> {
    await screenshot(page, name);
    assert.deepEqual(await seriousA11yViolations(page), [], `${name}: serious or critical accessibility violations`);
  }

  before(async () => {
    ensureRendererBuilt();
    dir = mkdtempSync(join(tmpdir(), 'coldroot-console-risk-'));
    const { fleet, labels, end } = await simulateRiskFleet({ out: join(dir, 'fleet'), hosts: 5, days: 35, seed: 11, scenario: 'misconfiguration', incidentDay: 34, incidentHour: 6 });
    deviceCaId = fleet.deviceCaId;
    broken = [...labels].filter(([, l]) => l).map(([h]) => h).sort();
    healthy = [...labels].filter(([, l]) => !l).map(([h]) => h).sort();
    assert.ok(broken.length >= 2 && healthy.length >= 1);
    // The console's clock starts an hour after the fleet's last bundle, not on the wall clock: the
    // fleet's certificates are dated by the simulation and would age out of a real-time console.
    served = await serveConsole(fleet.home, { now: new Date(end.getTime() + 3_600_000) });
    browser = await launchChromium();
    page = await openPage(browser);
    await page.goto(served.url);
    await heading('Overview');
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('train and score from the screen; the broken hosts lead the table; their evidence and chart', async () => {
    await nav('Risk');
    await heading('Risk');
    await page.getByText('No model trained yet').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Score now' }).isDisabled(), true, 'nothing to score with before a model exists');
    await capture('risk-01-empty');

    await page.getByRole('button', { name: 'Train a new model' }).click();
    await page.getByText(/^Model v1 trained on 2026-01-12 to 2026-02-09 \(5 series\)$/).waitFor();
    const versions = await page.getByRole('table', { name: 'Model versions' }).innerText();
    assert.match(versions, /v1 \(newest, used to score\)[\s\S]*by playwright[\s\S]*100 trees × 256 rows, seed 1/);

    await page.getByRole('button', { name: 'Score now' }).click();
    await page.getByText(/^Scored 5 series on 5 hosts with model v1: \d+ actions queued \(\d+ auto-approved\)/).waitFor();
    const table = page.getByRole('table', { name: 'Risk scores' });
    await table.waitFor();
    const rows = table.locator('tbody tr');
    assert.equal(await rows.count(), 5);
    const leading = await Promise.all(Array.from({ length: broken.length }, (_, i) => rows.nth(i).locator('td').first().innerText()));
    assert.deepEqual(leading.map((t) => t.split('\n')[0]).sort(), broken);
    const first = await rows.first().innerText();
    assert.match(first, /critical/);
    assert.match(first, /2026-02-08 23:00Z \(18 h\)/, 'last anomaly and anomalous hours');
    assert.match(await rows.last().innerText(), /low\s+none/);
    await capture('risk-02-scored');

    // Only critical ones, then back.
    await page.getByLabel('Level').selectOption('critical');
    await page.getByText(`1–${broken.length} of ${broken.length}`).waitFor();
    await page.getByLabel('Level').selectOption('');
    await page.getByText('1–5 of 5').waitFor();

    const host = leading[0].split('\n')[0];
    await page.getByRole('button', { name: new RegExp(`^Evidence for ${host.replace(/\./g, '\\.')} serial `) }).click();
    await page.getByRole('heading', { name: new RegExp(`^Evidence: ${host.replace(/\./g, '\\.')}`) }).waitFor();
    const features = await page.getByRole('table', { name: 'Features behind the score' }).innerText();
    assert.match(features, /(cert_failure_pct|failure_pct|validation_errors)[\s\S]*2026-02-08 06:00Z/);
    const risk = await page.getByRole('table', { name: new RegExp(`^Risk of ${host.replace(/\./g, '\\.')}`) }).innerText();
    assert.match(risk, /18 of 24, since 2026-02-08 06:00Z/);
    assert.match(risk, /Model\s+v1, trained .* by playwright on 2026-01-12 to 2026-02-09/);
    await page.getByRole('list', { name: 'Open actions' }).getByText(/forced-renewal \(pending\)/).waitFor();

    const chart = page.getByRole('img', { name: /^Failed handshakes \(%\) per hour from 2026-02-02 00:00Z to 2026-02-09 00:00Z: 168 hours/ });
    await chart.waitFor();
    assert.match((await chart.getAttribute('aria-label'))!, /18 anomalous hours marked by model v1\.$/);
    const markers = await chart.locator('circle[data-anomaly]').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-anomaly')));
    assert.equal(markers.length, 18);
    assert.equal(markers[0], '2026-02-08T06:00:00.000Z');
    await page.getByLabel('Metric', { exact: true }).selectOption('handshakes');
    await page.getByRole('img', { name: /^Handshakes \(per hour\) per hour/ }).waitFor();
    assert.deepEqual(await layoutProblems(page), [], 'every day label of the chart, the last one too, is inside the chart');
    await page.getByText('Show the data as a table').click();
    const data = page.getByRole('table', { name: 'Hourly metrics and anomalies' });
    assert.equal(await data.locator('tbody tr').count(), 168);
    assert.match(await data.locator('tbody tr', { hasText: '2026-02-08 06:00Z' }).innerText(), /statistical \((cert_failure_pct|failure_pct), z [\d.]+\)/);
    assert.equal(await data.locator('tbody tr', { hasText: '2026-02-07 06:00Z' }).locator('td').last().innerText(), '', 'a calm hour has no marker');
    await capture('risk-03-evidence');
  });

  test('queue: a rejection needs a note; approve one, reject another; statuses, plan and audit follow', async () => {
    await nav('Queue');
    await heading('Queue');
    const queue = page.getByRole('table', { name: 'Queued actions' });
    await queue.waitFor();
    const listed = await call<Array<{ id: number; action: string; host: string }>>('actionsList', {});
    const forced = listed.value!.find((a) => a.action === 'forced-renewal' && a.host === broken[0])!;
    const investigation = listed.value!.find((a) => a.action === 'investigation' && a.host === broken[1])!;
    assert.ok(forced && investigation, JSON.stringify(listed));
    forcedId = forced.id;
    const forcedRow = queue.getByRole('row', { name: `Action ${forced.id}` });
    assert.match(await forcedRow.innerText(), /forced-renewal[\s\S]*critical[\s\S]*since 2026-02-08 06:00Z[\s\S]*v1[\s\S]*pending/);
    await capture('queue-01-pending');

    const invRow = queue.getByRole('row', { name: `Action ${investigation.id}` });
    await invRow.getByRole('button', { name: /^Reject action / }).click();
    assert.match(await invRow.getByRole('alert').innerText(), /QUEUE_NOTE_REQUIRED[\s\S]*needs a note saying why/);
    await invRow.getByLabel('Note (required to reject)').fill('cause known: the 06:00 deploy, rolled back');
    await invRow.getByRole('button', { name: /^Reject action / }).click();
    await invRow.waitFor({ state: 'detached' });

    await forcedRow.getByLabel('Note (required to reject)').fill('renew: chain broken since the deploy');
    await forcedRow.getByRole('button', { name: /^Approve action / }).click();
    await forcedRow.waitFor({ state: 'detached' });
    await page.getByRole('list', { name: 'Renewal plan' }).getByText(`Renew ${broken[0]} with a new key`).waitFor();

    await page.getByLabel('Show actions').selectOption('all');
    const all = page.getByRole('table', { name: 'Queued actions' });
    assert.match(await all.getByRole('row', { name: `Action ${forced.id}` }).innerText(), /approved[\s\S]*playwright, .*: renew: chain broken since the deploy/);
    assert.match(await all.getByRole('row', { name: `Action ${investigation.id}` }).innerText(), /rejected[\s\S]*playwright, .*: cause known/);
    await capture('queue-02-decided');

    const audit = await call<{ entries: Array<{ actor: string; details: { id: number; modelVersion: number; note: string } }> }>('listAudit', { action: 'risk.action.reject' });
    assert.equal(audit.value!.entries.length, 1);
    assert.equal(audit.value!.entries[0].actor, 'playwright');
    assert.deepEqual([audit.value!.entries[0].details.id, audit.value!.entries[0].details.modelVersion], [investigation.id, 1]);
    assert.ok(!served.stderr.join('').includes('failed'), `the host reported no fault: ${served.stderr.join('')}`);
  });

  test('the approved renewal is signed and exported from the Queue screen; openssl verifies the bundle; the overview counts it all', async () => {
    // The broken host asks for its renewal (proven by its current TLS key, sent by the fleet's collector), as its agent would.
    const db = new Database(join(served.home, 'coldroot.db'), { readonly: true });
    const derOf = (subject: string, profile: string) => new Uint8Array(db.prepare('SELECT der FROM certificates WHERE subject = ? AND profile = ?').pluck().get(subject, profile) as Buffer);
    const caDer = new Uint8Array(db.prepare('SELECT certificate_der FROM cas WHERE id = ?').pluck().get(deviceCaId) as Buffer);
    const signer = (label: string) => new SoftwareSigner(derivedKey(11, label), 'ecdsa-p256', `software:${label}`);
    const requests = await renewalRequestFile([{
      requestId: 'renew-1', host: broken[0], profile: 'tls-server', reason: 'risk',
      csr: await buildCsr(signer(`tls-next/${broken[0]}`), `CN=${broken[0]}`, { dns: [broken[0]] }),
      proof: { kind: 'current-certificate', certificate: derOf(`CN=${broken[0]}`, 'tls-server'), key: signer(`tls/${broken[0]}`) },
    }]);
    const identity = { signer: signer('device/collector-01.fleet.example'), certificate: derOf('CN=collector-01.fleet.example', 'device-management'), chain: [caDer] };
    db.close();
    const file = join(dir, 'renewal-request.tar');
    await writeBundle(file, { type: 'renewal-request', identity, sequence: 1000, createdAt: served.now(), files: [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1, data: new TextEncoder().encode(JSON.stringify(requests)) }] });
    await nav('Import');
    await heading('Import');
    await page.getByLabel('Choose bundles…').setInputFiles([file]);
    await page.getByRole('article', { name: 'Verification report for renewal-request.tar' }).getByText('Verifies: ready to import').waitFor();
    await page.getByRole('button', { name: /Import 1 bundle/ }).click();
    await page.getByRole('list', { name: 'Import results' }).waitFor();
    assert.match(await page.getByRole('list', { name: 'Import results' }).innerText(), /renewal-request\.tar: accepted, renewal-request/);
    const made = await call('createBundleSigner', { caId: deviceCaId, caSecret: { passphrase: FLEET_PASSPHRASE }, keyStorage: 'software', keySecret: 'console risk signer passphrase' });
    assert.ok(made.ok, JSON.stringify(made.error));

    await nav('Queue');
    await heading('Queue');
    await page.getByRole('table', { name: 'Pending renewal requests' }).getByText(broken[0], { exact: true }).waitFor();
    const form = page.getByRole('form', { name: 'Sign and export a renewal bundle' });
    await form.getByLabel('Issuing CA').selectOption(deviceCaId);
    await form.getByLabel(`Key passphrase of ${deviceCaId}`).fill(FLEET_PASSPHRASE);
    await form.getByLabel('Passphrase of the bundle-signing key').fill('console risk signer passphrase');
    const usb = join(dir, 'usb');
    mkdirSync(usb);
    await form.getByLabel(/Output folder on this machine/).fill(usb);
    assert.equal(await form.getByLabel(/Carry the 1 approved risk action/).isChecked(), true);
    await form.getByRole('button', { name: 'Sign and export the renewal bundle' }).click();
    const exported = page.getByRole('status', { name: 'Exported renewal bundle' });
    await exported.waitFor();
    const text = await exported.innerText();
    assert.match(text, /1 issued, 0 rejected/);
    assert.match(text, new RegExp(`Risk actions carried and marked exported: #${forcedId}\\.`));
    await capture('queue-03-exported');
    const bundle = text.match(/written to (\S+\.tar)/)![1];
    assert.ok(bundle.startsWith(usb), bundle);

    // Outside Coldroot: the CMS signature chains to the fleet's root, every file matches the manifest, and the new certificate verifies
    // (at the console's time: the fleet's certificates are dated by the simulation).
    const attime = ['-attime', String(Math.floor(served.now().getTime() / 1000))];
    const out = join(dir, 'unpacked');
    mkdirSync(out);
    assert.equal(spawnSync('tar', ['xf', bundle, '-C', out]).status, 0);
    const chain = await call<{ pem: string }>('exportChain', { caId: deviceCaId });
    const pems = chain.value!.pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    writeFileSync(join(dir, 'fleet-root.pem'), `${pems.at(-1)}\n`);
    const cms = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(out, 'manifest.p7s'), '-content', join(out, 'manifest.json'), '-CAfile', join(dir, 'fleet-root.pem'), ...attime, '-out', '/dev/null']);
    assert.equal(cms.code, 0, cms.stderr);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { type: string };
    assert.equal(manifest.type, 'renewal');
    const index = JSON.parse(readFileSync(join(out, RENEWAL_FILE), 'utf8')) as { hosts?: unknown; [k: string]: unknown };
    const certFile = JSON.stringify(index).match(/certs\/[^"]+\.pem/)![0];
    const v = openssl(['verify', ...attime, '-CAfile', join(dir, 'fleet-root.pem'), '-untrusted', join(out, 'chain.pem'), join(out, certFile)]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(openssl(['x509', '-in', join(out, certFile), '-noout', '-subject']).stdout, new RegExp(`CN ?= ?${broken[0].replace(/\./g, '\\.')}`));
    assert.match(openssl(['x509', '-in', join(out, certFile), '-noout', '-startdate']).stdout, /^notBefore=Feb {2}9 0[12]:\d\d:\d\d 2026 GMT$/m, "issued on the console's clock");
    const after = await call<Array<{ id: number; exportedIn: string | null }>>('actionsList', { status: 'exported' });
    assert.deepEqual(after.value!.map((a) => a.id), [forcedId]);

    await nav('Overview');
    await heading('Overview');
    const risk = await page.getByRole('region', { name: 'Fleet risk at a glance' }).innerText();
    assert.match(risk, new RegExp(`5 certificates on 5 hosts scored \\(model v1, [^)]+\\): ${broken.length} critical`));
    const queued = await page.getByRole('region', { name: 'Action queue' }).innerText();
    const count = async (status: string) => (await call<unknown[]>('actionsList', { status })).value!.length;
    assert.match(queued, new RegExp(`Risk actions: ${await count('pending')} waiting for a decision, ${await count('approved')} approved\\.`));
    assert.deepEqual(await layoutProblems(page), [], 'at 1440 px the overview cards hold their tables and dates stay on one line');
    await capture('overview-scored');
  });

  test('settings show the risk policy in effect and where it comes from', async () => {
    await nav('Settings');
    await heading('Settings');
    const policy = page.getByRole('table', { name: 'Risk policy thresholds' });
    await policy.waitFor();
    const text = await policy.innerText();
    assert.match(text, /Forced renewal \(new key\)\s+risk ≥ 85\s+waits for an operator/);
    assert.match(text, /Alert\s+risk ≥ 40\s+approved by the policy/);
    await page.getByText('From built-in defaults').waitFor();
    await capture('settings-risk-policy');
  });
});
