import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Throw-away SoftHSM2 tokens for tests. Each token lives in its own temp directory with its own
 * softhsm2.conf; nothing global (~/.config/softhsm2, /var/lib/softhsm) is touched.
 * SoftHSM reads SOFTHSM2_CONF at C_Initialize and Coldroot initialises a module once per process,
 * so an in-process test sets process.env.SOFTHSM2_CONF before its first PKCS#11 call.
 */

const MODULE_CANDIDATES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'];

export const SOFTHSM_MODULE = MODULE_CANDIDATES.find((p) => existsSync(p)) ?? MODULE_CANDIDATES[0];

export function softHsmAvailable(): { ok: true } | { ok: false; reason: string } {
  if (!existsSync(SOFTHSM_MODULE)) return { ok: false, reason: `SoftHSM2 module not found (looked in ${MODULE_CANDIDATES.join(', ')}); apt install softhsm2` };
  const r = spawnSync('softhsm2-util', ['--version'], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `softhsm2-util is not on PATH (${r.error.message}); apt install softhsm2` };
  return { ok: true };
}

export interface SoftHsmToken {
  modulePath: string;
  confPath: string;
  tokenDir: string;
  label: string;
  pin: string;
  soPin: string;
  /** process.env plus SOFTHSM2_CONF, for child processes (pkcs11-tool, openssl, softhsm2-util). */
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

function initToken(env: NodeJS.ProcessEnv, label: string, pin: string, soPin: string): void {
  const r = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', pin], { env, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`softhsm2-util --init-token --label ${label} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}${r.stdout}`);
  }
}

export function createSoftHsmToken(opts: { label?: string; pin?: string; soPin?: string } = {}): SoftHsmToken {
  const label = opts.label ?? 'coldroot-test';
  const pin = opts.pin ?? '123456';
  const soPin = opts.soPin ?? '12345678';
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-softhsm-'));
  const tokenDir = join(dir, 'tokens');
  mkdirSync(tokenDir);
  const confPath = join(dir, 'softhsm2.conf');
  writeFileSync(confPath, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { ...process.env, SOFTHSM2_CONF: confPath };
  try {
    initToken(env, label, pin, soPin);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    modulePath: SOFTHSM_MODULE,
    confPath,
    tokenDir,
    label,
    pin,
    soPin,
    env,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Initialises another token in the same token directory (visible to a module initialised afterwards). */
export function addSoftHsmToken(t: SoftHsmToken, opts: { label: string; pin?: string; soPin?: string }): void {
  initToken(t.env, opts.label, opts.pin ?? t.pin, opts.soPin ?? t.soPin);
}

// SoftHSM's file object store: after an 8-byte header, attributes as (type u64, kind u64, value),
// big-endian. Token attributes are vendor-defined: CKA_VENDOR_DEFINED + 0x5348 ("SH") + n.
const CKA_OS_TOKENLABEL = 0x80005349;
const CKA_OS_TOKENFLAGS = 0x8000534b;
const KIND_ULONG = 2;
const CKF_USER_PIN_LOCKED = 0x40000;

function attrHeader(type: number, kind: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(type), 0);
  b.writeBigUInt64BE(BigInt(kind), 8);
  return b;
}

/**
 * Marks a token's user PIN as locked (CKF_USER_PIN_LOCKED in C_GetTokenInfo). SoftHSM never locks
 * a PIN itself (after failures it only sets COUNT_LOW), so tests set the flag in its file store.
 * Call it before the module is initialised.
 */
export function lockSoftHsmUserPin(t: SoftHsmToken, label: string): void {
  const padded = Buffer.from(label.padEnd(32, ' '), 'utf8');
  for (const entry of readdirSync(t.tokenDir)) {
    const file = join(t.tokenDir, entry, 'token.object');
    if (!existsSync(file)) continue;
    const data = readFileSync(file);
    const labelAt = data.indexOf(attrHeader(CKA_OS_TOKENLABEL, 3));
    if (labelAt < 0 || !data.subarray(labelAt + 24, labelAt + 24 + padded.length).equals(padded)) continue;
    const flagsAt = data.indexOf(attrHeader(CKA_OS_TOKENFLAGS, KIND_ULONG));
    if (flagsAt < 0) throw new Error(`No token flags attribute in ${file}; SoftHSM's store format changed`);
    const flags = data.readBigUInt64BE(flagsAt + 16);
    data.writeBigUInt64BE(flags | BigInt(CKF_USER_PIN_LOCKED), flagsAt + 16);
    writeFileSync(file, data);
    return;
  }
  throw new Error(`No SoftHSM token labelled '${label}' in ${t.tokenDir}`);
}
