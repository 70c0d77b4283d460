import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';
import { REPO_ROOT } from '../helpers/cli.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
const RENDERER_INDEX = join(REPO_ROOT, 'out', 'renderer', 'index.html');

export function chromiumAvailable(): { ok: true } | { ok: false; reason: string } {
  return existsSync(CHROMIUM) ? { ok: true } : { ok: false, reason: `${CHROMIUM} is not installed (apt install chromium; .ci/run does)` };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/** Builds the renderer when out/renderer is missing or older than its sources (a few seconds). */
export function ensureRendererBuilt(): void {
  const sources = Math.max(newestMtime(join(REPO_ROOT, 'renderer')), statSync(join(REPO_ROOT, 'core', 'api', 'contract.ts')).mtimeMs);
  if (existsSync(RENDERER_INDEX) && statSync(RENDERER_INDEX).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ELECTRON_MAJOR_VER: '41' }, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`electron-vite build failed: ${r.stderr}${r.stdout}`);
}

export interface ServedConsole {
  url: string;
  origin: string;
  token: string;
  home: string;
  proc: ChildProcess;
  stderr: string[];
  /** The console's clock: the real one, or the one started at `now` (approximately: it started when the host did). */
  now(): Date;
  stop(): Promise<void>;
}

export interface ServeOptions {
  env?: NodeJS.ProcessEnv;
  /** Start the console's clock at this time (`coldroot serve --now`), so a test's fleet never ages out. */
  now?: Date;
  timeoutMs?: number;
}

/** `coldroot serve` in a child process on a free loopback port; resolves once it printed its URL. */
export async function serveConsole(home: string, opts: ServeOptions = {}): Promise<ServedConsole> {
  const { env = {}, timeoutMs = 30_000 } = opts;
  const offset = opts.now ? opts.now.getTime() - Date.now() : 0;
  const clock = opts.now ? ['--now', opts.now.toISOString()] : [];
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'coldroot.js'), 'serve', '--home', home, '--json', ...clock], {
    cwd: REPO_ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1', COLDROOT_OPERATOR: 'playwright', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  proc.stderr!.on('data', (d) => stderr.push(String(d)));
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coldroot serve printed nothing in ${timeoutMs} ms: ${stderr.join('')}`)), timeoutMs);
    createInterface({ input: proc.stdout! }).once('line', (l) => { clearTimeout(timer); resolve(l); });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`coldroot serve exited (${code}): ${stderr.join('')}`)); });
  });
  const info = JSON.parse(first) as { url: string; origin: string };
  return {
    url: info.url, origin: info.origin, token: new URL(info.url).searchParams.get('token')!, home, proc, stderr,
    now: () => new Date(Date.now() + offset),
    stop: () => new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => { clearTimeout(kill); resolve(); });
      proc.kill('SIGTERM');
    }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A page at the operator's screen size (1440 × 900) with the tests' action timeout, in a context of its own. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options })).newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

/** Saves a screenshot of the screen as a test artifact (test-artifacts/ is gitignored). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** axe-core over the page: the serious and critical violations, described (empty when accessible). */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')})`);
}

/**
 * What a reader would see as broken layout on the screen as it is now: a table that runs past the
 * edge of its card, an SVG chart's text cut off by the chart's edge, a date cell (td.date) that
 * wraps onto a second line. Empty when the screen is laid out cleanly.
 */
export function layoutProblems(page: Page): Promise<string[]> {
  // Plain JavaScript: tsx would wrap named functions in a helper the page does not have.
  return page.evaluate(LAYOUT_PROBLEMS_SCRIPT) as Promise<string[]>;
}

const LAYOUT_PROBLEMS_SCRIPT = `(() => {
  const problems = [];
  const nameOf = (e) => (e.closest('section') && e.closest('section').querySelector('h2') ? e.closest('section').querySelector('h2').textContent : e.tagName);
  for (const card of document.querySelectorAll('.card')) {
    const edge = card.getBoundingClientRect().right;
    for (const t of card.querySelectorAll('table')) {
      const over = t.getBoundingClientRect().right - edge;
      if (over > 0.5) problems.push(nameOf(card) + ': a table runs ' + Math.round(over) + ' px past its card');
    }
  }
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5) problems.push(nameOf(svg) + ": chart label '" + t.textContent + "' is cut off at the chart's edge");
    }
  }
  for (const td of document.querySelectorAll('td.date')) {
    const range = document.createRange();
    range.selectNodeContents(td);
    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    if (lines > 1) problems.push(nameOf(td) + ": the date '" + td.textContent + "' wraps onto " + lines + ' lines');
  }
  return problems;
})()`;

/**
 * A copy of a bundle with one byte of its last payload file flipped, archive structure intact:
 * the manifest's SHA-256 of that file no longer matches (the integrity check).
 */
export function tamperLastPayload(src: string, dest: string): void {
  const tar = Buffer.from(readFileSync(src));
  let at = 0;
  let lastData = -1;
  let lastSize = 0;
  while (at + 512 <= tar.length && tar[at] !== 0) {
    const size = parseInt(tar.subarray(at + 124, at + 136).toString('latin1').replace(/\0.*$/, '').trim(), 8);
    lastData = at + 512;
    lastSize = size;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  if (lastData < 0 || lastSize < 2) throw new Error(`${src} has no payload to tamper with`);
  tar[lastData + Math.floor(lastSize / 2)] ^= 0x01;
  writeFileSync(dest, tar);
}
