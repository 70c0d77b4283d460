#!/usr/bin/env node
// npm start [-- --home DIR]: builds the console, then opens it in Electron where its binary is
// installed; otherwise serves it on 127.0.0.1 and opens a Chromium app window (or prints the URL).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

/** The Electron binary, or why there is none (it is an optional dependency). */
export function electronBinary() {
  let pkg;
  try {
    pkg = createRequire(join(root, 'package.json')).resolve('electron/package.json');
  } catch {
    return { path: null, why: 'the electron package is not installed (an optional dependency: npm skips it on Node < 22, and its binary download needs the network)' };
  }
  const dir = dirname(pkg);
  const pathFile = join(dir, 'path.txt');
  const exe = existsSync(pathFile) ? join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (!exe || !existsSync(exe)) return { path: null, why: `the electron package is installed but its binary is not (${exe ?? join(dir, 'path.txt')} is missing; the download was skipped or failed)` };
  return { path: exe, why: null };
}

function run(cmd, argv, env = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stderr.write('Building the console (electron-vite)…\n');
  if (run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { ELECTRON_MAJOR_VER: process.env.ELECTRON_MAJOR_VER ?? '41' }) !== 0) process.exit(1);
  const electron = electronBinary();
  let child;
  if (electron.path) {
    process.stderr.write(`Opening the console in Electron (${electron.path}).\n`);
    child = spawn(electron.path, [join(root, 'out', 'main', 'index.js'), ...args], { cwd: root, stdio: 'inherit' });
  } else {
    process.stderr.write(`No Electron window: ${electron.why}.\nServing the console to a browser on this machine instead.\n`);
    child = spawn(process.execPath, [join(root, 'bin', 'coldroot.js'), 'serve', '--open', ...args], { cwd: root, stdio: 'inherit' });
  }
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
