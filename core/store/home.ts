import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ColdrootError } from '../errors.js';

export const DATABASE_FILE = 'coldroot.db';
export const LOCK_FILE = 'coldroot.lock';
export const KEYS_DIR = 'keys';

export interface HomePaths {
  home: string;
  database: string;
  lock: string;
  keys: string;
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    database: path.join(home, DATABASE_FILE),
    lock: path.join(home, LOCK_FILE),
    keys: path.join(home, KEYS_DIR),
  };
}

export function isHomeInitialized(home: string): boolean {
  return existsSync(homePaths(home).database);
}

/**
 * Where this invocation's home is: `--home DIR`, else COLDROOT_HOME, else the platform's
 * per-user application data folder. Always absolute. `platform` and `userHome` exist for tests.
 */
export function resolveHome(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  userHome: string = os.homedir(),
): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (flag !== undefined) {
    if (flag.trim() === '') {
      throw new ColdrootError('HOME_INVALID', '--home was given an empty folder name', 'Pass a folder, e.g. --home ./ca-home');
    }
    return p.resolve(flag);
  }
  const fromEnv = env.COLDROOT_HOME;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return p.resolve(fromEnv);
  return defaultHome(platform, env, userHome);
}

function defaultHome(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, userHome: string): string {
  if (platform === 'win32') {
    const appData = env.APPDATA && env.APPDATA.trim() !== '' ? env.APPDATA : path.win32.join(userHome, 'AppData', 'Roaming');
    return path.win32.join(appData, 'Coldroot');
  }
  if (platform === 'darwin') return path.posix.join(userHome, 'Library', 'Application Support', 'Coldroot');
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  if (xdg && path.posix.isAbsolute(xdg)) return path.posix.join(xdg, 'coldroot');
  return path.posix.join(userHome, '.local', 'share', 'coldroot');
}
