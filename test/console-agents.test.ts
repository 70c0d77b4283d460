// The Agents screen in a real browser (Debian's Chromium through Playwright) against `coldroot
// serve` on 127.0.0.1 with a temp home: a lab CA and bundle signer made through the API, agent
// packages for two hosts generated through the form (review first, secrets cleared after), the
// packages on disk and their CMS signature checked with openssl, refusals that write nothing, and
// axe-core on each state of the screen.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from '@playwright/test';
import { openssl } from './helpers/openssl.js';
import { chromiumAvailable, ensureRendererBuilt, launchChromium, openPage, screenshot, seriousA11yViolations, serveConsole, type ServedConsole } from './console/console-harness.js';

const availability = chromiumAvailable();
const skip = availability.ok ? false : availability.reason;
if (skip) process.stdout.write(`# console Agents tests skipped: ${skip}\n`);

const CA_PASS = 'agents lab ca passphrase';
const SIGNER_PASS = 'agents lab signer passphrase';
const HOSTS = ['web-01.fleet.example', 'web-02.fleet.example'];

describe('Agents screen in Chromium: generating agent packages', { skip, timeout: 120_000 }, () => {
  let dir: string;
  let usb: string;
  let served: ServedConsole;
  let browser: Browser;
  let page: Page;
  let rootFingerprint: string;
  let issuingId: string;

  /** One API call through the page's authenticated session, as the renderer makes it. */
  const call = <T = unknown>(op: string, body: unknown) => page.evaluate(async ([origin, name, input]) => {
    const res = await fetch(`${origin}/api/${name}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(input) });
    return (await res.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
  }, [served.origin, op, body] as const) as Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }>;
  const value = async <T>(op: string, body: unknown): Promise<T> => {
    const r = await call<T>(op, body);
    assert.ok(r.ok, `${op}: ${JSON.stringify(r.error)}`);
    return r.value!;
  };
  async function capture(name: string): Promise<void> {
    await screenshot(page, name);
    assert.deepEqual(await seriousA11yViolations(page), [], `${name}: serious or critical accessibility violations`);
  }
  const form = () => page.getByRole('form', { name: 'Generate agent packages' });

  before(async () => {
    ensureRendererBuilt();
    dir = mkdtempSync(join(tmpdir(), 'coldroot-console-agents-'));
    usb = join(dir, 'usb');
    mkdirSync(usb);
    served = await serveConsole(join(dir, 'home'));
    browser = await launchChromium();
    page = await openPage(browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
    await page.goto(served.url);
    await page.getByRole('heading', { name: 'Welcome', level: 1 }).waitFor();

    const root = await value<{ id: string }>('createRootCa', { draft: { kind: 'root', name: 'CN=Agents Lab Root CA,O=Coldroot Tests', algorithm: 'ecdsa-p256', keyStorage: 'software' }, keySecret: CA_PASS });
    const issuing = await value<{ id: string }>('createIntermediateCa', {
      draft: { kind: 'intermediate', parentId: root.id, name: 'CN=Agents Lab Device CA,O=Coldroot Tests', algorithm: 'ecdsa-p256', keyStorage: 'software' }, keySecret: CA_PASS, parentSecret: { passphrase: CA_PASS },
    });
    issuingId = issuing.id;
    await value('createBundleSigner', { caId: issuing.id, caSecret: { passphrase: CA_PASS }, keyStorage: 'software', keySecret: SIGNER_PASS });
    const chain = await value<{ pem: string }>('exportChain', { caId: issuing.id });
    writeFileSync(join(dir, 'root.pem'), `${chain.pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.pop()}\n`);
    const fp = openssl(['x509', '-in', join(dir, 'root.pem'), '-noout', '-fingerprint', '-sha256']);
    rootFingerprint = fp.stdout.split('=')[1].trim().replace(/:/g, '').toLowerCase();
    await page.reload();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('two hosts: reviewed, signed, written; the paths and the root fingerprint shown; the packages verify with openssl', async () => {
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'Agents', exact: true }).click();
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    const counters = page.getByRole('table', { name: 'Renewal counters' });
    await counters.waitFor();
    assert.match(await counters.innerText(), /Received\s+0[\s\S]*Issued\s+0[\s\S]*Rejected\s+0/);
    await page.getByText('No canary rollout reported yet', { exact: false }).waitFor();
    await form().getByLabel('Issuing CA (bootstrap certificates, profile device-bootstrap)').selectOption(issuingId);
    await form().getByLabel('Hosts (one per line)').fill(`${HOSTS[0]}\n\n  ${HOSTS[1]}  \n`);
    assert.equal(await form().getByLabel('Renewal threshold (days before expiry)').inputValue(), '30');
    await form().getByLabel(/Output folder on this machine/).fill(usb);
    await capture('agents-01-form');
    await page.getByRole('button', { name: 'Review what will be signed' }).click();

    const review = page.getByRole('table', { name: 'What will be signed' });
    await review.waitFor();
    const reviewed = await review.innerText();
    for (const want of ['CN=web-01.fleet.example, DNS:web-01.fleet.example', 'CN=web-02.fleet.example', 'device-bootstrap', '(1095d)', '30 days before expiry', 'CN=Agents Lab Root CA', rootFingerprint, 'CN=Coldroot Console Bundle Signer']) {
      assert.ok(reviewed.includes(want), `the review shows ${want}:\n${reviewed}`);
    }
    assert.equal(readdirSync(usb).length, 0, 'the review writes nothing');
    await capture('agents-02-review');

    // A wrong CA passphrase: refused with its reason, both secret fields cleared, nothing written.
    await page.getByLabel(`Key passphrase of ${issuingId}`).fill('not the passphrase at all');
    await page.getByLabel('Passphrase of the bundle-signing key').fill(SIGNER_PASS);
    await page.getByRole('button', { name: 'Sign and write 2 packages' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByLabel(`Key passphrase of ${issuingId}`).inputValue(), '');
    assert.equal(await page.getByLabel('Passphrase of the bundle-signing key').inputValue(), '');
    assert.deepEqual(readdirSync(usb).flatMap((f) => readdirSync(join(usb, f))), [], 'a refused run leaves no package');

    await page.getByLabel(`Key passphrase of ${issuingId}`).fill(CA_PASS);
    await page.getByLabel('Passphrase of the bundle-signing key').fill(SIGNER_PASS);
    await page.getByRole('button', { name: 'Sign and write 2 packages' }).click();
    const written = page.getByRole('status', { name: 'Agent packages written' });
    await written.waitFor();
    const text = await written.innerText();
    const paths = [...text.matchAll(/(\/\S+\.agent-package)/g)].map((m) => m[1]);
    assert.equal(paths.length, 2, text);
    for (const [i, p] of paths.entries()) {
      assert.ok(p.startsWith(join(usb, 'agent-packages-')) && p.endsWith(`${HOSTS[i]}.agent-package`), p);
      assert.equal(statSync(p).mode & 0o777, 0o600, `${p} is readable by its owner only`);
    }
    assert.ok(text.includes(rootFingerprint), 'the root fingerprint is shown');
    const command = await page.getByLabel('Install command').innerText();
    assert.equal(command, `tar -xf ${HOSTS[0]}.agent-package install.sh && sudo sh install.sh ${HOSTS[0]}.agent-package --root-sha256 ${rootFingerprint}`);
    await page.getByRole('button', { name: 'Copy the install command' }).click();
    await page.getByText('Copied to the clipboard').waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), command);
    await capture('agents-03-written');

    // Outside Coldroot: the manifest's CMS signature verifies against the root the operator pins.
    const out = join(dir, 'unpacked');
    mkdirSync(out);
    assert.equal(spawnSync('tar', ['-xf', paths[1], '-C', out]).status, 0);
    const cms = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(out, 'manifest.p7s'), '-content', join(out, 'manifest.json'), '-CAfile', join(dir, 'root.pem'), '-purpose', 'any', '-out', '/dev/null']);
    assert.equal(cms.code, 0, cms.stderr);
    const cert = openssl(['x509', '-in', join(out, 'bootstrap', 'cert.pem'), '-noout', '-subject', '-ext', 'subjectAltName']);
    assert.match(cert.stdout, /CN\s*=\s*web-02\.fleet\.example/);
    assert.match(cert.stdout, /DNS:web-02\.fleet\.example/);
  });

  test('a bad host name is refused with its reason and nothing is written', async () => {
    const before = readdirSync(usb).flatMap((f) => readdirSync(join(usb, f)));
    await page.getByRole('button', { name: 'Generate more packages' }).click();
    await form().getByLabel('Hosts (one per line)').fill('web-03.fleet.example\nbad_host!.fleet.example');
    await form().getByLabel(/Output folder on this machine/).fill(usb);
    await page.getByRole('button', { name: 'Review what will be signed' }).click();
    const alert = form().getByRole('alert');
    await alert.waitFor();
    const said = await alert.innerText();
    assert.match(said, /AGENT_DEVICE_INVALID/);
    assert.match(said, /hosts: device 2 has host "bad_host!\.fleet\.example", which is not a DNS host name/);
    assert.equal(await page.getByRole('table', { name: 'What will be signed' }).count(), 0, 'no review for a bad list');
    await capture('agents-04-bad-host');

    // The write refuses it too (a client that skips the review), before any folder is made.
    const r = await call('generateAgentPackages', { caId: issuingId, caSecret: { passphrase: CA_PASS }, signerSecret: { passphrase: SIGNER_PASS }, hosts: ['web-03.fleet.example', 'bad_host!'], outDir: join(dir, 'usb2') });
    assert.equal(r.error?.code, 'AGENT_DEVICE_INVALID');
    assert.equal(existsSync(join(dir, 'usb2')), false);
    assert.deepEqual(readdirSync(usb).flatMap((f) => readdirSync(join(usb, f))), before);
    assert.ok(!served.stderr.join('').includes('failed'), `the host reported no fault: ${served.stderr.join('')}`);
  });
});
