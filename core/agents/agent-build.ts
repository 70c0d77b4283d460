import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { ColdrootError } from '../errors.js';

/** The repository root (this file is core/agents/agent-build.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const AGENT_ENTRY = join(REPO_ROOT, 'agent-bundle', 'src', 'agent', 'main.ts');
export const AGENT_FILE_NAME = 'coldroot-agent.mjs';

/** Modules the agent must never pull in: native addons (no node_modules on a device) and the console's store. */
export const FORBIDDEN_MODULES = ['better-sqlite3', 'graphene-pk11', 'pkcs11js'] as const;

// Bundled CommonJS dependencies call require(); an ES module has none unless we make one.
const BANNER = "import { createRequire as __coldrootCreateRequire } from 'node:module';\nconst require = __coldrootCreateRequire(import.meta.url);";

export type SeaResult = { status: 'built'; path: string; size: number } | { status: 'skipped'; reason: string };

export interface AgentBuildOptions {
  /** Default: agent-bundle/src/agent/main.ts. */
  entry?: string;
  /** Where to write the bundle (never overwritten). */
  outFile: string;
  minify?: boolean;
  /** Try a Node single executable beside the bundle (`<outFile without .mjs>`). Default false. */
  sea?: boolean;
}

export interface AgentBuild {
  entry: string;
  file: string;
  size: number;
  sha256: string;
  buildMs: number;
  /** Source files in the bundle. */
  inputs: number;
  sea: SeaResult;
}

function forbiddenPackage(path: string): string | null {
  for (const m of FORBIDDEN_MODULES) if (path === m || path.startsWith(`${m}/`) || path.includes(`node_modules/${m}/`)) return m;
  return null;
}

/** The first import in the bundle graph that reaches a forbidden module, as "importer imports module". */
export function findForbiddenImport(meta: Metafile): string | null {
  for (const [file, input] of Object.entries(meta.inputs)) {
    if (file.startsWith('core/store/')) return `the bundle includes ${file}: the agent must not use the console's store (core/store/**)`;
    if (file.endsWith('.node')) return `the bundle includes the native addon ${file}`;
    for (const imp of input.imports) {
      const m = forbiddenPackage(imp.path);
      if (m) return `${file} imports ${imp.path} (native module ${m})`;
      if (imp.path.startsWith('core/store/')) return `${file} imports ${imp.path}: the agent must not use the console's store (core/store/**)`;
    }
  }
  for (const [file] of Object.entries(meta.inputs)) {
    const m = forbiddenPackage(file);
    if (m) return `the bundle includes ${file} (native module ${m})`;
  }
  return null;
}

/**
 * Bundles the agent into one ES module for Node 20 that runs without node_modules. Native
 * modules are kept external during the build only so that their importer can be named; any
 * such import fails the build.
 */
