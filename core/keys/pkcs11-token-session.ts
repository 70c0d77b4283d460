import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { SessionFlag, TokenFlag, UserType, type Session } from 'graphene-pk11';
import { ColdrootError } from '../errors.js';
import { acquireModule, CKR, pkcs11ErrorCode, pkcs11Failure, tokenInfos, type LoadedModule, type TokenInfo } from './pkcs11-module.js';
import { TokenQueue } from './token-queue.js';

/*
 * One logged-in session per token per process behind a FIFO queue: SoftHSM (and HSMs generally)
 * refuse a second operation on a busy session (CKR_OPERATION_ACTIVE).
 */

/** Which token: every given attribute must match (RFC 7512 semantics). */
export interface TokenMatch {
  token?: string;
  manufacturer?: string;
  model?: string;
  serial?: string;
  slotId?: string;
}

function describeMatch(m: TokenMatch): string {
  const parts = Object.entries(m).filter(([, v]) => v !== undefined);
  if (parts.length === 1 && m.token !== undefined) return `labelled '${m.token}'`;
  return `matching ${parts.map(([k, v]) => `${k}='${v}'`).join(', ')}`;
}

/** A shared, logged-in session on one token. Every call to the token goes through `queue`. */
export interface TokenSession {
  readonly modulePath: string;
  readonly token: TokenInfo;
  readonly session: Session;
  readonly queue: TokenQueue;
  /** Gives up this holder's share; the last one logs out, closes the session and releases the module. */
  release(): Promise<void>;
}

interface TokenEntry {
  key: string;
  mod: LoadedModule;
  token: TokenInfo;
  session: Session;
  queue: TokenQueue;
  refs: number;
  /** HMAC of the PIN under a per-process random key: lets a second opener be checked without keeping the PIN. */
  pinCheck: Buffer | null;
}

const tokens = new Map<string, TokenEntry>();

/** Token sessions this process holds open (diagnostics; tests check that closing releases them). */
export function openTokenSessionCount(): number {
  return tokens.size;
}

// Opening and closing token sessions is serialised process-wide so an opener never races a closer
// (closing the last session logs the token out, which would log out a session just opened).
const lifecycle = new TokenQueue();
const pinKey = randomBytes(32);
const pinMac = (pin: string) => createHmac('sha256', pinKey).update(pin, 'utf8').digest();

function pinIncorrect(token: TokenInfo): ColdrootError {
  return new ColdrootError(
    'PKCS11_PIN_INCORRECT',
    `Incorrect user PIN for token '${token.label}'`,
    'Check the PIN and try again; repeated failures may lock the token, and then only the security officer (SO PIN) can unlock it',
  );
}

function pinLocked(token: TokenInfo, modulePath: string): ColdrootError {
  return new ColdrootError(
    'PKCS11_PIN_LOCKED',
    `The user PIN of token '${token.label}' is locked`,
    `The security officer must reset the user PIN, e.g.: pkcs11-tool --module ${modulePath} --token-label '${token.label}' --login --login-type so --init-pin`,
  );
}

/** Logs the user in; false when the token was already logged in, so this PIN went unchecked. */
function login(session: Session, token: TokenInfo, modulePath: string, pin: string): boolean {
  try {
    session.login(pin, UserType.USER);
    return true;
  } catch (e) {
    switch (pkcs11ErrorCode(e)) {
      case CKR.USER_ALREADY_LOGGED_IN:
        // Login state is per application: something else in this process logged in outside this cache.
        return false;
      case CKR.PIN_INCORRECT:
      case CKR.PIN_INVALID:
      case CKR.PIN_LEN_RANGE:
        throw pinIncorrect(token);
      case CKR.PIN_LOCKED:
        throw pinLocked(token, modulePath);
      case CKR.PIN_EXPIRED:
        throw new ColdrootError('PKCS11_PIN_EXPIRED', `The user PIN of token '${token.label}' has expired`, `Change it first, e.g.: pkcs11-tool --module ${modulePath} --token-label '${token.label}' --login --change-pin`);
      case CKR.USER_PIN_NOT_INITIALIZED:
        throw new ColdrootError('PKCS11_PIN_NOT_INITIALIZED', `Token '${token.label}' has no user PIN yet`, `The security officer sets it, e.g.: pkcs11-tool --module ${modulePath} --token-label '${token.label}' --login --login-type so --init-pin`);
      default:
        throw pkcs11Failure(`Logging in to token '${token.label}'`, e);
    }
  }
}

