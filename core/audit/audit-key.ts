import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { ColdrootError } from '../errors.js';
import { sha256Hex } from './audit-hash.js';

export const AUDIT_KEY_FILE = 'audit-ed25519.pem';
const META_SPKI = 'audit.public_key_spki';
const META_FINGERPRINT = 'audit.public_key_sha256';

/** The audit key's public half, as recorded in the home's meta table. */
export interface AuditPublicKey {
  key: KeyObject;
  /** SubjectPublicKeyInfo, DER. */
  spki: Buffer;
  /** SHA-256 hex of the SPKI DER. */
  fingerprint: string;
  pem: string;
}

export function auditKeyPath(keysDir: string): string {
  return path.join(keysDir, AUDIT_KEY_FILE);
}

export function publicKeyFromSpki(spki: Buffer): AuditPublicKey {
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ColdrootError('AUDIT_KEY_INVALID', `The audit public key is ${key.asymmetricKeyType}, not Ed25519`, 'Restore the home from a backup', 'failure');
  }
  return { key, spki, fingerprint: sha256Hex(spki), pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

export function publicKeyFromPem(pem: string): AuditPublicKey {
  const key = createPublicKey(pem);
  return publicKeyFromSpki(key.export({ type: 'spki', format: 'der' }));
}

export function readAuditPublicKey(db: Database.Database): AuditPublicKey | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(META_SPKI) as { value: string } | undefined;
  return row ? publicKeyFromSpki(Buffer.from(row.value, 'base64')) : null;
}

/**
 * Gives a new home its audit key: generated once, written with 'wx' (never overwritten) and mode
 * 0600, its public half recorded in meta. A key file left by an interrupted init is adopted.
 */
export function ensureAuditKey(db: Database.Database, keysDir: string): AuditPublicKey {
  const recorded = readAuditPublicKey(db);
  if (recorded) return recorded;
  const entries = (db.prepare('SELECT count(*) AS n FROM audit_entries').get() as { n: number }).n;
  if (entries > 0) {
    throw new ColdrootError(
      'AUDIT_KEY_MISSING',
      `The audit trail in ${db.name} has ${entries} entries but its public key is missing from the meta table`,
      'The database was altered; restore it from a backup and run: coldroot audit verify',
      'failure',
    );
  }
  const keyPath = auditKeyPath(keysDir);
  let privateKey: KeyObject;
  if (fs.existsSync(keyPath)) {
    privateKey = parsePrivateKey(keyPath, fs.readFileSync(keyPath, 'utf8'));
  } else {
    privateKey = generateKeyPairSync('ed25519').privateKey;
    writeNewFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  const pub = publicKeyFromSpki(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  db.transaction(() => {
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    put.run(META_SPKI, pub.spki.toString('base64'));
    put.run(META_FINGERPRINT, pub.fingerprint);
  }).immediate();
  return pub;
}

/** Loads the private key and checks it is the one whose public half the home recorded. */
export function loadAuditPrivateKey(keysDir: string, expected: AuditPublicKey): KeyObject {
  const keyPath = auditKeyPath(keysDir);
  let pem: string;
  try {
    pem = fs.readFileSync(keyPath, 'utf8');
  } catch (e) {
    throw new ColdrootError(
      'AUDIT_KEY_MISSING',
      `Cannot read the audit key ${keyPath}: ${(e as Error).message}`,
      'Restore the keys/ folder of this home from its backup; without the audit key no change can be recorded',
      'failure',
    );
  }
  const key = parsePrivateKey(keyPath, pem);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!spki.equals(expected.spki)) {
    throw new ColdrootError(
      'AUDIT_KEY_MISMATCH',
      `The audit key ${keyPath} (public key SHA-256 ${sha256Hex(spki)}) is not this home's audit key (${expected.fingerprint})`,
      "Restore this home's own keys/audit-ed25519.pem from its backup",
      'failure',
    );
  }
  return key;
}

function parsePrivateKey(keyPath: string, pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new ColdrootError('AUDIT_KEY_INVALID', `${keyPath} is not a readable private key: ${(e as Error).message}`, 'Restore it from the backup of this home', 'failure');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ColdrootError('AUDIT_KEY_INVALID', `${keyPath} holds a ${key.asymmetricKeyType} key, not Ed25519`, 'Restore it from the backup of this home', 'failure');
  }
  return key;
}

function writeNewFile(file: string, content: string): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  syncDir(path.dirname(file));
}

/** Makes the new directory entry durable too; not possible on Windows, where it is skipped. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Best effort.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
