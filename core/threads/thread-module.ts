import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'coldroot-threads');

// Loaded only when a thread is started from sources: the agent, bundled by esbuild, reaches this
// module (through the metrics reader) and must not carry esbuild along.
const requireCjs = createRequire(import.meta.url);

/** Built once per process and module. */
const built = new Map<string, URL | null>();

/**
 * A bundled module that locates itself (createRequire(import.meta.url), new URL(…, import.meta.url))
 * must keep its own source file's URL, not the bundle's. esbuild's synchronous API runs no plugins,
 * but its unminified output heads each module's code with a `// path/of/module.ts` line: every
 * `import.meta.url` in a section becomes that file's URL. One left outside a known section: null.
 */
function withOwnImportMetaUrls(code: string): string | null {
  let section: string | null = null;
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^\/\/ (\S+\.ts)$/.exec(lines[i]);
    if (head) section = existsSync(join(REPO_ROOT, head[1])) ? join(REPO_ROOT, head[1]) : null;
    else if (lines[i].includes('import.meta.url')) {
      if (!section) return null;
      lines[i] = lines[i].replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(section).href));
    }
    if (lines[i].includes('import.meta')) return null; // another import.meta property: not handled
  }
  return lines.join('\n');
}

/**
 * What a worker thread starts from when Coldroot runs from its TypeScript sources (through tsx).
 * A thread cannot share its parent's tsx loader: it would start a loader thread of its own and
 * pass every import across it, ~0.5 s a thread here. Instead the module is bundled once per process
 * with esbuild (30–60 ms; packages stay external, so they load from node_modules) into
 * node_modules/.cache/coldroot-threads/<content hash>.mjs, written atomically, and the thread
 * starts from that plain JavaScript. Returns null when that cannot be done (the caller then goes
 * through tsx). Built code (.js) needs none of this.
 */
export function bundledThreadModule(moduleUrl: URL): URL | null {
  const key = moduleUrl.href;
  if (built.has(key)) return built.get(key)!;
  let url: URL | null = null;
  try {
    const { buildSync } = requireCjs('esbuild') as typeof import('esbuild');
    const code = buildSync({
      entryPoints: [fileURLToPath(moduleUrl)], bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20',
      packages: 'external', logLevel: 'silent', legalComments: 'none', absWorkingDir: REPO_ROOT,
    }).outputFiles[0].text;
    const out = withOwnImportMetaUrls(code);
    if (out === null) throw new Error('a module locates itself outside a known section');
    const file = join(CACHE_DIR, `${createHash('sha256').update(out).digest('hex').slice(0, 32)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(CACHE_DIR, { recursive: true });
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, out);
      renameSync(partial, file);
    }
    url = pathToFileURL(file);
  } catch {
    url = null;
  }
  built.set(key, url);
  return url;
}

/**
 * How to start a thread running `moduleUrl`: built code (.js) as is; TypeScript sources from their
 * bundle, or else through tsx (ts-worker-entry.mjs imports workerData.__module after registering it).
 */
export function threadEntry(moduleUrl: URL): { url: URL; workerData: { __module?: string } } {
  if (!moduleUrl.pathname.endsWith('.ts')) return { url: moduleUrl, workerData: {} };
  const bundle = bundledThreadModule(moduleUrl);
  if (bundle) return { url: bundle, workerData: {} };
  return { url: new URL('./ts-worker-entry.mjs', import.meta.url), workerData: { __module: moduleUrl.href } };
}
