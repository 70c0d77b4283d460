// The operator console in a real browser (Debian's Chromium through Playwright) against
// `coldroot serve` on 127.0.0.1 with a temp home and its own SoftHSM token: first run, demo fleet,
// a root and an intermediate created on the HSM through the ceremony, certificate search, filter
// and revocation, a bundle imported and a tampered one rejected with its reason, the audit trail
// verified; a screenshot of every screen (test-artifacts/console/) and axe-core on each.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from '@playwright/test';
import { DEMO_PASSPHRASE } from '../core/api/demo-fleet.js';
import { openssl } from './helpers/openssl.js';
import { createSoftHsmToken, softHsmAvailable, type SoftHsmToken } from './helpers/softhsm.js';
import { chromiumAvailable, ensureRendererBuilt, launchChromium, openPage, layoutProblems, screenshot, seriousA11yViolations, serveConsole, tamperLastPayload, type ServedConsole } from './console/console-harness.js';

const skip = !chromiumAvailable().ok ? (chromiumAvailable() as { reason: string }).reason : !softHsmAvailable().ok ? (softHsmAvailable() as { reason: string }).reason : false;
if (skip) process.stdout.write(`# console UI tests skipped: ${skip}\n`);

describe('operator console in Chromium (browser host)', { skip, timeout: 170_000 }, () => {
  let dir: string;
  let token: SoftHsmToken;
  let served: ServedConsole;
  let browser: Browser;
  let page: Page;
  const a11y: Record<string, string[]> = {};

  /** Screenshot and accessibility check of the screen as it is now. */
  async function capture(name: string): Promise<void> {
    await screenshot(page, name);
    a11y[name] = await seriousA11yViolations(page);
    assert.deepEqual(a11y[name], [], `${name}: serious or critical accessibility violations`);
  }
  const nav = (name: string) => page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name, exact: true }).click();
  const heading = (name: string) => page.getByRole('heading', { name, level: 1 }).waitFor();

  before(async () => {
    ensureRendererBuilt();
    dir = mkdtempSync(join(tmpdir(), 'coldroot-console-ui-'));
    token = createSoftHsmToken({ label: 'console-hsm', pin: '24681357' });
    served = await serveConsole(join(dir, 'home'), { env: { SOFTHSM2_CONF: token.confPath } });
    browser = await launchChromium();
    page = await openPage(browser, { acceptDownloads: true });
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    token?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a fresh home opens the first-run flow; the demo fleet fills every screen', async () => {
    const t0 = performance.now();
    await page.goto(served.url);
    await page.getByRole('heading', { name: 'Welcome', level: 1 }).waitFor();
    process.stdout.write(`# first-run screen interactive ${Math.round(performance.now() - t0)} ms after navigation\n`);
    assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
    await capture('01-first-run');
    await page.getByLabel('Hosts').fill('40');
    await page.getByRole('button', { name: 'Load a demo fleet' }).click();
    await heading('Overview');
    await page.getByRole('heading', { name: 'Recent bundles' }).waitFor();
    await page.getByText('CN=collector-01.fleet.example').first().waitFor();
    assert.match(await page.getByRole('list', { name: 'Inventory' }).innerText(), /83\s+Certificates/);
    assert.match(await page.getByRole('region', { name: 'Fleet risk at a glance' }).innerText(), /No certificate scored yet[\s\S]*6 from 6 hosts/);
    assert.match(await page.getByRole('region', { name: 'Action queue' }).innerText(), /Risk actions: 0 waiting for a decision, 0 approved\.[\s\S]*Renewal requests received: 3 pending/);
    assert.deepEqual(await layoutProblems(page), [], 'at 1440 px the overview cards hold their tables and dates stay on one line');
    await capture('02-overview');
  });

  test('root and intermediate created on SoftHSM through the ceremony, with a review of what is signed', async () => {
    await nav('CA hierarchy');
    await heading('CA hierarchy');
    await capture('03-ca-hierarchy');
    await page.getByRole('button', { name: 'New root CA' }).click();
    await page.getByLabel(/On a PKCS#11 token/).check();
    await page.getByLabel('Module (vendor library)').fill(token.modulePath);
    await page.getByRole('button', { name: 'List tokens' }).click();
    await page.getByRole('radio', { name: /console-hsm/ }).check();
    await page.getByRole('button', { name: 'Next: subject and profile' }).click();
    await page.getByLabel('Subject (distinguished name)').fill('CN=Playwright HSM Root CA,O=Coldroot Tests');
    await page.getByRole('button', { name: 'Review what will be signed' }).click();
    const review = page.getByRole('table', { name: 'What will be signed' });
    await review.waitFor();
    const text = await review.innerText();
    for (const want of ['CN=Playwright HSM Root CA', 'Basic Constraints (critical)', 'CA: TRUE', 'keyCertSign', "generated on PKCS#11 token 'console-hsm'", 'ecdsa-with-SHA384']) assert.ok(text.includes(want), `review shows ${want}`);
    await capture('04-ceremony-review');
    await page.getByRole('button', { name: /This is correct/ }).click();
    await page.getByLabel("User PIN of token 'console-hsm'").fill(token.pin);
    await page.getByRole('button', { name: 'Generate the key and sign' }).click();
    await page.getByText('Created root CA playwright-hsm-root-ca').waitFor();
    await capture('05-ceremony-done');
    await page.getByRole('button', { name: 'Done' }).click();

    await page.getByRole('button', { name: /root CN=Playwright HSM Root CA/ }).click();
    await page.getByRole('button', { name: 'New intermediate under this CA' }).click();
    await page.getByLabel(/On a PKCS#11 token/).check();
    await page.getByLabel('Module (vendor library)').fill(token.modulePath);
    await page.getByRole('button', { name: 'List tokens' }).click();
    await page.getByRole('radio', { name: /console-hsm/ }).check();
    await page.getByRole('button', { name: 'Next: subject and profile' }).click();
    await page.getByLabel('Subject (distinguished name)').fill('CN=Playwright HSM Issuing CA,O=Coldroot Tests');
    await page.getByRole('button', { name: 'Review what will be signed' }).click();
    const inter = await page.getByRole('table', { name: 'What will be signed' }).innerText();
    assert.match(inter, /Issuer\s+CN=Playwright HSM Root CA, O=Coldroot Tests/);
    assert.match(inter, /pathLenConstraint: 0/);
    await page.getByRole('button', { name: /This is correct/ }).click();
    await page.getByLabel("User PIN of token 'console-hsm'").fill(token.pin);
    await page.getByLabel(/PIN of the parent CA's token/).fill(token.pin);
    await page.getByRole('button', { name: 'Generate the key and sign' }).click();
    await page.getByText('Created intermediate CA playwright-hsm-issuing-ca').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();

    // Both keys were generated on the token and are not extractable.
    const objects = spawnSync('pkcs11-tool', ['--module', token.modulePath, '--token-label', 'console-hsm', '--login', '--pin', token.pin, '--list-objects', '--type', 'privkey'], { env: token.env, encoding: 'utf8' });
    assert.match(objects.stdout, /playwright-hsm-root-ca/);
    assert.match(objects.stdout, /playwright-hsm-issuing-ca/);
    assert.match(objects.stdout, /never extractable/);

    // The exported chain verifies with openssl, and so does the CRL the HSM intermediate signs.
    await page.getByRole('button', { name: 'Export chain' }).click();
    const chain = await page.getByLabel('Chain (PEM)').innerText();
    const certs = chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    assert.equal(certs.length, 2);
    writeFileSync(join(dir, 'issuing.pem'), `${certs[0]}\n`);
    writeFileSync(join(dir, 'root.pem'), `${certs[1]}\n`);
    assert.equal(openssl(['verify', '-CAfile', join(dir, 'root.pem'), join(dir, 'issuing.pem')]).code, 0);
    await page.getByLabel('Token PIN of playwright-hsm-issuing-ca').first().fill(token.pin);
    await page.getByRole('button', { name: 'Sign and publish the CRL' }).click();
    await page.getByText(/CRL #1: 0 revoked/).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Download playwright-hsm-issuing-ca-1\.crl/ }).click()]);
    await download.saveAs(join(dir, 'issuing.crl'));
    assert.equal(openssl(['crl', '-in', join(dir, 'issuing.crl'), '-CAfile', join(dir, 'issuing.pem'), '-noout']).code, 0);
    await capture('06-ca-hsm');
  });

  test('certificates: server-side search and filter, full decode, revoke', async () => {
    await nav('Certificates');
    await heading('Certificates');
    const summary = page.getByTestId('cert-summary');
    await summary.filter({ hasText: /^85 certificates/ }).waitFor();
    await page.getByLabel('Search subject, SAN or serial').fill('web-0001');
    await summary.filter({ hasText: /^2 certificates/ }).waitFor();
    await page.getByLabel('State').selectOption('revoked');
    await summary.filter({ hasText: /^0 certificates/ }).waitFor();
    await page.getByLabel('Search subject, SAN or serial').fill('');
    await summary.filter({ hasText: /^2 certificates/ }).waitFor();
    await page.getByLabel('State').selectOption('');
    await page.getByLabel('Profile').selectOption('tls-server');
    await summary.filter({ hasText: /^40 certificates/ }).waitFor();
    await page.getByLabel('Search subject, SAN or serial').fill('web-0001');
    await summary.filter({ hasText: /^1 certificates/ }).waitFor();
    await capture('07-certificates');

    await page.getByRole('button', { name: 'CN=web-0001.fleet.example' }).click();
    const ext = page.getByRole('table', { name: 'Extensions' });
    await ext.waitFor();
    const decoded = await ext.innerText();
    for (const want of ['Subject Alternative Name', 'DNS:web-0001.fleet.example', 'Extended Key Usage', 'serverAuth (1.3.6.1.5.5.7.3.1)', 'Authority Key Identifier', 'CRL Distribution Points', 'OCSP: URI:http://ocsp.demo.example']) {
      assert.ok(decoded.includes(want), `decoded extensions show ${want}`);
    }
    await page.getByLabel('Reason (RFC 5280)').selectOption('keyCompromise');
    await page.getByLabel(/I want to revoke serial/).check();
    await capture('08-certificate-detail');
    await page.getByRole('button', { name: 'Revoke certificate' }).click();
    await page.getByText(/Revoked at .* \(keyCompromise\)/).waitFor();
    await page.getByRole('row', { name: /CN=web-0001\.fleet\.example/ }).getByText('revoked').waitFor();
  });

  test('import: a bundle verified and imported, a tampered copy rejected with its reason and quarantined', async () => {
    const inbox = join(served.home, 'demo-fleet', 'inbox');
    const good = join(inbox, readdirSync(inbox).find((f) => f.endsWith('.tar'))!);
    const copy = join(dir, 'day-3.tar');
    copyFileSync(good, copy);
    const bad = join(dir, 'tampered.tar');
    tamperLastPayload(good, bad);
    await nav('Import');
    await heading('Import');
    await page.getByLabel('Choose bundles…').setInputFiles([copy, bad]);
    const goodReport = page.getByRole('article', { name: 'Verification report for day-3.tar' });
    await goodReport.getByText('Verifies: ready to import').waitFor();
    const badReport = page.getByRole('article', { name: 'Verification report for tampered.tar' });
    await badReport.getByText('BUNDLE_HASH_MISMATCH').waitFor();
    assert.match(await badReport.innerText(), /check: integrity/);
    await capture('09-import-verified');
    await page.getByRole('button', { name: /Import 2 bundles/ }).click();
    const results = page.getByRole('list', { name: 'Import results' });
    await results.waitFor();
    const outcome = await results.innerText();
    assert.match(outcome, /day-3\.tar: accepted, metrics from CN=collector-01\.fleet\.example, sequence 3/);
    assert.match(outcome, /tampered\.tar: rejected, BUNDLE_HASH_MISMATCH \(check: integrity\)/);
    await page.getByRole('table', { name: 'Quarantined bundles' }).getByText('BUNDLE_HASH_MISMATCH').waitFor();
    await capture('10-import-done');
  });

  test('queue: a bundle-signing identity, then the pending renewals signed and exported; the bundle verifies with openssl', async () => {
    await nav('Queue');
    await heading('Queue');
    await page.getByRole('table', { name: 'Pending renewal requests' }).waitFor();
    assert.equal(await page.getByRole('table', { name: 'Pending renewal requests' }).getByRole('row').count(), 4);
    await page.getByLabel('CA that certifies it').selectOption('coldroot-demo-device-ca');
    await page.getByLabel('Key passphrase of coldroot-demo-device-ca').fill(DEMO_PASSPHRASE);
    await page.getByLabel('Passphrase for the new signing key (12+ characters)').fill('bundle signer passphrase');
    await page.getByRole('button', { name: 'Create the bundle-signing identity' }).click();
    await page.getByText(/Exported bundles are signed by CN=Coldroot Console Bundle Signer/).waitFor();
    await page.getByLabel('Issuing CA').selectOption('coldroot-demo-device-ca');
    await page.getByLabel('Key passphrase of coldroot-demo-device-ca').fill(DEMO_PASSPHRASE);
    await page.getByLabel('Passphrase of the bundle-signing key').fill('bundle signer passphrase');
    await page.getByLabel(/Output folder on this machine/).fill(join(dir, 'usb'));
    await page.getByRole('button', { name: 'Sign and export the renewal bundle' }).click();
    const exported = page.getByRole('status', { name: 'Exported renewal bundle' });
    await exported.waitFor();
    const text = await exported.innerText();
    // web-0001 was revoked above, so its pending renewal (proven by that certificate) is refused.
    assert.match(text, /2 issued, 1 rejected/);
    const bundle = text.match(/written to (\S+\.tar)/)![1];
    assert.ok(bundle.startsWith(join(dir, 'usb')), bundle);
    await capture('11-queue-exported');
    await page.getByText('No pending renewal request').waitFor();

    // Outside Coldroot: the manifest's CMS signature verifies against the demo root, and the files match the manifest.
    const out = join(dir, 'unpacked');
    spawnSync('mkdir', ['-p', out]);
    assert.equal(spawnSync('tar', ['xf', bundle, '-C', out]).status, 0);
    const chain = await page.evaluate(async (origin) => ((await (await fetch(`${origin}/api/exportChain`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ caId: 'coldroot-demo-device-ca' }) })).json()) as { value: { pem: string } }).value.pem, served.origin);
    writeFileSync(join(dir, 'demo-root.pem'), `${chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.pop()}\n`);
    const cms = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(out, 'manifest.p7s'), '-content', join(out, 'manifest.json'), '-CAfile', join(dir, 'demo-root.pem'), '-out', '/dev/null']);
    assert.equal(cms.code, 0, cms.stderr);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { type: string; files: Array<{ name: string; sha256: string }> };
    assert.equal(manifest.type, 'renewal');
    for (const f of manifest.files) assert.equal(createHash('sha256').update(readFileSync(join(out, f.name))).digest('hex'), f.sha256, f.name);
  });

  test('risk, agents and settings screens show the demo fleet: agents\' reports, renewal counters, no rollout yet, tokens', async () => {
    await nav('Risk');
    await heading('Risk');
    await page.getByText(/6 latest reports from 6 hosts/).waitFor();
    await page.getByText('No model trained yet', { exact: false }).first().waitFor();
    await capture('12-risk');
    await nav('Agents');
    await heading('Agents');
    await page.getByText(/3 hosts asked: 0 pending, 2 issued/).waitFor();
    await page.getByText('No canary rollout reported yet', { exact: false }).waitFor();
    await capture('13-agents');
    await nav('Settings');
    await heading('Settings');
    await page.getByLabel('Module (vendor library)').fill(token.modulePath);
    await page.getByRole('button', { name: 'List tokens' }).click();
    await page.getByRole('radio', { name: /console-hsm/ }).waitFor();
    await capture('14-settings');
  });

  test('audit: the trail lists every action and verifies intact', async () => {
    await nav('Audit');
    await heading('Audit');
    await page.getByRole('button', { name: 'Verify the audit trail' }).click();
    await page.getByText(/Audit trail intact: \d+ entries/).waitFor();
    await page.getByLabel('Action').selectOption('cert.revoke');
    await page.getByRole('status').filter({ hasText: /^3 entries/ }).waitFor();
    const trail = await page.getByRole('table', { name: 'Audit entries' }).innerText();
    assert.match(trail, /playwright\s+cert\.revoke/);
    await page.getByLabel('Action').selectOption('');
    await capture('15-audit');
    assert.ok(!served.stderr.join('').includes('failed'), `the host reported no fault: ${served.stderr.join('')}`);
  });
});
