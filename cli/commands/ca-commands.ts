import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { writeNewFile } from '../../core/api/console-service.js';
import type { CaSummary, CreateCaInput } from '../../core/ca/create-ca.js';
import { parseKeyAlgorithm } from '../../core/keys/key-algorithm.js';
import { ColdrootError } from '../../core/errors.js';
import { caKeySecret, globals, newKeySpec, withConsole, type KeySourceOptions } from '../console-session.js';
import { emit } from '../output.js';
import { readSecret } from '../secrets.js';
import type { ImportedKey } from '../../core/ca/import-ca.js';

function keyOptions(cmd: Command): Command {
  return cmd
    .option('--software', 'generate the key in software, stored encrypted in the home')
    .option('--passphrase-env <VAR>', 'environment variable holding the software key passphrase')
    .option('--pkcs11-module <PATH>', 'PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so)')
    .option('--token-label <LABEL>', 'label of the PKCS#11 token')
    .option('--pin-env <VAR>', 'environment variable holding the token user PIN');
}

function caOptions(cmd: Command): Command {
  return keyOptions(cmd)
    .requiredOption('--name <DN>', "subject, e.g. 'CN=Example Root CA,O=Example,C=US'")
    .addOption(new Option('--algorithm <ALG>', 'key algorithm').choices(['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096', 'ed25519']).default('ecdsa-p256'))
    .option('--validity-days <N>', 'certificate lifetime in days', (v) => Number(v))
    .option('--path-length <N>', 'basicConstraints pathLenConstraint', (v) => Number(v))
    .option('--permit-dns <NAMES>', 'name constraints: permitted DNS subtrees, comma-separated')
    .option('--exclude-dns <NAMES>', 'name constraints: excluded DNS subtrees, comma-separated')
    .option('--crl-url <URL>', 'CRL distribution point written into certificates this CA issues')
    .option('--ocsp-url <URL>', 'OCSP responder URL written into certificates this CA issues')
    .option('--ca-issuers-url <URL>', 'URL of this CA certificate, written into certificates it issues');
}

interface CaOpts extends KeySourceOptions {
  name: string; algorithm: string; validityDays?: number; pathLength?: number; permitDns?: string; excludeDns?: string;
  crlUrl?: string; ocspUrl?: string; caIssuersUrl?: string;
}

async function createInput(o: CaOpts): Promise<CreateCaInput> {
  const list = (v?: string) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
  const permitted = list(o.permitDns);
  const excluded = list(o.excludeDns);
  if (o.pathLength !== undefined && (!Number.isInteger(o.pathLength) || o.pathLength < 0)) {
    throw new ColdrootError('BAD_PATH_LENGTH', `--path-length ${o.pathLength} is not a whole number ≥ 0`, 'Give e.g. --path-length 0');
  }
  return {
    name: o.name, algorithm: parseKeyAlgorithm(o.algorithm), key: await newKeySpec(o), validityDays: o.validityDays, pathLength: o.pathLength,
    nameConstraints: permitted || excluded ? { permitted: permitted && { dns: permitted }, excluded: excluded && { dns: excluded } } : undefined,
    crlUrl: o.crlUrl, ocspUrl: o.ocspUrl, caIssuersUrl: o.caIssuersUrl,
  };
}

function caText(ca: CaSummary): string {
  return [`${ca.kind} CA ${ca.id} (${ca.status})`, `  subject   ${ca.subject}`, `  serial    ${ca.serial ?? '-'}`, `  valid     ${ca.notBefore ?? '-'} .. ${ca.notAfter ?? '-'}`, `  key       ${ca.keyUri} (${ca.keyAlgorithm})`].join('\n');
}

