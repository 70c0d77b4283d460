#!/usr/bin/env node
// Builds core/native/ec-verify (run by `npm ci` as the install script). The addon makes CSR
// verification several times faster; without it Coldroot verifies with node:crypto, so a machine
// without a C compiler still installs, with a warning.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const dir = new URL('../core/native/ec-verify/', import.meta.url).pathname;
// npm names its bundled node-gyp in npm_config_node_gyp when it runs a script; else npm's own copy.
const gyp = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')]
  .find((p) => p && existsSync(p));
if (!gyp) {
  console.warn('coldroot: node-gyp not found; the native ECDSA verifier is not built (CSRs are verified with node:crypto, slower).');
  process.exit(0);
}
const r = spawnSync(process.execPath, [gyp, 'rebuild', '--loglevel=warn', '--directory', dir], { stdio: ['ignore', 'ignore', 'inherit'], env: process.env });
if (r.status !== 0) console.warn('coldroot: building core/native/ec-verify failed (see above); CSRs are verified with node:crypto, slower.');
