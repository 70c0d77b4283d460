// npm run bench:console -- --home DIR [--fill 1000000]
// The console over a large inventory: every filter, search, sort and deep page through the API
// (ConsoleDispatcher, as IPC and the browser host call it), then in Chromium against
// `coldroot serve`: time to interactive after launch, and filter/search/scroll latency from the
// operator's action to the rows on screen. Targets (issue 8): interactive < 2 s, filter/search < 200 ms.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openConsoleHost } from '../core/api/console-host.js';
import type { In } from '../core/api/contract.js';
import { ensureRendererBuilt, launchChromium, serveConsole } from '../test/console/console-harness.js';
import { fillInventory } from './fill-inventory.js';

// Names the page callbacks below use; they run in Chromium, not in this (DOM-less) Node program.
declare const window: unknown;
declare const document: { querySelector(s: string): any; querySelectorAll(s: string): ArrayLike<any> & Iterable<any>; addEventListener(t: string, f: () => void): void; body: unknown };
declare const MutationObserver: new (f: () => void) => { observe(target: unknown, o: object): void };
type HTMLElement = { dataset: Record<string, string> };

const { values } = parseArgs({ options: { home: { type: 'string' }, fill: { type: 'string' }, runs: { type: 'string' } } });
const home = values.home ?? join(mkdtempSync(join(tmpdir(), 'coldroot-bench-console-')), 'home');
const runs = Number(values.runs ?? 5);
if (values.fill || !existsSync(join(home, 'coldroot.db'))) {
  const n = Number(values.fill ?? 1_000_000);
  process.stderr.write(`filling ${home} with ${n.toLocaleString('en')} certificates…\n`);
  const f = await fillInventory(home, n, 1, new Date(), (d) => process.stderr.write(`\r  ${d.toLocaleString('en')}`));
  process.stderr.write(`\n  ${f.rowsPerSecond.toLocaleString('en')} rows/s\n`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`;

// —— through the API ——
const host = openConsoleHost({ home, operator: 'bench', host: 'browser' });
const total = host.svc.info().certificates;
const sample = host.svc.queryCertificates({ sort: 'issuedAt', order: 'desc', limit: 1, offset: Math.floor(total / 2) }).rows[0];
const hostWord = sample.subject.match(/CN=([a-z]+-\d+)/)?.[1] ?? 'web';
const soon = new Date(Date.now() + 30 * 86_400_000).toISOString();
const cases: Array<[string, In<'queryCertificates'>]> = [
  ['first page, by expiry', {}],
  ['sort by subject', { sort: 'subject' }],
  ['sort by serial', { sort: 'serial' }],
  ['newest first', { sort: 'issuedAt', order: 'desc' }],
  ['state revoked', { state: 'revoked' }],
  ['state expired', { state: 'expired' }],
  ['state valid, by subject', { state: 'valid', sort: 'subject' }],
  ['rare profile (code-signing)', { profile: 'code-signing' }],
  ['expiring within 30 days', { state: 'valid', expiresBefore: soon }],
  ['issuer words', { issuer: 'device' }],
  ['CA + profile + state', { caId: 'fill-web-issuing-ca-1', profile: 'tls-client', state: 'valid', sort: 'subject' }],
  [`search host '${hostWord}'`, { text: hostWord }],
  ['search prefix (about 1,000 hosts)', { text: hostWord.replace(/\d{3}$/, '') }],
  ['search site word (10%)', { text: 'ams' }],
  ['search + state + sort', { text: 'ams', state: 'revoked', sort: 'subject' }],
  ['search in every row', { text: 'fleet example' }],
  ['serial prefix', { text: sample.serial.slice(0, 10) }],
  ['SHA-256 fingerprint', { text: sample.fingerprintSha256 }],
  ['page at 50%', { offset: Math.floor(total / 2) }],
  ['page at 99%, by subject', { offset: total - 500, sort: 'subject' }],
  ['filtered page deep', { issuer: 'device', offset: 200_000 }],
];
console.log(`\nThrough the API (ConsoleDispatcher, ${total.toLocaleString('en')} certificates; cold, then median of ${runs} warm)`);
console.log(`${'query'.padEnd(36)} ${'matches'.padStart(10)}      cold      warm`);
const apiWarm: number[] = [];
for (const [name, input] of cases) {
  const times: number[] = [];
  let matches = 0;
  for (let i = 0; i <= runs; i++) {
    const t = performance.now();
    const r = await host.dispatcher.dispatch('queryCertificates', input);
    times.push(performance.now() - t);
    if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`);
    matches = (r.value as { total: number }).total;
  }
  apiWarm.push(median(times.slice(1)));
  console.log(`${name.padEnd(36)} ${matches.toLocaleString('en').padStart(10)} ${ms(times[0])} ${ms(median(times.slice(1)))}`);
}
const t = performance.now();
await host.dispatcher.dispatch('overview', {});
console.log(`${'overview (counts, CA health)'.padEnd(36)} ${''.padStart(10)} ${ms(performance.now() - t)}`);
host.close();
console.log(`API: ${apiWarm.filter((x) => x < 200).length} of ${apiWarm.length} queries under 200 ms warm; slowest ${Math.max(...apiWarm).toFixed(0)} ms`);

