import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ColdrootError } from '../../core/errors.js';
import { fromPemOrDer } from '../../core/x509/asn1.js';
import { describeCertificate } from '../../core/x509/certificate-info.js';
import { validatePath } from '../../core/x509/path/index.js';
import { globals } from '../console-session.js';
import { emit } from '../output.js';

function readAll(files: string[], labels: string[], what: string): Uint8Array[] {
  return files.flatMap((f) => {
    let data: Buffer;
    try { data = readFileSync(f); } catch { throw new ColdrootError('FILE_NOT_FOUND', `Cannot read ${what} file ${f}`, 'Check the path'); }
    const blocks = fromPemOrDer(data, labels);
    if (!blocks.length) throw new ColdrootError('BAD_INPUT_FILE', `${what} file ${f} holds no ${labels[0]} block`, 'Give PEM or DER');
    return blocks;
  });
}

const collect = (v: string, acc: string[]) => [...acc, v];

export function verifyCommand(): Command {
  return new Command('verify').description('validate a certificate path (RFC 5280) against trust anchors, CRLs, time, purpose and host name')
    .argument('<CERT>', 'the certificate to validate (PEM or DER)')
    .requiredOption('--trust <FILE>', 'trusted root certificates (repeatable)', collect, [])
    .option('--untrusted <FILE>', 'intermediate certificates (repeatable)', collect, [])
    .option('--crl <FILE>', 'CRLs to check revocation against (repeatable)', collect, [])
    .option('--at <ISO_TIME>', 'validation time (default: now)')
    .option('--purpose <EKU>', 'serverAuth, clientAuth, codeSigning, ocspSigning')
    .option('--host <NAME>', 'DNS name or IP the certificate must cover')
    .action((certFile: string, o: { trust: string[]; untrusted: string[]; crl: string[]; at?: string; purpose?: string; host?: string }, cmd: Command) => {
      const at = o.at ? new Date(o.at) : new Date();
      if (Number.isNaN(at.getTime())) throw new ColdrootError('BAD_TIME', `--at '${o.at}' is not an ISO 8601 time`, 'Write it like 2026-11-25T12:00:00Z');
      const [leaf] = readAll([certFile], ['CERTIFICATE'], 'certificate');
      const result = validatePath({
        leaf, trustAnchors: readAll(o.trust, ['CERTIFICATE', 'TRUSTED CERTIFICATE'], 'trust'), intermediates: readAll(o.untrusted, ['CERTIFICATE'], 'untrusted'),
        crls: readAll(o.crl, ['X509 CRL'], 'CRL'), at, purpose: o.purpose, hostname: o.host,
      });
      const subject = describeCertificate(leaf).subject;
      if (result.ok) {
        const chain = result.chain.map((c) => describeCertificate(c).subject);
        emit(globals(cmd), { ok: true, subject, chain }, () => `OK: ${subject}\n${chain.map((s, i) => `  ${i}: ${s}`).join('\n')}`);
      } else {
        emit(globals(cmd), { ok: false, subject, code: result.code, message: result.message }, () => `FAILED (${result.code}): ${result.message}`);
        process.exitCode = 2;
      }
    });
}
