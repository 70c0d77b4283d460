import { Command } from 'commander';
import { issueAttestationNonce } from '../../core/attestation/attestation-nonces.js';
import { listEnrolments } from '../../core/attestation/tpm-enrolments.js';
import { addVendorRoots, listVendorCertificates } from '../../core/attestation/vendor-roots.js';
import { globals, withConsole } from '../console-session.js';
import { emit } from '../output.js';

/** TPM attestation for expired-certificate recovery (docs/tpm-attestation.md). */
export function tpmCommand(): Command {
  const tpm = new Command('tpm').description('TPM vendor roots, enrolled TPMs and attestation nonces (expired-certificate recovery)');

  tpm.command('add-vendor-root').description("trust a TPM vendor's CA certificates (PEM or DER; roots and their issuing CAs) for EK certificates")
    .argument('<FILE>')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const r = await withConsole(cmd, (svc) => addVendorRoots(svc.ctx, file));
      emit(globals(cmd), r, () => [...r.added.map((a) => `added ${a.kind.padEnd(12)} ${a.subject} (sha256 ${a.sha256.slice(0, 16)}…, until ${a.notAfter})`), ...r.present.map((s) => `already trusted: ${s}`)].join('\n'));
    });

  tpm.command('vendor-roots').description('list the TPM vendor certificates this home trusts')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await withConsole(cmd, (svc) => listVendorCertificates(svc.store.db), { readonly: true });
      emit(globals(cmd), r, () => (r.length ? r.map((v) => `${v.kind.padEnd(12)} ${v.subject}  sha256 ${v.sha256.slice(0, 16)}…  until ${v.notAfter}`).join('\n') : 'No TPM vendor roots; add one with: coldroot tpm add-vendor-root FILE'));
    });

  tpm.command('enrolments').description('list the hosts whose TPM is enrolled for recovery')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await withConsole(cmd, (svc) => listEnrolments(svc.store.db), { readonly: true });
      emit(globals(cmd), r, () => (r.length ? r.map((e) => `${e.host.padEnd(32)} EK ${e.ekSha256.slice(0, 16)}…  AK ${e.akName.slice(0, 16)}…  by ${e.deviceSubject} at ${e.enrolledAt}`).join('\n') : 'No enrolled TPMs; hosts enrol theirs with a renewal request while their certificate is valid'));
    });

  tpm.command('issue-nonce').description("issue a single-use nonce for a host's next TPM quote (renewal export adds one by itself)")
    .requiredOption('--host <HOST>').option('--ttl-days <N>', 'days the nonce stays usable', (v) => Number(v), 400)
    .action(async (o: { host: string; ttlDays: number }, cmd: Command) => {
      const r = await withConsole(cmd, (svc) => issueAttestationNonce(svc.ctx, o.host, { ttlDays: o.ttlDays }));
      emit(globals(cmd), r, () => `nonce ${r.nonce} for ${r.host}, usable once until ${r.expiresAt}`);
    });
  return tpm;
}
