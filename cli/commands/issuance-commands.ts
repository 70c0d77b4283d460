import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { writeNewFile } from '../../core/api/console-service.js';
import { readProfileFile } from '../../core/ca/profiles/certificate-profile.js';
import { ColdrootError } from '../../core/errors.js';
import { toPem } from '../../core/x509/asn1.js';
import { caKeySecret, globals, withConsole } from '../console-session.js';
import { emit } from '../output.js';

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new ColdrootError('FILE_NOT_FOUND', `Cannot read ${what} ${path}`, 'Check the path');
  }
}

interface SecretOpts { passphraseEnv?: string; pinEnv?: string }

function secretOptions(cmd: Command): Command {
  return cmd.option('--passphrase-env <VAR>', "environment variable holding the CA key's passphrase").option('--pin-env <VAR>', "environment variable holding the CA token's PIN");
}

export function issuanceCommands(): Command[] {
  const issue = secretOptions(new Command('issue').description('issue a certificate from a PKCS#10 request under a profile'))
    .requiredOption('--ca <CA_ID>').option('--profile <NAME>', 'certificate profile', 'tls-server').option('--profile-file <FILE>', 'a custom profile (JSON)')
    .requiredOption('--csr <FILE>').requiredOption('--out <FILE>').option('--validity <DURATION>', "e.g. '90d' or '24h' (default: the profile's)")
    .action(async (o: SecretOpts & { ca: string; profile: string; profileFile?: string; csr: string; out: string; validity?: string }, cmd: Command) => {
      const profile = o.profileFile ? readProfileFile(o.profileFile) : o.profile;
      const csr = readInput(o.csr, 'CSR');
      const r = await withConsole(cmd, async (svc) => {
        const secret = await caKeySecret(svc, o.ca, o);
        const issued = await svc.issueCertificate({ caId: o.ca, secret, profile, csr, csrSource: o.csr, validity: o.validity });
        writeNewFile(o.out, issued.certificatePem);
        return issued;
      });
      emit(globals(cmd), r, () => `Issued ${r.serial} for ${r.subject} (${r.profile}), valid until ${r.notAfter}; written to ${o.out}`);
    });

  const revoke = new Command('revoke').description('revoke a certificate (it appears on the next CRL and OCSP responses)')
    .requiredOption('--ca <CA_ID>').requiredOption('--serial <HEX>').option('--reason <REASON>', 'RFC 5280 reason', 'unspecified')
    .action(async (o: { ca: string; serial: string; reason: string }, cmd: Command) => {
      const r = await withConsole(cmd, (svc) => svc.revokeCertificate({ caId: o.ca, serial: o.serial, reason: o.reason }));
      emit(globals(cmd), r, () => `Revoked ${r.serial} of ${r.caId} (${r.reason}) at ${r.revokedAt}`);
    });

  const crl = secretOptions(new Command('crl').description("sign a full CRL of the CA's revoked certificates"))
    .requiredOption('--ca <CA_ID>').requiredOption('--out <FILE>').option('--der', 'write DER instead of PEM')
    .option('--next-update-hours <N>', 'hours until nextUpdate', (v) => Number(v), 168)
    .action(async (o: SecretOpts & { ca: string; out: string; der?: boolean; nextUpdateHours: number }, cmd: Command) => {
      const r = await withConsole(cmd, async (svc) => {
        const c = await svc.publishCrl({ caId: o.ca, secret: await caKeySecret(svc, o.ca, o), nextUpdateHours: o.nextUpdateHours });
        writeNewFile(o.out, o.der ? c.der : toPem(c.der, 'X509 CRL'));
        return c;
      });
      const { der: _der, ...summary } = r;
      emit(globals(cmd), { ...summary, out: o.out }, () => `CRL #${r.crlNumber} of ${r.caId}: ${r.revokedCount} revoked, next update ${r.nextUpdate}; written to ${o.out}`);
    });

  const ocsp = new Command('ocsp').description('OCSP responses for offline publication');
  secretOptions(ocsp.command('presign').description('sign a response for every certificate of a CA'))
    .requiredOption('--ca <CA_ID>').requiredOption('--out <DIR>').option('--validity-hours <N>', 'hours until nextUpdate', (v) => Number(v), 168)
    .action(async (o: SecretOpts & { ca: string; out: string; validityHours: number }, cmd: Command) => {
      const r = await withConsole(cmd, async (svc) => svc.presignOcsp({ caId: o.ca, secret: await caKeySecret(svc, o.ca, o), outDir: o.out, validityHours: o.validityHours }));
      emit(globals(cmd), r, () => `${r.responses} OCSP responses (${r.good} good, ${r.revoked} revoked) valid until ${r.nextUpdate} in ${r.outDir}`);
    });

  return [issue, revoke, crl, ocsp];
}
