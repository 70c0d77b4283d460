// core/ is plain Node: it must never import electron, react or renderer code (DESIGN.md, STYLE.md).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|tsx|js|mjs)$/.test(n) ? [p] : [];
  });
}

const FORBIDDEN = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](electron|react|react-dom|zustand)(?:\/[^'"]*)?['"]|['"](?:\.\.\/)+renderer\//;

test('core/ imports no electron, react, zustand or renderer module', () => {
  const offenders = sources(join(REPO_ROOT, 'core')).filter((f) => FORBIDDEN.test(readFileSync(f, 'utf8'))).map((f) => relative(REPO_ROOT, f));
  assert.deepEqual(offenders, []);
});

test('the import rule itself catches each forbidden form', () => {
  for (const bad of ["import { app } from 'electron';", "import React from 'react'", "const x = require('electron')", "import { s } from '../../renderer/store.js'", "await import('react-dom/client')"]) {
    assert.ok(FORBIDDEN.test(bad), bad);
  }
  assert.ok(!FORBIDDEN.test("import { z } from 'zod'"));
});