// —— in the browser ——
ensureRendererBuilt();
const launched = performance.now();
const served = await serveConsole(home, { timeoutMs: 60_000 });
const hostReady = performance.now() - launched;
const browser = await launchChromium();
process.on('exit', () => served.proc.kill('SIGTERM')); // even when a step below fails
const browserReady = performance.now() - launched;
const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
// Timed in the page: when the overview first shows the inventory's count (Playwright's own polling adds its interval).
await page.addInitScript((count: string) => {
  const w = window as unknown as { __overviewAt?: number };
  const obs = new MutationObserver(() => {
    if (w.__overviewAt === undefined && document.querySelector('[aria-label="Inventory"]')?.textContent?.includes(count)) w.__overviewAt = performance.now();
  });
  document.addEventListener('DOMContentLoaded', () => obs.observe(document.body, { childList: true, subtree: true, characterData: true }));
}, total.toLocaleString('en-US'));
await page.goto(served.url);
await page.getByRole('list', { name: 'Inventory' }).getByText(total.toLocaleString('en-US')).first().waitFor({ timeout: 30_000 });
const overviewAt = await page.evaluate(() => (window as unknown as { __overviewAt: number }).__overviewAt);
console.log(`\nIn Chromium (coldroot serve on 127.0.0.1, ${total.toLocaleString('en')} certificates)`);
console.log(`host ready (spawn to URL printed)     ${ms(hostReady)}`);
console.log(`browser launched                      ${ms(browserReady - hostReady)}`);
console.log(`overview with counts, after navigation  ${ms(overviewAt)}`);
console.log(`launch to interactive (host + page)   ${ms(hostReady + overviewAt)}`);

await page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'Certificates', exact: true }).click();
const summary = page.getByTestId('cert-summary');
const settled = async (action: () => Promise<unknown>): Promise<number> => {
  const before = Number(await summary.getAttribute('data-generation'));
  const start = performance.now();
  await action();
  await page.waitForFunction((g) => {
    const el = document.querySelector('[data-testid="cert-summary"]') as HTMLElement | null;
    return !!el && Number(el.dataset.loaded) > g && el.dataset.pending === 'no' && !document.querySelector('.vcell.loading');
  }, before, { polling: 10, timeout: 30_000 });
  return performance.now() - start;
};
const firstTable = performance.now();
await page.waitForFunction(() => !!document.querySelector('[data-testid="cert-summary"]') && (document.querySelector('[data-testid="cert-summary"]') as HTMLElement).dataset.loaded !== '-1' && !document.querySelector('.vcell.loading'), null, { polling: 10 });
console.log(`certificates table first rows         ${ms(performance.now() - firstTable)}`);
const browserCases: Array<[string, () => Promise<unknown>]> = [
  ['state: revoked', () => page.getByLabel('State').selectOption('revoked')],
  ['state: any', () => page.getByLabel('State').selectOption('')],
  ['profile: code-signing', () => page.getByLabel('Profile').selectOption('code-signing')],
  ['profile: any', () => page.getByLabel('Profile').selectOption('')],
  ['sort: subject A–Z', () => page.getByLabel('Sort by').selectOption('subject:asc')],
  [`search '${hostWord}' (Enter)`, async () => { await page.getByLabel('Search subject, SAN or serial').fill(hostWord); await page.getByLabel('Search subject, SAN or serial').press('Enter'); }],
  ["search 'ams' (Enter)", async () => { await page.getByLabel('Search subject, SAN or serial').fill('ams'); await page.getByLabel('Search subject, SAN or serial').press('Enter'); }],
  ['clear search (Enter)', async () => { await page.getByLabel('Search subject, SAN or serial').fill(''); await page.getByLabel('Search subject, SAN or serial').press('Enter'); }],
  ['sort: expiry', () => page.getByLabel('Sort by').selectOption('notAfter:asc')],
];
const uiTimes: number[] = [];
for (const [name, action] of browserCases) {
  const took = await settled(action);
  uiTimes.push(took);
  console.log(`${name.padEnd(37)} ${ms(took)}  (${(await summary.innerText()).replace(/\s+/g, ' ')})`);
}
// Scroll to the middle of the table: the rows there are fetched at their offset.
const scrollStart = performance.now();
const firstVisible = await page.evaluate(() => { const b = document.querySelector('.vbody')!; b.scrollTop = b.scrollHeight / 2; return Math.floor(b.scrollTop / 32); });
await page.waitForFunction((row) => {
  const rows = [...document.querySelectorAll('.vbody [role="row"]')].map((r) => Number(r.getAttribute('aria-rowindex')) - 2);
  return rows.some((i) => Math.abs(i - row) < 50) && document.querySelectorAll('.vcell.loading').length === 0;
}, firstVisible, { polling: 10 });
console.log(`${`scroll to the middle (row ${firstVisible.toLocaleString('en')})`.padEnd(37)} ${ms(performance.now() - scrollStart)}`);
console.log(`browser: ${uiTimes.filter((x) => x < 200).length} of ${uiTimes.length} actions under 200 ms; slowest ${Math.max(...uiTimes).toFixed(0)} ms`);
await browser.close();
await served.stop();
