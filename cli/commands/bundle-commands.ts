import { readFileSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { BundleLimits } from '../../core/bundles/bundle-format.js';
import type { InspectReport } from '../../core/bundles/bundle-inspect.js';
import type { ImportOutcome } from '../../core/bundles/bundle-import.js';
import type { RolloutPlan } from '../../core/bundles/payloads/renewal.js';
import { ColdrootError } from '../../core/errors.js';
import { parseKeyAlgorithm } from '../../core/keys/key-algorithm.js';
import type { KeySecret } from '../../core/keys/key-spec.js';
import type { ConsoleService } from '../../core/api/console-service.js';
import { caKeySecret, globals, newKeySpec, withConsole, type KeySourceOptions } from '../console-session.js';
import { emit } from '../output.js';
import { progressBar } from '../progress.js';
import { queuedExport } from '../../core/policy/action-queue.js';
import { resolvePolicy } from '../../core/policy/policy-file.js';
import { readSecret } from '../secrets.js';

const bytes = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new ColdrootError('BAD_BUNDLE_LIMIT', `${flag} '${v}' is not a positive whole number`, `Give ${flag} in bytes, e.g. ${flag} 1073741824`);
  return n;
};

interface LimitOpts { maxBundleSize?: number; maxFileSize?: number; maxDecompressedSize?: number; maxRatio?: number }

function limitOptions(cmd: Command): Command {
  return cmd
    .option('--max-bundle-size <BYTES>', 'largest bundle file accepted (default 4 GiB)', bytes('--max-bundle-size'))
    .option('--max-file-size <BYTES>', 'largest payload file in a bundle (default 4 GiB)', bytes('--max-file-size'))
    .option('--max-decompressed-size <BYTES>', 'largest decompressed metric file (default 16 GiB)', bytes('--max-decompressed-size'))
    .option('--max-ratio <N>', 'largest compression ratio of a metric file (default 100)', bytes('--max-ratio'))
    .addOption(new Option('--parallel <MODE>', 'parse metric files on a worker thread').choices(['auto', 'always', 'never']).default('auto').hideHelp());
}

function limitsFrom(o: LimitOpts): Partial<BundleLimits> {
  return {
    ...(o.maxBundleSize ? { maxBundleBytes: o.maxBundleSize } : {}),
    ...(o.maxFileSize ? { maxFileBytes: o.maxFileSize } : {}),
    ...(o.maxDecompressedSize ? { maxDecompressedBytes: o.maxDecompressedSize } : {}),
    ...(o.maxRatio ? { maxCompressionRatio: o.maxRatio } : {}),
  };
}

function outcomeText(r: ImportOutcome): string {
  switch (r.status) {
    case 'accepted': return `accepted  ${r.file}: ${r.type} bundle ${r.bundleId} from ${r.producer}, sequence ${r.sequence}, ${r.records} records`;
    case 'already-imported': return `already imported  ${r.file}: ${r.type} bundle ${r.bundleId} was imported at ${r.importedAt}; nothing changed`;
    case 'rejected': return `rejected  ${r.file}: [${r.check ?? 'input'}] ${r.code}: ${r.message}. ${r.hint}${r.quarantine ? `\n  quarantined as ${r.quarantine}` : ''}`;
  }
}

function reportText(r: InspectReport): string {
  const lines = [`${r.file}: ${r.verdict.toUpperCase()}${r.failure ? ` (${r.failure.code})` : ''}`];
  if (r.type) lines.push(`  type        ${r.type} (format ${r.formatVersion})${r.importable ? '' : ' — not imported by the console'}`, `  bundle id   ${r.bundleId}`, `  sequence    ${r.sequence}`, `  created     ${r.createdAt}`);
  if (r.inReplyTo) lines.push(`  in reply to ${r.inReplyTo}`);
  if (r.producer) lines.push(`  producer    ${r.producer.subject} (serial ${r.producer.serial}, issuer ${r.producer.issuer})`, `              certificate sha256 ${r.producer.certificateSha256}`);
  if (r.producer?.chain) lines.push(`  chain       ${r.producer.chain.join(' → ')}`);
  if (r.known) lines.push(`  known       ${r.known.direction}ed at ${r.known.at} by ${r.known.operator}`);
  if (r.sha256) lines.push(`  file        ${r.size ?? '?'} bytes, sha256 ${r.sha256}`);
  for (const f of r.files) lines.push(`  - ${f.name}  ${f.size} bytes${f.records !== undefined ? `, ${f.records} records` : ''}${f.schema ? `  (${f.schema})` : ''}`);
  lines.push('  checks');
  for (const c of r.checks) lines.push(`    ${c.status.padEnd(8)} ${c.check}`);
  if (r.failure) lines.push(`  ${r.failure.message}`, `  ${r.failure.hint}`);
  return lines.join('\n');
}

