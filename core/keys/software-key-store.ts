import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ColdrootError } from '../errors.js';
import { keyAlgorithmInfo, type KeyAlgorithm } from './key-algorithm.js';
import { SoftwareSigner } from './software-signer.js';

/**
 * Software keys live in `<home>/keys/<label>.key.pem` as passphrase-encrypted PKCS#8
 * (PBES2, AES-256-CBC) and are referenced as `software:<label>`. They are never written in clear.
 */
const LABEL = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MIN_PASSPHRASE_LENGTH = 12;

export function softwareKeyUri(label: string): string {
  return `software:${label}`;
}

export function softwareKeyPath(keysDir: string, label: string): string {
  return join(keysDir, `${label}.key.pem`);
}

function labelFromUri(uri: string): string {
  const label = uri.startsWith('software:') ? uri.slice('software:'.length) : '';
  if (!LABEL.test(label)) {
    throw new ColdrootError('BAD_KEY_URI', `'${uri}' is not a software key reference`, "Software keys are named 'software:<label>' (lowercase letters, digits, '.', '_', '-')");
  }
  return label;
}

function checkPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new ColdrootError(
      'PASSPHRASE_TOO_SHORT',
      `The key passphrase has ${passphrase.length} characters; at least ${MIN_PASSPHRASE_LENGTH} are required`,
      'Choose a longer passphrase and put it in the environment variable named by --passphrase-env',
    );
  }
}

export function generateKeyObject(algorithm: KeyAlgorithm): KeyObject {
  const info = keyAlgorithmInfo(algorithm);
  if (info.family === 'ec') return generateKeyPairSync('ec', { namedCurve: info.namedCurve! }).privateKey;
  if (info.family === 'rsa') return generateKeyPairSync('rsa', { modulusLength: info.modulusBits!, publicExponent: 0x10001 }).privateKey;
  return generateKeyPairSync('ed25519').privateKey;
}

/** Generates a key, writes it encrypted (never overwriting a file) and returns its signer. */
export function generateSoftwareKey(keysDir: string, label: string, algorithm: KeyAlgorithm, passphrase: string): SoftwareSigner {
  labelFromUri(softwareKeyUri(label));
  checkPassphrase(passphrase);
  const path = softwareKeyPath(keysDir, label);
  if (existsSync(path)) {
    throw new ColdrootError('KEY_LABEL_EXISTS', `A software key labelled '${label}' already exists at ${path}`, 'Choose another CA name or key label; keys are never overwritten');
  }
  const key = generateKeyObject(algorithm);
  const pem = key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase });
  writeFileSync(path, pem, { flag: 'wx', mode: 0o600 });
  return new SoftwareSigner(key, algorithm, softwareKeyUri(label));
}

export function openSoftwareKey(keysDir: string, uri: string, algorithm: KeyAlgorithm, passphrase: string): SoftwareSigner {
  const path = softwareKeyPath(keysDir, labelFromUri(uri));
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch {
    throw new ColdrootError('KEY_NOT_FOUND', `Software key ${uri} not found at ${path}`, 'Check the --home folder; software keys are kept in its keys/ folder');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    throw new ColdrootError('PASSPHRASE_INCORRECT', `The passphrase does not decrypt software key ${uri}`, 'Check the environment variable named by --passphrase-env');
  }
  return new SoftwareSigner(key, algorithm, uri);
}
