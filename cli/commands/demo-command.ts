import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ConsoleService } from '../../core/api/console-service.js';
import { generateKeyObject } from '../../core/keys/software-key-store.js';
import { SoftwareSigner } from '../../core/keys/software-signer.js';
import { fromPemOrDer, toPem } from '../../core/x509/asn1.js';
import { buildCsr } from '../../core/x509/csr-builder.js';
import { validatePath } from '../../core/x509/path/index.js';
import { globals } from '../console-session.js';

const DEMO_PASSPHRASE = 'coldroot-demo-passphrase';

/** A guided tour on software keys in a fresh home: root, intermediate, issue, revoke, CRL, OCSP, verify, audit. */
export function demoCommand(): Command {
  return new Command('demo').description('run a guided demo in a fresh lab home (software keys)').action(async (_o: unknown, cmd: Command) => {
    const home = globals(cmd).home ?? mkdtempSync(join(tmpdir(), 'coldroot-demo-'));
    const svc = ConsoleService.open({ home, operator: 'demo', create: true });
    const say = (s: string) => process.stdout.write(`${s}\n`);
    try {
      svc.initialize();
      say(`Coldroot demo in ${home} (lab software keys; passphrase '${DEMO_PASSPHRASE}')\n`);
      const key = { kind: 'software' as const, passphrase: DEMO_PASSPHRASE };
      const root = await svc.createRootCa({ name: 'CN=Coldroot Demo Root CA,O=Coldroot Demo', algorithm: 'ecdsa-p384', key });
      say(`1. root CA          ${root.id}  serial ${root.serial}  until ${root.notAfter}`);
      const sub = await svc.createIntermediateCa({ name: 'CN=Coldroot Demo Issuing CA,O=Coldroot Demo', algorithm: 'ecdsa-p256', key, parentId: root.id, parentSecret: { passphrase: DEMO_PASSPHRASE } });
      say(`2. intermediate CA  ${sub.id}  serial ${sub.serial}  until ${sub.notAfter}`);
      const secret = { passphrase: DEMO_PASSPHRASE };
      const web = new SoftwareSigner(generateKeyObject('ecdsa-p256'), 'ecdsa-p256', 'software:demo-web');
      const csr = toPem(await buildCsr(web, 'CN=www.demo.example', { dns: ['www.demo.example', 'demo.example'] }), 'CERTIFICATE REQUEST');
      const cert = await svc.issueCertificate({ caId: sub.id, secret, profile: 'tls-server', csr });
      say(`3. issued tls-server ${cert.serial} for ${cert.sans.join(', ')}`);
      const old = await svc.issueCertificate({ caId: sub.id, secret, profile: 'tls-server', csr });
      svc.revokeCertificate({ caId: sub.id, serial: old.serial, reason: 'superseded' });
      say(`4. revoked          ${old.serial} (superseded)`);
      const crl = await svc.publishCrl({ caId: sub.id, secret });
      say(`5. CRL #${crl.crlNumber}            ${crl.revokedCount} revoked, next update ${crl.nextUpdate}`);
      const ocsp = await svc.presignOcsp({ caId: sub.id, secret, outDir: join(home, 'ocsp') });
      say(`6. OCSP presigned   ${ocsp.responses} responses in ${ocsp.outDir}`);
      const der = (pem: string) => fromPemOrDer(pem, ['CERTIFICATE'])[0];
      const v = validatePath({ leaf: der(cert.certificatePem), intermediates: [der(sub.certificatePem!)], trustAnchors: [der(root.certificatePem!)], crls: [crl.der], at: new Date(), purpose: 'serverAuth', hostname: 'www.demo.example' });
      say(`7. path validation  ${v.ok ? 'OK' : `FAILED ${v.code}: ${v.message}`}`);
      const a = svc.auditVerify();
      say(`8. audit trail      ${a.ok ? `intact, ${a.entries} entries` : `BROKEN: ${a.message}`}`);
      say(`\nExplore it: npx coldroot --home ${home} ca list   (README.md has the walkthrough)`);
    } finally {
      svc.close();
    }
  });
}