/**
 * Opens (or joins) the process's session on the token matching `match` and logs the user in.
 * A second holder is checked against the PIN that logged in: PKCS#11 answers its C_Login with
 * CKR_USER_ALREADY_LOGGED_IN without looking at the PIN, which would let a wrong PIN through.
 */
export function acquireTokenSession(modulePath: string, match: TokenMatch, pin: string): Promise<TokenSession> {
  return lifecycle.run(() => {
    const mod = acquireModule(modulePath);
    let entry: TokenEntry;
    try {
      entry = joinOrOpen(mod, match, pin);
    } catch (e) {
      mod.release();
      throw e;
    }
    return holder(entry);
  });
}

function joinOrOpen(mod: LoadedModule, match: TokenMatch, pin: string): TokenEntry {
  let all: ReturnType<typeof tokenInfos>;
  try {
    all = tokenInfos(mod.module);
  } catch (e) {
    throw pkcs11Failure(`Listing the tokens of PKCS#11 module '${mod.path}'`, e);
  }
  const found = all.filter(({ info }) =>
    info.initialized &&
    (match.token === undefined || info.label === match.token) &&
    (match.manufacturer === undefined || info.manufacturer === match.manufacturer) &&
    (match.model === undefined || info.model === match.model) &&
    (match.serial === undefined || info.serial === match.serial) &&
    (match.slotId === undefined || info.slotId === match.slotId),
  );
  if (found.length === 0) {
    const present = all.filter((t) => t.info.initialized).map((t) => `'${t.info.label}'`);
    throw new ColdrootError(
      'PKCS11_TOKEN_NOT_FOUND',
      `No token ${describeMatch(match)} in PKCS#11 module '${mod.path}'`,
      `Insert the HSM, or check the token label with: pkcs11-tool --module ${mod.path} -L (tokens present: ${present.length ? present.join(', ') : 'none'})`,
    );
  }
  if (found.length > 1) {
    throw new ColdrootError(
      'PKCS11_TOKEN_AMBIGUOUS',
      `${found.length} tokens ${describeMatch(match)} in PKCS#11 module '${mod.path}' (serials ${found.map((t) => t.info.serial).join(', ')})`,
      'Name the token by serial too: add ;serial=<serial> to the PKCS#11 URI',
    );
  }
  const { slot, info, flags } = found[0];
  const key = `${realpathSync(mod.path)}\0${info.slotId}`;
  const existing = tokens.get(key);
  if (existing) {
    if (existing.pinCheck && !timingSafeEqual(existing.pinCheck, pinMac(pin))) throw pinIncorrect(info);
    existing.refs++;
    mod.release(); // the entry already holds the module
    return existing;
  }
  // The token says so before any attempt (SoftHSM reports the flag but would still accept the PIN).
  if (flags & TokenFlag.USER_PIN_LOCKED) throw pinLocked(info, mod.path);
  let session: Session;
  try {
    session = slot.open(SessionFlag.SERIAL_SESSION | SessionFlag.RW_SESSION);
  } catch (e) {
    throw pkcs11Failure(`Opening a session on token '${info.label}'`, e);
  }
  let verified: boolean;
  try {
    verified = login(session, info, mod.path, pin);
  } catch (e) {
    try { session.close(); } catch { /* already failing */ }
    throw e;
  }
  const entry: TokenEntry = { key, mod, token: info, session, queue: new TokenQueue(), refs: 1, pinCheck: verified ? pinMac(pin) : null };
  tokens.set(key, entry);
  return entry;
}

function holder(entry: TokenEntry): TokenSession {
  let released = false;
  return {
    modulePath: entry.mod.path,
    token: entry.token,
    session: entry.session,
    queue: entry.queue,
    release: () => {
      if (released) return Promise.resolve();
      released = true;
      return lifecycle.run(async () => {
        if (--entry.refs > 0) return;
        tokens.delete(entry.key);
        // Let operations already queued on the token finish before the session goes away.
        await entry.queue.run(() => {
          try { entry.session.logout(); } catch { /* closing anyway */ }
          try { entry.session.close(); } catch { /* closing anyway */ }
        });
        entry.pinCheck = null;
        entry.mod.release();
      });
    },
  };
}
