import { Command, Option } from 'commander';
import { parseKeyAlgorithm } from '../../core/keys/key-algorithm.js';
import { caKeySecret, globals, newKeySpec, secretOptions, withConsole, type KeySourceOptions, type SecretOpts } from '../console-session.js';
import { emit } from '../output.js';
import { readSecret } from '../secrets.js';

/** OCSP for offline publication: pre-signed responses, and delegated responders. */
export function ocspCommand(): Command {
  const ocsp = new Command('ocsp').description('OCSP responses for offline publication');
  secretOptions(ocsp.command('presign').description('sign a response for every certificate of a CA (by the CA key, or by its delegated responder)'))
    .requiredOption('--ca <CA_ID>').requiredOption('--out <DIR>').option('--validity-hours <N>', 'hours until nextUpdate', (v) => Number(v), 168)
    .option('--responder <ID>', "sign with this delegated responder's key instead of the CA key (secrets then unlock the responder key)")
    .action(async (o: SecretOpts & { ca: string; out: string; validityHours: number; responder?: string }, cmd: Command) => {
      const r = await withConsole(cmd, async (svc) => {
        const keyUri = o.responder ? svc.listOcspResponders(o.ca).find((x) => x.id === o.responder)?.keyUri : undefined;
        const secret = o.responder
          ? keyUri?.startsWith('pkcs11:') ? { pin: await readSecret(o.pinEnv, 'responder token PIN', '--pin-env') } : { passphrase: await readSecret(o.passphraseEnv, 'responder key passphrase', '--passphrase-env') }
          : await caKeySecret(svc, o.ca, o);
        return svc.presignOcsp({ caId: o.ca, secret, outDir: o.out, validityHours: o.validityHours, responderId: o.responder });
      });
      emit(globals(cmd), r, () => `${r.responses} OCSP responses (${r.good} good, ${r.revoked} revoked) signed by ${r.signedBy}, valid until ${r.nextUpdate} in ${r.outDir}`);
    });

  ocsp.command('create-responder').description('create a delegated OCSP responder key and certificate for a CA')
    .requiredOption('--ca <CA_ID>')
    .option('--software', 'generate the responder key in software (encrypted in the home)').option('--passphrase-env <VAR>', "environment variable with the new key's passphrase")
    .option('--pkcs11-module <PATH>').option('--token-label <LABEL>').option('--pin-env <VAR>', "environment variable with the token PIN")
    .addOption(new Option('--algorithm <ALG>').choices(['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096', 'ed25519']).default('ecdsa-p256'))
    .option('--validity <DURATION>', "responder certificate lifetime, e.g. '30d' (ocsp-signing profile: at most 90d)")
    .option('--ca-passphrase-env <VAR>', "environment variable with the CA key's passphrase (default: --passphrase-env)")
    .option('--ca-pin-env <VAR>', "environment variable with the CA token's PIN (default: --pin-env)")
    .action(async (o: KeySourceOptions & { ca: string; algorithm: string; validity?: string; caPassphraseEnv?: string; caPinEnv?: string }, cmd: Command) => {
      const r = await withConsole(cmd, async (svc) => {
        const caSecret = await caKeySecret(svc, o.ca, { passphraseEnv: o.caPassphraseEnv ?? o.passphraseEnv, pinEnv: o.caPinEnv ?? o.pinEnv }, 'ca-');
        return svc.createOcspResponder({ caId: o.ca, caSecret, key: await newKeySpec(o), algorithm: parseKeyAlgorithm(o.algorithm), validity: o.validity });
      });
      emit(globals(cmd), r, () => `OCSP responder ${r.id} for ${r.caId}: serial ${r.serial}, valid until ${r.notAfter}, key ${r.keyUri}`);
    });

  ocsp.command('responders').description("list a CA's delegated OCSP responders").requiredOption('--ca <CA_ID>')
    .action(async (o: { ca: string }, cmd: Command) => {
      const r = await withConsole(cmd, (svc) => svc.listOcspResponders(o.ca), { readonly: true });
      emit(globals(cmd), r, () => (r.length ? r.map((x) => `${x.id.padEnd(36)} ${x.status.padEnd(8)} ${x.notAfter}  ${x.keyUri}`).join('\n') : `CA ${o.ca} has no delegated responders; it signs its own responses`));
    });

  return ocsp;
}
