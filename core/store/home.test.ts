import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { homePaths, resolveHome } from './home.js';

describe('resolveHome', () => {
  const env = { COLDROOT_HOME: '/srv/from-env', XDG_DATA_HOME: '/xdg' };

  test('--home wins over COLDROOT_HOME and the platform default, and is made absolute', () => {
    assert.equal(resolveHome('/srv/flag', env, 'linux', '/home/op'), '/srv/flag');
    assert.equal(resolveHome('rel/home', env, 'linux', '/home/op'), path.resolve('rel/home'));
  });

  test('an empty --home is refused', () => {
    assert.throws(() => resolveHome('  ', env, 'linux', '/home/op'), { code: 'HOME_INVALID', message: '--home was given an empty folder name' });
  });

  test('COLDROOT_HOME wins over the platform default; an empty one is ignored', () => {
    assert.equal(resolveHome(undefined, env, 'linux', '/home/op'), '/srv/from-env');
    assert.equal(resolveHome(undefined, { ...env, COLDROOT_HOME: '' }, 'linux', '/home/op'), '/xdg/coldroot');
  });

  test('Linux: XDG_DATA_HOME, else ~/.local/share; a relative XDG_DATA_HOME is ignored', () => {
    assert.equal(resolveHome(undefined, { XDG_DATA_HOME: '/xdg' }, 'linux', '/home/op'), '/xdg/coldroot');
    assert.equal(resolveHome(undefined, {}, 'linux', '/home/op'), '/home/op/.local/share/coldroot');
    assert.equal(resolveHome(undefined, { XDG_DATA_HOME: 'rel' }, 'linux', '/home/op'), '/home/op/.local/share/coldroot');
  });

  test('macOS: ~/Library/Application Support/Coldroot', () => {
    assert.equal(resolveHome(undefined, {}, 'darwin', '/Users/op'), '/Users/op/Library/Application Support/Coldroot');
  });

  test('Windows: %APPDATA%\\Coldroot, else the roaming folder under the profile', () => {
    assert.equal(resolveHome(undefined, { APPDATA: 'D:\\Profiles\\op' }, 'win32', 'C:\\Users\\op'), 'D:\\Profiles\\op\\Coldroot');
    assert.equal(resolveHome(undefined, {}, 'win32', 'C:\\Users\\x'), 'C:\\Users\\x\\AppData\\Roaming\\Coldroot');
  });

  test('the home holds coldroot.db, coldroot.lock and keys/', () => {
    assert.deepEqual(homePaths('/h'), { home: '/h', database: '/h/coldroot.db', lock: '/h/coldroot.lock', keys: '/h/keys' });
  });
});
