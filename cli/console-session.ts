import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { ConsoleService } from '../core/api/console-service.js';
import type { KeySecret, NewKeySpec } from '../core/keys/key-spec.js';
import { ColdrootError } from '../core/errors.js';
import { resolveHome } from '../core/store/home.js';
import { readSecret } from './secrets.js';

export interface GlobalOptions {
  home?: string;
  json?: boolean;
  operator?: string;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Opens the home for one command and always closes it (releasing the home lock). */
export async function withConsole<T>(cmd: Command, fn: (svc: ConsoleService) => Promise<T> | T, opts: { create?: boolean; readonly?: boolean } = {}): Promise<T> {
  const g = globals(cmd);
  const svc = ConsoleService.open({ home: resolveHome(g.home), operator: g.operator ?? process.env.COLDROOT_OPERATOR ?? userInfo().username, ...opts });
  try {
    return await fn(svc);
  } finally {
    svc.close();
  }
}

export interface KeySourceOptions {
  software?: boolean;
  passphraseEnv?: string;
  pkcs11Module?: string;
  tokenLabel?: string;
  pinEnv?: string;
}

/** Where a new CA key goes: --software, or --pkcs11-module with --token-label. */
export async function newKeySpec(o: KeySourceOptions): Promise<NewKeySpec> {
  if (o.software && o.pkcs11Module) {
    throw new ColdrootError('KEY_SOURCE_CONFLICT', '--software and --pkcs11-module were both given', 'Choose one place for the new key');
  }
  if (o.software) return { kind: 'software', passphrase: await readSecret(o.passphraseEnv, 'key passphrase', '--passphrase-env') };
  if (o.pkcs11Module) {
    if (!o.tokenLabel) throw new ColdrootError('TOKEN_LABEL_REQUIRED', '--pkcs11-module needs --token-label', 'Name the token, e.g. --token-label root-ca (list them with: pkcs11-tool --module MODULE -L)');
    return { kind: 'pkcs11', modulePath: o.pkcs11Module, tokenLabel: o.tokenLabel, pin: await readSecret(o.pinEnv, 'token user PIN', '--pin-env') };
  }
  throw new ColdrootError('KEY_SOURCE_REQUIRED', 'No place for the CA key was given', 'Pass --software --passphrase-env VAR for a lab key, or --pkcs11-module PATH --token-label LABEL --pin-env VAR for an HSM');
}

/** The secret that unlocks an existing CA key, read from the flag that fits its kind. */
export async function caKeySecret(svc: ConsoleService, caId: string, envs: { passphraseEnv?: string; pinEnv?: string }, flagPrefix = ''): Promise<KeySecret> {
  const ca = svc.showCa(caId);
  if (ca.keyUri.startsWith('software:')) return { passphrase: await readSecret(envs.passphraseEnv, `passphrase of CA '${caId}'`, `--${flagPrefix}passphrase-env`) };
  return { pin: await readSecret(envs.pinEnv, `token PIN of CA '${caId}'`, `--${flagPrefix}pin-env`) };
}

export interface SecretOpts { passphraseEnv?: string; pinEnv?: string }

/** The flags that name where an existing key's secret is: --passphrase-env or --pin-env. */
export function secretOptions(cmd: Command): Command {
  return cmd.option('--passphrase-env <VAR>', "environment variable holding the CA key's passphrase").option('--pin-env <VAR>', "environment variable holding the CA token's PIN");
}