export async function buildAgent(opts: AgentBuildOptions): Promise<AgentBuild> {
  const entry = resolve(opts.entry ?? AGENT_ENTRY);
  if (!existsSync(entry)) throw new ColdrootError('AGENT_ENTRY_MISSING', `The agent entry point ${entry} does not exist`, 'Build from a Coldroot source tree that has agent-bundle/src/agent/main.ts', 'failure');
  if (existsSync(opts.outFile)) throw new ColdrootError('OUTPUT_EXISTS', `Output file ${opts.outFile} already exists`, 'Choose a new file name; Coldroot never overwrites its outputs');
  const started = performance.now();
  let meta: Metafile;
  try {
    const r = await build({
      entryPoints: [entry], outfile: opts.outFile, bundle: true, platform: 'node', target: 'node20', format: 'esm',
      banner: { js: BANNER }, external: [...FORBIDDEN_MODULES], minify: opts.minify ?? false, metafile: true, logLevel: 'silent',
      absWorkingDir: REPO_ROOT, legalComments: 'none', sourcemap: false,
    });
    meta = r.metafile;
  } catch (e) {
    rmSync(opts.outFile, { force: true });
    const first = (e as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new ColdrootError('AGENT_BUILD_FAILED', `esbuild could not bundle ${relative(REPO_ROOT, entry)}: ${first?.text ?? (e as Error).message}${where}`, 'Fix the agent source, then build again', 'failure');
  }
  const bad = findForbiddenImport(meta);
  if (bad) {
    rmSync(opts.outFile, { force: true });
    throw new ColdrootError('AGENT_NATIVE_IMPORT', `The agent bundle may not load native modules or the console store: ${bad}`, 'Remove that import from the agent (agent-bundle/src/agent/**); it must run on a host without node_modules', 'failure');
  }
  const buildMs = Math.round(performance.now() - started);
  const bytes = readFileSync(opts.outFile);
  const sea = opts.sea ? buildSea(entry, opts.outFile.replace(/\.mjs$/, '') === opts.outFile ? `${opts.outFile}.bin` : opts.outFile.replace(/\.mjs$/, '')) : { status: 'skipped' as const, reason: 'not requested' };
  return { entry: relative(REPO_ROOT, entry), file: opts.outFile, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), buildMs, inputs: Object.keys(meta.inputs).length, sea: await sea };
}

function onPath(tool: string): string | null {
  const local = join(REPO_ROOT, 'node_modules', '.bin', tool);
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, tool))) return join(dir, tool);
  return null;
}

// CommonJS has no import.meta: modules that locate themselves (createRequire(import.meta.url)) get this file's URL.
const CJS_BANNER = "var __coldrootImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";

/** The agent as one CommonJS script: what a Node 20 single executable embeds (it runs no ES modules). */
export async function buildAgentCommonJs(entry: string, outFile: string): Promise<void> {
  await build({
    entryPoints: [entry], outfile: outFile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: [...FORBIDDEN_MODULES],
    banner: { js: CJS_BANNER }, define: { 'import.meta.url': '__coldrootImportMetaUrl' }, logLevel: 'silent', absWorkingDir: REPO_ROOT, legalComments: 'none',
  });
}

/**
 * A Node single executable application: Node 20 embeds one CommonJS script (so the agent is
 * bundled again as CommonJS), prepares the blob with --experimental-sea-config and injects it
 * into a copy of the node binary with postject. Any missing prerequisite skips it with the reason.
 */
async function buildSea(entry: string, out: string): Promise<SeaResult> {
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 20) return { status: 'skipped', reason: `Node ${process.versions.node} has no single executable applications (Node 20+)` };
  const postject = onPath('postject');
  if (!postject) return { status: 'skipped', reason: 'postject is not installed (npm install --global postject), so the blob cannot be injected into a node binary' };
  if (existsSync(out)) return { status: 'skipped', reason: `${out} already exists` };
  const work = mkdtempSync(join(tmpdir(), 'coldroot-sea-'));
  try {
    const script = join(work, 'agent.cjs');
    try {
      await buildAgentCommonJs(entry, script);
    } catch (e) {
      return { status: 'skipped', reason: `the agent cannot be bundled as CommonJS, which Node 20 SEA requires: ${(e as { errors?: Array<{ text: string }> }).errors?.[0]?.text ?? (e as Error).message}` };
    }
    const blob = join(work, 'sea-prep.blob');
    writeFileSync(join(work, 'sea-config.json'), JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true }));
    const prep = spawnSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { encoding: 'utf8' });
    if (prep.status !== 0) return { status: 'skipped', reason: `node --experimental-sea-config failed: ${(prep.stderr || prep.stdout).trim().slice(0, 300)}` };
    copyFileSync(process.execPath, out);
    const inject = spawnSync(postject, [out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { encoding: 'utf8' });
    if (inject.status !== 0) {
      rmSync(out, { force: true });
      return { status: 'skipped', reason: `postject failed: ${(inject.stderr || inject.stdout).trim().slice(0, 300)}` };
    }
    return { status: 'built', path: out, size: statSync(out).size };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
