import { realpathSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { Module, TokenFlag, type Slot } from 'graphene-pk11';
import { ColdrootError } from '../errors.js';

/*
 * One load + C_Initialize per module path per process (several library instances in one process
 * crashed here); the logged-in token sessions on top live in pkcs11-token-session.ts.
 */

const CKF_OS_LOCKING_OK = 0x2;
// CKR_* values (PKCS#11 v2.40 / 3.0), compared against Pkcs11Error.code.
export const CKR = {
  PIN_INCORRECT: 0xa0,
  PIN_INVALID: 0xa1,
  PIN_LEN_RANGE: 0xa2,
  PIN_EXPIRED: 0xa3,
  PIN_LOCKED: 0xa4,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_PIN_NOT_INITIALIZED: 0x102,
} as const;

/** The CKR_* code of a pkcs11js error (graphene rethrows some as plain Errors 'CKR_NAME:code'), or undefined. */
export function pkcs11ErrorCode(e: unknown): number | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const m = /\bCKR_[A-Z_]+:(\d+)/.exec(e.message);
  return m ? Number(m[1]) : undefined;
}

export function pkcs11Failure(what: string, e: unknown): ColdrootError {
  if (e instanceof ColdrootError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new ColdrootError('PKCS11_ERROR', `${what} failed: ${detail}`, 'Check the HSM is connected and healthy; the PKCS#11 error code names the cause', 'failure');
}

function moduleNotFound(modulePath: string, why?: string): ColdrootError {
  const message = why ? `PKCS#11 module '${modulePath}' could not be loaded as a PKCS#11 library: ${why}` : `PKCS#11 module '${modulePath}' not found`;
  return new ColdrootError('PKCS11_MODULE_NOT_FOUND', message, 'Install the vendor PKCS#11 library or pass the right --pkcs11-module path (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)');
}

interface ModuleEntry {
  module: Module;
  refs: number;
}
const modules = new Map<string, ModuleEntry>();

export interface LoadedModule {
  /** The path as the caller gave it (messages name it). */
  readonly path: string;
  readonly module: Module;
  release(): void;
}

/** Loads and initialises a module once per process; the last release finalises it. */
export function acquireModule(modulePath: string): LoadedModule {
  let real: string;
  try {
    if (!statSync(modulePath).isFile()) throw moduleNotFound(modulePath);
    real = realpathSync(modulePath);
  } catch (e) {
    throw e instanceof ColdrootError ? e : moduleNotFound(modulePath);
  }
  let entry = modules.get(real);
  if (!entry) {
    let module: Module;
    try {
      module = Module.load(real);
    } catch (e) {
      throw moduleNotFound(modulePath, e instanceof Error ? e.message : String(e));
    }
    try {
      module.initialize({ flags: CKF_OS_LOCKING_OK });
    } catch (e) {
      try { module.close(); } catch { /* already failing */ }
      throw new ColdrootError(
        'PKCS11_MODULE_INIT_FAILED',
        `PKCS#11 module '${modulePath}' failed to initialise: ${e instanceof Error ? e.message : String(e)}`,
        "Check the vendor library's configuration (SoftHSM2: the file SOFTHSM2_CONF points at and its token directory)",
      );
    }
    entry = { module, refs: 0 };
    modules.set(real, entry);
  }
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    path: modulePath,
    module: held.module,
    release() {
      if (released) return;
      released = true;
      if (--held.refs > 0) return;
      modules.delete(real);
      try { held.module.finalize(); } catch { /* finalising a module we are done with */ }
      try { held.module.close(); } catch { /* dlclose failure leaves nothing to do */ }
    },
  };
}

/** RFC 7512 slot-id: the CK_SLOT_ID as a decimal number. */
export function slotIdOf(slot: Slot): string {
  const h = slot.handle;
  if (h.length === 8) return (endianness() === 'LE' ? h.readBigUInt64LE(0) : h.readBigUInt64BE(0)).toString();
  return (endianness() === 'LE' ? h.readUInt32LE(0) : h.readUInt32BE(0)).toString();
}

export interface TokenInfo {
  slotId: string;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  initialized: boolean;
}

/** Every slot with a token present, with its info and CK_TOKEN_INFO flags. */
export function tokenInfos(module: Module): Array<{ slot: Slot; info: TokenInfo; flags: number }> {
  const slots = module.getSlots(true);
  const out: Array<{ slot: Slot; info: TokenInfo; flags: number }> = [];
  for (let i = 0; i < slots.length; i++) {
    const slot = slots.items(i);
    const t = slot.getToken();
    out.push({
      slot,
      flags: t.flags,
      info: {
        slotId: slotIdOf(slot),
        label: t.label.trim(),
        manufacturer: t.manufacturerID.trim(),
        model: t.model.trim(),
        serial: t.serialNumber.trim(),
        initialized: (t.flags & TokenFlag.TOKEN_INITIALIZED) !== 0,
      },
    });
  }
  return out;
}

export async function listPkcs11Tokens(modulePath: string): Promise<TokenInfo[]> {
  const mod = acquireModule(modulePath);
  try {
    return tokenInfos(mod.module).map((t) => t.info);
  } catch (e) {
    throw pkcs11Failure(`Listing the tokens of PKCS#11 module '${modulePath}'`, e);
  } finally {
    mod.release();
  }
}

/** Modules this process holds loaded and initialised. */
export function loadedModuleCount(): number {
  return modules.size;
}
