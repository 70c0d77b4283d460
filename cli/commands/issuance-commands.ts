import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { ocspCommand } from './ocsp-commands.js';
import { writeNewFile } from '../../core/api/console-service.js';
import { readProfileFile, type CertificateProfile } from '../../core/ca/profiles/certificate-profile.js';
import { ColdrootError } from '../../core/errors.js';
import { toPem } from '../../core/x509/asn1.js';
import { caKeySecret, globals, secretOptions, withConsole, type SecretOpts } from '../console-session.js';
import { emit } from '../output.js';
import { progressBar } from '../progress.js';

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new ColdrootError('FILE_NOT_FOUND', `Cannot read ${what} ${path}`, 'Check the path');
  }
}



/** The batch form: every request in a folder, one transaction, a progress bar and a summary line. */
async function issueDirectory(cmd: Command, o: SecretOpts & { ca: string; csrDir?: string; outDir?: string; validity?: string }, profile: string | CertificateProfile): Promise<void> {
  if (!o.csrDir || !o.outDir) throw new ColdrootError('USAGE', '--csr-dir and --out-dir go together', 'Give both the folder of requests and the output folder');
  let names: string[];
  try {
    names = readdirSync(o.csrDir).filter((n) => /\.(csr|pem|der|req)$/i.test(n)).sort();
  } catch {
    throw new ColdrootError('FILE_NOT_FOUND', `Cannot read the request folder ${o.csrDir}`, 'Check the path');
  }
  if (!names.length) throw new ColdrootError('NO_REQUESTS', `No requests (*.csr, *.pem, *.der) in ${o.csrDir}`, 'Put the PKCS#10 requests in the folder');
  mkdirSync(o.outDir, { recursive: true });
  const outputs = names.map((n) => join(o.outDir!, `${n.replace(/\.[^.]+$/, '')}.pem`));
  const clash = outputs.find((f) => existsSync(f));
  if (clash) throw new ColdrootError('OUTPUT_EXISTS', `Output file ${clash} already exists`, 'Use an empty --out-dir; Coldroot never overwrites its outputs');
  const g = globals(cmd);
  const bar = progressBar('issuing', !g.json);
  const started = performance.now();
  const r = await withConsole(cmd, async (svc) => svc.issueBatch({
    caId: o.ca, secret: await caKeySecret(svc, o.ca, o), profile, validity: o.validity,
    csrs: names.map((n) => ({ csr: readFileSync(join(o.csrDir!, n)), source: n })), onProgress: (d, t) => bar.update(d, t),
  }));
  bar.end();
  const seconds = (performance.now() - started) / 1000;
  const outputOf = new Map(names.map((n, i) => [n, outputs[i]]));
  for (const c of r.issued) writeNewFile(outputOf.get(c.source)!, c.certificatePem);
  const summary = { caId: r.caId, profile: r.profile, issued: r.issued.length, rejected: r.rejected, seconds: Number(seconds.toFixed(2)), outDir: o.outDir };
  emit(g, summary, () => [...r.rejected.map((x) => `rejected ${x.source}: ${x.code}: ${x.message}`), `Issued ${r.issued.length} of ${names.length} (${r.rejected.length} rejected) under ${r.profile} by ${r.caId} in ${seconds.toFixed(1)} s (${Math.round(r.issued.length / seconds)}/s); certificates in ${o.outDir}`].join('\n'));
  if (r.rejected.length) process.exitCode = 2;
}

export function issuanceCommands(): Command[] {
  const issue = secretOptions(new Command('issue').description('issue a certificate from a PKCS#10 request under a profile'))
    .requiredOption('--ca <CA_ID>').option('--profile <NAME>', 'certificate profile', 'tls-server').option('--profile-file <FILE>', 'a custom profile (JSON)')
    .option('--csr <FILE>', 'one PKCS#10 request').option('--out <FILE>', 'where to write its certificate (PEM)')
    .option('--csr-dir <DIR>', 'a folder of requests (*.csr, *.pem, *.der) to issue in one batch').option('--out-dir <DIR>', 'where the batch writes <name>.pem per request')
    .option('--validity <DURATION>', "e.g. '90d' or '24h' (default: the profile's)")
    .action(async (o: SecretOpts & { ca: string; profile: string; profileFile?: string; csr?: string; out?: string; csrDir?: string; outDir?: string; validity?: string }, cmd: Command) => {
      const profile = o.profileFile ? readProfileFile(o.profileFile) : o.profile;
      if (o.csrDir || o.outDir) return issueDirectory(cmd, o, profile);
      if (!o.csr || !o.out) throw new ColdrootError('USAGE', 'issue needs --csr FILE --out FILE, or --csr-dir DIR --out-dir DIR', 'Give one request and its output file, or a folder of requests and an output folder');
      const csr = readInput(o.csr, 'CSR');
      const r = await withConsole(cmd, async (svc) => {
        const secret = await caKeySecret(svc, o.ca, o);
        const issued = await svc.issueCertificate({ caId: o.ca, secret, profile, csr, csrSource: o.csr, validity: o.validity });
        writeNewFile(o.out!, issued.certificatePem);
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

  return [issue, revoke, crl, ocspCommand()];
}
