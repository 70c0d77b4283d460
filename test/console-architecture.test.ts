// The console's runtime lines (STYLE.md): the renderer sees core/api *types* only and compiles
// without Node's types; the contract depends on zod alone; Electron main loads core at run time
// and the preload exposes nothing but the contract's operations.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|tsx|mjs|js)$/.test(n) ? [p] : [];
  });
}

/** Every import/export-from statement of a file, with whether it is type-only. */
function imports(file: string, text = readFileSync(file, 'utf8')): Array<{ spec: string; typeOnly: boolean }> {
  const out: Array<{ spec: string; typeOnly: boolean }> = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\s+from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|(?<!typeof\s)import\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    out.push({ spec: m[3] ?? m[4] ?? m[5], typeOnly: !!m[2] });
  }
  return out;
}

const rel = (f: string) => relative(REPO_ROOT, f);
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

test('the import reader tells type-only imports from runtime ones', () => {
  const found = imports('probe.ts', [
    "import type { A } from '../../core/api/contract.js';",
    "import { b } from '../../core/api/contract.js';",
    "export type { C } from '../core/x.js';",
    "import 'electron';",
    "const m = await import('node:fs');",
    "type T = typeof import('../../core/api/console-host.js');",
  ].join('\n'));
  assert.deepEqual(found, [
    { spec: '../../core/api/contract.js', typeOnly: true }, { spec: '../../core/api/contract.js', typeOnly: false },
    { spec: '../core/x.js', typeOnly: true }, { spec: 'electron', typeOnly: false }, { spec: 'node:fs', typeOnly: false },
  ]);
});

test('the renderer imports core/api types only, and nothing of Node or Electron', () => {
  const bad: string[] = [];
  for (const f of sources(join(REPO_ROOT, 'renderer', 'src'))) {
    for (const i of imports(f)) {
      if (/(^|\/)core\//.test(i.spec) && (!i.typeOnly || !/core\/api\//.test(i.spec))) bad.push(`${rel(f)}: ${i.spec}${i.typeOnly ? '' : ' (runtime import)'}`);
      if (/^(node:|electron$|better-sqlite3$|graphene-pk11$|fs$|path$|crypto$)/.test(i.spec)) bad.push(`${rel(f)}: ${i.spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the contract depends on zod alone (so the renderer can compile its types without Node)', () => {
  const files = [join(REPO_ROOT, 'core/api/contract.ts'), join(REPO_ROOT, 'core/api/op.ts'), ...sources(join(REPO_ROOT, 'core/api/ops'))];
  const bad = files.flatMap((f) => imports(f).filter((i) => i.spec !== 'zod' && !/^\.\.?\/(op|ops\/[a-z-]+|[a-z-]+-ops|common)\.js$/.test(i.spec)).map((i) => `${rel(f)}: ${i.spec}`));
  assert.deepEqual(bad, []);
});

test('Electron main takes core types only (core runs through tsx at run time); the preload takes electron and the contract', () => {
  const bad: string[] = [];
  for (const f of sources(join(REPO_ROOT, 'electron', 'main'))) {
    for (const i of imports(f)) if (/core\//.test(i.spec) && !i.typeOnly) bad.push(`${rel(f)}: ${i.spec}`);
  }
  for (const f of sources(join(REPO_ROOT, 'electron', 'preload'))) {
    for (const i of imports(f)) if (i.spec !== 'electron' && !i.spec.endsWith('core/api/contract.js')) bad.push(`${rel(f)}: ${i.spec}`);
  }
  assert.deepEqual(bad, []);
});

test('the renderer type-checks without Node types, and would fail if it used one', { timeout: 60_000 }, () => {
  const r = spawnSync(process.execPath, [TSC, '-p', join(REPO_ROOT, 'renderer', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const dir = mkdtempSync(join(REPO_ROOT, 'renderer', '.probe-'));
  try {
    writeFileSync(join(dir, 'probe.ts'), "export const bytes = Buffer.from('x');\n");
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', include: ['probe.ts'] }));
    const probe = spawnSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    assert.notEqual(probe.status, 0);
    assert.match(probe.stdout, /Cannot find name 'Buffer'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('electron/ type-checks (against the Electron API subset it declares)', { timeout: 60_000 }, () => {
  const r = spawnSync(process.execPath, [TSC, '-p', join(REPO_ROOT, 'tsconfig.electron.json'), '--noEmit'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