async function signerSecret(svc: ConsoleService, o: { signerPassphraseEnv?: string; signerPinEnv?: string; passphraseEnv?: string; pinEnv?: string }): Promise<KeySecret> {
  const s = svc.bundleSigner();
  if (!s) throw new ColdrootError('BUNDLE_SIGNER_MISSING', 'This console has no bundle-signing identity yet', 'Create one with: coldroot bundle signer create --ca CA_ID --software --passphrase-env VAR');
  if (s.keyUri.startsWith('software:')) return { passphrase: await readSecret(o.signerPassphraseEnv ?? o.passphraseEnv, 'bundle-signing key passphrase', '--signer-passphrase-env') };
  return { pin: await readSecret(o.signerPinEnv ?? o.pinEnv, 'bundle-signing token PIN', '--signer-pin-env') };
}

function readRollout(path: string): RolloutPlan {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RolloutPlan;
  } catch (e) {
    throw new ColdrootError('ROLLOUT_INVALID', `Cannot read rollout plan ${path}: ${(e as Error).message}`, 'Give a JSON file as described in docs/bundles.md (coldroot.rollout.v1)');
  }
}

export function bundleCommand(): Command {
  const bundle = new Command('bundle').description('signed bundles across the air gap: import, inspect, export');

  limitOptions(bundle.command('import').description('verify and import bundles (metrics, risk-report, renewal-request); exit 2 if any is rejected'))
    .argument('<FILE...>', 'bundle files')
    .option('--no-quarantine', 'do not copy rejected bundles to <home>/quarantine')
    .action(async (files: string[], o: LimitOpts & { quarantine: boolean; parallel: 'auto' | 'always' | 'never' }, cmd: Command) => {
      const g = globals(cmd);
      const sizes = files.map((f) => { try { return statSync(f).size; } catch { return 0; } });
      const total = sizes.reduce((a, b) => a + b, 0);
      // Progress through the bytes of all the files, advancing inside each bundle as it streams (a million-row bundle takes seconds).
      const [unit, scale] = total >= 16 * 2 ** 20 ? ['MiB', 2 ** 20] : ['KiB', 2 ** 10];
      const bar = progressBar(`importing ${files.length} bundle${files.length === 1 ? '' : 's'} (${unit})`, !g.json);
      const show = (bytes: number) => bar.update(Math.round(bytes / scale), Math.max(1, Math.round(total / scale)));
      const results = await withConsole(cmd, async (svc) => {
        const out: ImportOutcome[] = [];
        let done = 0;
        for (const [i, f] of files.entries()) {
          const onProgress = (read: number) => show(done + Math.min(read, sizes[i]));
          out.push(...(await svc.importBundles([f], { limits: limitsFrom(o), quarantine: o.quarantine, parallel: o.parallel, onProgress })));
          done += sizes[i];
          show(done);
        }
        bar.end();
        return out;
      });
      const rejected = results.filter((r): r is Extract<ImportOutcome, { status: 'rejected' }> => r.status === 'rejected');
      const failed = rejected[0];
      emit(g, { results, ...(failed ? { error: { code: failed.code, message: failed.message, hint: failed.hint, check: failed.check } } : {}) }, () => results.filter((r) => r.status !== 'rejected').map(outcomeText).join('\n'));
      // Rejections go to stderr, one line each, as every Coldroot input error does.
      for (const r of rejected) process.stderr.write(`error: ${outcomeText(r)}\n`);
      if (failed) process.exitCode = 2;
    });

  limitOptions(bundle.command('inspect').description('show a bundle and verify it against this home without importing; exit 2 if it fails a check'))
    .argument('<FILE>', 'bundle file')
    .action(async (file: string, o: LimitOpts & { parallel: 'auto' | 'always' | 'never' }, cmd: Command) => {
      const report = await withConsole(cmd, (svc) => svc.inspectBundle(file, { limits: limitsFrom(o), parallel: o.parallel }), { readonly: true });
      emit(globals(cmd), report.failure ? { ...report, error: report.failure } : report, () => reportText(report));
      if (report.failure) process.stderr.write(`error: ${file}: [${report.failure.check ?? 'input'}] ${report.failure.code}: ${report.failure.message}. ${report.failure.hint}\n`);
      if (report.verdict === 'rejected') process.exitCode = 2;
    });

  const exp = bundle.command('export').description('write signed bundles for hosts');
  exp.command('renewal').description('answer pending renewal requests: issue the CSRs, add chain, CRLs and OCSP responses, sign')
    .requiredOption('--out <FILE>', 'bundle file to write (never overwritten)')
    .requiredOption('--ca <CA_ID>', 'CA that signs the certificates')
    .option('--hosts <NAMES>', 'only these hosts (comma-separated)')
    .option('--request-bundle <BUNDLE_ID>', 'only the requests of this request bundle')
    .option('--profile <NAME>', "issue under this profile instead of each request's")
    .option('--validity <DURATION>', "e.g. '90d' (default: the profile's)")
    .option('--ocsp-validity-hours <N>', 'hours until the OCSP responses expire', (v) => Number(v), 168)
    .option('--rollout-file <FILE>', 'rollout plan to include (coldroot.rollout.v1 JSON)')
    .option('--from-queue', 'carry the approved risk actions: investigation instructions for the agents; forced and predictive renewals are answered when their host has a pending request')
    .option('--policy <FILE>', 'risk policy for --from-queue (default: <home>/risk-policy.json, else the built-in one)')
    .option('--passphrase-env <VAR>', "environment variable holding the CA key's passphrase")
    .option('--pin-env <VAR>', "environment variable holding the CA token's PIN")
    .option('--signer-passphrase-env <VAR>', "environment variable holding the bundle-signing key's passphrase (default: --passphrase-env)")
    .option('--signer-pin-env <VAR>', "environment variable holding the bundle-signing token's PIN (default: --pin-env)")
    .action(async (o: { out: string; ca: string; hosts?: string; requestBundle?: string; profile?: string; validity?: string; ocspValidityHours: number; rolloutFile?: string; fromQueue?: boolean; policy?: string; passphraseEnv?: string; pinEnv?: string; signerPassphraseEnv?: string; signerPinEnv?: string }, cmd: Command) => {
      const rollout = o.rolloutFile ? readRollout(o.rolloutFile) : undefined;
      const bar = progressBar('signing', !globals(cmd).json);
      const r = await withConsole(cmd, async (svc) => svc.exportRenewalBundle({
        out: o.out, caId: o.ca, caSecret: await caKeySecret(svc, o.ca, o), signerSecret: await signerSecret(svc, o),
        hosts: o.hosts?.split(',').map((h) => h.trim()).filter(Boolean), requestBundle: o.requestBundle, profile: o.profile, validity: o.validity,
        ocspValidityHours: o.ocspValidityHours, rollout, ...(o.fromQueue ? queuedExport(svc.ctx, resolvePolicy(svc.ctx.store.home, o.policy).policy) : {}),
        onProgress: (done, total) => bar.update(done, total),
      }));
      bar.end();
      emit(globals(cmd), r, () => [`Renewal bundle ${r.bundleId} (sequence ${r.sequence}, in reply to ${r.inReplyTo}) written to ${r.path}`,
        `  ${r.issued.length} issued, ${r.rejected.length} rejected; CRLs: ${r.crls.join(', ') || 'none'}${r.actions.length ? `; risk actions carried: ${r.actions.join(', ')}` : ''}`,
        ...r.rejected.map((x) => `  rejected ${x.requestId} (${x.host}): ${x.code}: ${x.message}`), ...r.warnings.map((w) => `  warning: ${w}`)].join('\n'));
    });

  const signer = bundle.command('signer').description("the console's bundle-signing identity");
  signer.command('create').description('make a bundle-signing key (software or PKCS#11) certified by a CA of this home')
    .requiredOption('--ca <CA_ID>', 'CA that certifies the signer')
    .addOption(new Option('--algorithm <ALG>', 'key algorithm').choices(['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096']).default('ecdsa-p256'))
    .option('--subject <DN>', 'subject of the signer certificate', 'CN=Coldroot Console Bundle Signer')
    .option('--validity <DURATION>', "e.g. '365d' (default: the bundle-signing profile's)")
    .option('--software', 'generate the key in software, stored encrypted in the home')
    .option('--passphrase-env <VAR>', 'environment variable holding the new key passphrase')
    .option('--pkcs11-module <PATH>', 'PKCS#11 module')
    .option('--token-label <LABEL>', 'label of the PKCS#11 token')
    .option('--pin-env <VAR>', 'environment variable holding the token user PIN')
    .option('--ca-passphrase-env <VAR>', "environment variable holding the CA key's passphrase (default: --passphrase-env)")
    .option('--ca-pin-env <VAR>', "environment variable holding the CA token's PIN (default: --pin-env)")
    .action(async (o: KeySourceOptions & { ca: string; algorithm: string; subject: string; validity?: string; caPassphraseEnv?: string; caPinEnv?: string }, cmd: Command) => {
      const r = await withConsole(cmd, async (svc) => svc.createBundleSigner({
        caId: o.ca, caSecret: await caKeySecret(svc, o.ca, { passphraseEnv: o.caPassphraseEnv ?? o.passphraseEnv, pinEnv: o.caPinEnv ?? o.pinEnv }, 'ca-'),
        key: await newKeySpec(o), algorithm: parseKeyAlgorithm(o.algorithm), subject: o.subject, validity: o.validity,
      }));
      emit(globals(cmd), r, () => `Bundle signer ${r.subject} (serial ${r.serial} of ${r.caId}, ${r.keyAlgorithm}) valid until ${r.notAfter}\n  key ${r.keyUri}`);
    });
  signer.command('show').description('show the current bundle-signing identity').action(async (_o: unknown, cmd: Command) => {
    const r = await withConsole(cmd, (svc) => svc.bundleSigner(), { readonly: true });
    if (!r) throw new ColdrootError('BUNDLE_SIGNER_MISSING', 'This console has no bundle-signing identity yet', 'Create one with: coldroot bundle signer create --ca CA_ID --software --passphrase-env VAR');
    emit(globals(cmd), r, () => `${r.subject} (serial ${r.serial} of ${r.caId}), valid until ${r.notAfter}\n  key ${r.keyUri}\n${r.certificatePem.trimEnd()}`);
  });

  bundle.command('list').description('bundles imported and exported, newest first')
    .option('--type <TYPE>', 'metrics, risk-report, renewal-request or renewal')
    .addOption(new Option('--direction <DIR>', 'import or export').choices(['import', 'export']))
    .option('--limit <N>', 'at most N', (v) => Number(v), 100)
    .action(async (o: { type?: string; direction?: 'import' | 'export'; limit: number }, cmd: Command) => {
      const rows = await withConsole(cmd, (svc) => svc.listBundles(o), { readonly: true });
      emit(globals(cmd), rows, () => rows.map((b) => `${b.processedAt}  ${b.direction.padEnd(6)}  ${b.type.padEnd(15)}  ${b.bundleId}  seq ${b.sequence}  ${b.records} records  ${b.producerSubject}`).join('\n') || 'No bundles');
    });

  bundle.command('requests').description('renewal requests received')
    .addOption(new Option('--status <STATUS>', 'pending, issued or rejected').choices(['pending', 'issued', 'rejected']))
    .action(async (o: { status?: 'pending' | 'issued' | 'rejected' }, cmd: Command) => {
      const rows = await withConsole(cmd, (svc) => svc.listRenewalRequests(o), { readonly: true });
      emit(globals(cmd), rows, () => rows.map((r) => `${r.status.padEnd(8)}  ${r.host}  ${r.requestId}  ${r.profile}  ${r.reason}  (bundle ${r.bundleId})`).join('\n') || 'No renewal requests');
    });

  return bundle;
}