export function caCommand(): Command {
  const ca = new Command('ca').description('create, list, show and export certificate authorities');

  caOptions(ca.command('create-root').description('create a self-signed root CA')).action(async (o: CaOpts, cmd: Command) => {
    const r = await withConsole(cmd, async (svc) => svc.createRootCa(await createInput(o)));
    emit(globals(cmd), r, () => caText(r));
  });

  caOptions(ca.command('create-intermediate').description('create an intermediate CA signed by a CA held in this console'))
    .requiredOption('--parent <CA_ID>', 'the issuing CA')
    .option('--parent-passphrase-env <VAR>', "environment variable with the parent key's passphrase (default: --passphrase-env)")
    .option('--parent-pin-env <VAR>', "environment variable with the parent token's PIN (default: --pin-env)")
    .action(async (o: CaOpts & { parent: string; parentPassphraseEnv?: string; parentPinEnv?: string }, cmd: Command) => {
      const r = await withConsole(cmd, async (svc) => {
        const parentSecret = await caKeySecret(svc, o.parent, { passphraseEnv: o.parentPassphraseEnv ?? o.passphraseEnv, pinEnv: o.parentPinEnv ?? o.pinEnv }, 'parent-');
        return svc.createIntermediateCa({ ...(await createInput(o)), parentId: o.parent, parentSecret });
      });
      emit(globals(cmd), r, () => caText(r));
    });

  caOptions(ca.command('request-intermediate').description('create an intermediate key and CSR for a parent CA held elsewhere'))
    .requiredOption('--csr-out <FILE>', 'where to write the PKCS#10 request')
    .action(async (o: CaOpts & { csrOut: string }, cmd: Command) => {
      const r = await withConsole(cmd, async (svc) => {
        const s = await svc.requestIntermediateCa(await createInput(o));
        writeNewFile(o.csrOut, s.csrPem!);
        return s;
      });
      emit(globals(cmd), r, () => `${caText(r)}\nCSR written to ${o.csrOut}; import the signed certificate with: coldroot ca import-certificate ${r.id} --cert FILE`);
    });

  ca.command('import-certificate <CA_ID>').description('install the certificate an external parent signed for a requested intermediate')
    .requiredOption('--cert <FILE>', 'PEM or DER certificate').action(async (caId: string, o: { cert: string }, cmd: Command) => {
      const r = await withConsole(cmd, (svc) => svc.importCaCertificate({ caId, certificate: readFileSync(o.cert) }));
      emit(globals(cmd), r, () => caText(r));
    });

  ca.command('import').description('take an existing CA (certificate + key reference) into this console')
    .requiredOption('--cert <FILE>', 'the CA certificate (PEM or DER)')
    .option('--key-uri <URI>', 'PKCS#11 URI of the CA private key (with ?module-path=…)')
    .option('--pin-env <VAR>', 'environment variable holding the token PIN')
    .option('--key-file <FILE>', 'PEM private key file of a software CA (stored re-encrypted in the home)')
    .option('--key-passphrase-env <VAR>', 'environment variable holding the key file passphrase, if it is encrypted')
    .option('--passphrase-env <VAR>', 'environment variable holding the passphrase to store the key under')
    .action(async (o: { cert: string; keyUri?: string; pinEnv?: string; keyFile?: string; keyPassphraseEnv?: string; passphraseEnv?: string }, cmd: Command) => {
      let key: ImportedKey;
      if (o.keyUri && !o.keyFile) key = { kind: 'pkcs11', uri: o.keyUri, pin: await readSecret(o.pinEnv, 'token user PIN', '--pin-env') };
      else if (o.keyFile && !o.keyUri) {
        key = { kind: 'software-file', pem: readFileSync(o.keyFile, 'utf8'), filePassphrase: o.keyPassphraseEnv ? await readSecret(o.keyPassphraseEnv, 'key file passphrase', '--key-passphrase-env') : undefined, passphrase: await readSecret(o.passphraseEnv, 'new key passphrase', '--passphrase-env') };
      } else throw new ColdrootError('KEY_SOURCE_REQUIRED', 'Give exactly one of --key-uri and --key-file', 'Name the CA key: a PKCS#11 URI, or a PEM key file for a software CA');
      const r = await withConsole(cmd, (svc) => svc.importCa({ certificate: readFileSync(o.cert), key }));
      emit(globals(cmd), r, () => caText(r));
    });

  ca.command('list').description('list the CAs in this home').action(async (_o: unknown, cmd: Command) => {
    const r = await withConsole(cmd, (svc) => svc.listCas(), { readonly: true });
    emit(globals(cmd), r, () => (r.length ? r.map((c) => `${c.id.padEnd(32)} ${c.kind.padEnd(12)} ${c.status.padEnd(20)} ${c.notAfter ?? '-'}  ${c.subject}`).join('\n') : 'No CAs yet: create one with coldroot ca create-root'));
  });

  ca.command('show <CA_ID>').description('show one CA').action(async (caId: string, _o: unknown, cmd: Command) => {
    const r = await withConsole(cmd, (svc) => svc.showCa(caId), { readonly: true });
    emit(globals(cmd), r, () => `${caText(r)}\n  issued    ${r.certificates} certificates (${r.revoked} revoked)\n  last CRL  #${r.lastCrlNumber}\n${r.certificatePem ?? ''}`);
  });

  ca.command('export <CA_ID>').description('write the CA certificate (PEM)').requiredOption('--out <FILE>').option('--chain', 'append the parent certificates up to the root')
    .action(async (caId: string, o: { out: string; chain?: boolean }, cmd: Command) => {
      const pem = await withConsole(cmd, (svc) => svc.exportCa(caId, !!o.chain), { readonly: true });
      writeNewFile(o.out, pem);
      emit(globals(cmd), { caId, out: o.out, certificates: pem.match(/BEGIN CERTIFICATE/g)!.length }, () => `Wrote ${o.out}`);
    });
  return ca;
}
