import { ColdrootError } from '../errors.js';
import type { KeyAlgorithm } from './key-algorithm.js';
import { generatePkcs11Key } from './pkcs11-keygen.js';
import { openPkcs11Signer } from './pkcs11-signer.js';
import { generateSoftwareKey, openSoftwareKey } from './software-key-store.js';
import type { Signer } from './signer.js';

/** Where a new CA key is generated. Secrets arrive here from the adapter (env var or prompt), never from argv. */
export type NewKeySpec =
  | { kind: 'software'; passphrase: string }
  | { kind: 'pkcs11'; modulePath: string; tokenLabel: string; pin: string };

/** The secret that unlocks an existing key: a passphrase for software keys, a PIN for tokens. */
export interface KeySecret {
  passphrase?: string;
  pin?: string;
}

export async function generateKey(spec: NewKeySpec, keysDir: string, label: string, algorithm: KeyAlgorithm): Promise<Signer> {
  if (spec.kind === 'software') return generateSoftwareKey(keysDir, label, algorithm, spec.passphrase);
  return generatePkcs11Key({ modulePath: spec.modulePath, tokenLabel: spec.tokenLabel, pin: spec.pin, label, algorithm });
}

export async function openKey(uri: string, algorithm: KeyAlgorithm, secret: KeySecret, keysDir: string): Promise<Signer> {
  if (uri.startsWith('software:')) {
    if (secret.passphrase === undefined) {
      throw new ColdrootError('PASSPHRASE_REQUIRED', `Key ${uri} is a software key and needs its passphrase`, 'Pass --passphrase-env VAR (the name of an environment variable holding the passphrase)');
    }
    return openSoftwareKey(keysDir, uri, algorithm, secret.passphrase);
  }
  if (uri.startsWith('pkcs11:')) {
    if (secret.pin === undefined) {
      throw new ColdrootError('PIN_REQUIRED', `Key ${uri} is on a PKCS#11 token and needs the user PIN`, 'Pass --pin-env VAR (the name of an environment variable holding the PIN)');
    }
    return openPkcs11Signer({ uri, pin: secret.pin });
  }
  throw new ColdrootError('BAD_KEY_URI', `Unsupported key reference '${uri}'`, "Keys are 'software:<label>' or RFC 7512 'pkcs11:' URIs");
}
