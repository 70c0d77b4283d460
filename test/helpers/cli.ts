import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { databaseFingerprint } from '../../core/store/database.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO_ROOT, 'bin', 'coldroot.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs the real `coldroot` binary in a child process. */
export function coldroot(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1', ...env }, timeout: 120_000 });
  let json: any = null;
  if (args.includes('--json')) {
    try { json = JSON.parse(r.stdout); } catch { json = null; }
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

/** SHA-256 over every row of every table of a home's database (the "exactly as before" check). */
export function homeFingerprint(home: string): string {
  const db = new Database(join(home, 'coldroot.db'), { readonly: true });
  try {
    return databaseFingerprint(db);
  } finally {
    db.close();
  }
}
