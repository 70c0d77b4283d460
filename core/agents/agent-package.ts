import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { openIssuingCa } from '../ca/issuing-ca.js';
import type { OperationContext } from '../ca/operation-context.js';
import { applyProfile } from '../ca/profiles/apply-profile.js';
import { builtinProfile } from '../ca/profiles/builtin-profiles.js';
import { randomSerial } from '../ca/serial-number.js';
import { ColdrootError } from '../errors.js';
import type { KeySecret } from '../keys/key-spec.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { getCa } from '../store/ca-repository.js';
import { insertCertificate, serialExists } from '../store/certificate-repository.js';
import { toPem } from '../x509/asn1.js';
import { buildCertificate } from '../x509/certificate-builder.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { parseDistinguishedName } from '../x509/distinguished-name.js';
import { describePublicKey } from '../x509/public-key.js';
import { FORMAT_VERSION, sha256Hex } from '../bundles/bundle-format.js';
import { BundleRepository } from '../bundles/bundle-repository.js';
import { writeBundle, type BundleFileSource, type WrittenBundle } from '../bundles/bundle-writer.js';
import { openBundleSigner } from '../bundles/console-signer.js';
import { AGENT_CONFIG_SCHEMA_V1, AGENT_PACKAGE_FILES, AGENT_PACKAGE_SEA_FILE } from '../bundles/payloads/agent-package.js';
import { AGENT_FILE_NAME, buildAgent, type AgentBuild } from './agent-build.js';
import { checkDevices, type AgentDevice } from './agent-devices.js';
import { agentConfigJson, installScript, systemdUnit, type AgentPackageConfig } from './agent-package-files.js';

export const BOOTSTRAP_PROFILE = 'device-bootstrap';
export const PACKAGE_EXTENSION = '.agent-package';

export interface GenerateAgentPackagesInput {
  /** The CA that issues the bootstrap certificates. */
  caId: string;
  caSecret: KeySecret;
  /** Unlocks the console's bundle-signing key. */
  signerSecret: KeySecret;
  devices: AgentDevice[];
  /** One device: the package file. Several: a folder (created if missing) that receives `<host>.agent-package` each. */
  out: string;
  config?: AgentPackageConfig;
  /** Default: the device-bootstrap profile's (1095d). */
  bootstrapValidity?: string;
  /** Also try a Node single executable (kept in the package when the build machine can make one). Default true. */
  sea?: boolean;
  /** The agent source to bundle; default agent-bundle/src/agent/main.ts. */
  agentEntry?: string;
}

export interface AgentPackage {
  host: string;
  path: string;
  bundleId: string;
  sequence: number;
  sha256: string;
  size: number;
  bootstrap: { caId: string; serial: string; subject: string; notBefore: string; notAfter: string; fingerprintSha256: string };
}

export interface TrustAnchor { caId: string; subject: string; sha256: string }

export interface GenerateAgentPackagesResult {
  packages: AgentPackage[];
  /** What trust/anchors.pem holds; install.sh wants each sha256 as --root-sha256, obtained out of band. */
  anchors: TrustAnchor[];
  agent: { size: number; sha256: string; buildMs: number; inputs: number; entry: string; sea: AgentBuild['sea'] };
  signer: { subject: string; certificateSha256: string };
}

interface Draft { device: AgentDevice; path: string; keyPem: string; der: Uint8Array; serial: string; info: ReturnType<typeof describeCertificate> }

/** The self-signed root above a CA of this home (or the topmost CA the home holds). */
function rootOf(ctx: OperationContext, caId: string): TrustAnchor & { der: Uint8Array } {
  let ca = getCa(ctx.store.db, caId);
  while (ca.parentId) ca = getCa(ctx.store.db, ca.parentId);
  if (!ca.certificateDer) throw new ColdrootError('CA_NOT_ACTIVE', `CA '${ca.id}' has no certificate`, `Import its certificate with: coldroot ca import-certificate ${ca.id} --cert FILE`);
  const info = describeCertificate(ca.certificateDer);
  return { caId: ca.id, subject: info.subject, sha256: info.fingerprintSha256, der: ca.certificateDer };
}

function outputPaths(input: GenerateAgentPackagesInput): string[] {
  const out = resolve(input.out);
  const many = input.devices.length > 1 || /[/\\]$/.test(input.out) || (existsSync(out) && statSync(out).isDirectory());
  const paths = many ? input.devices.map((d) => join(out, `${d.host}${PACKAGE_EXTENSION}`)) : [out];
  if (many && existsSync(out) && !statSync(out).isDirectory()) throw new ColdrootError('OUTPUT_NOT_A_FOLDER', `${out} is a file; packages for ${input.devices.length} devices go into a folder`, 'Give --out a folder (it is created if missing)');
  for (const p of paths) if (existsSync(p)) throw new ColdrootError('OUTPUT_EXISTS', `Output file ${p} already exists`, 'Choose a new file or folder; Coldroot never overwrites its outputs');
  return paths;
}

/**
 * Writes one signed agent-package bundle per device: the agent bundled once, its config, the trust
 * anchors, a bootstrap certificate (device-bootstrap profile) with a fresh P-256 key made here, the
 * systemd unit and install.sh. The certificates are signed and verified first, the packages written
 * next (mode 0600: they hold private keys), then the certificates, the export records and one
 * audit entry are stored in one transaction; a failure anywhere removes the packages written and
 * stores nothing.
 */
export async function generateAgentPackages(ctx: OperationContext, input: GenerateAgentPackagesInput): Promise<GenerateAgentPackagesResult> {
  const devices = checkDevices(input.devices);
  const paths = outputPaths(input);
  const profile = builtinProfile(BOOTSTRAP_PROFILE);
  const configs = devices.map((d) => agentConfigJson(d.host, input.config));
  const unit = systemdUnit(input.config);
  const install = installScript();
  const work = mkdtempSync(join(tmpdir(), 'coldroot-agent-package-'));
  const written: string[] = [];
  try {
    const agent = await buildAgent({ entry: input.agentEntry, outFile: join(work, AGENT_FILE_NAME), sea: input.sea ?? true });
    if (input.agentEntry === undefined) checkConfigWithAgent(agent.file, configs[0], work);
    const drafts = await issueBootstrapCertificates(ctx, input, devices, paths, profile.name);
    const identity = await openBundleSigner(ctx, input.signerSecret);
    try {
      const roots = [rootOf(ctx, input.caId), rootOf(ctx, identity.summary.caId)].filter((r, i, all) => all.findIndex((x) => x.sha256 === r.sha256) === i);
      const anchorsPem = new TextEncoder().encode(roots.map((r) => toPem(r.der, 'CERTIFICATE')).join(''));
      const repo = new BundleRepository(ctx.store.db);
      const first = repo.nextSequence(identity.summary.certificateSha256);
      const now = ctx.now();
      if (paths[0] !== resolve(input.out)) mkdirSync(resolve(input.out), { recursive: true });
      const bundles: WrittenBundle[] = [];
      for (const [i, d] of drafts.entries()) {
        const files: BundleFileSource[] = [
          { name: AGENT_PACKAGE_FILES.agent, path: agent.file },
          ...(agent.sea.status === 'built' ? [{ name: AGENT_PACKAGE_SEA_FILE, path: agent.sea.path }] : []),
          { name: AGENT_PACKAGE_FILES.config, data: configs[i], schema: AGENT_CONFIG_SCHEMA_V1 },
          { name: AGENT_PACKAGE_FILES.anchors, data: anchorsPem },
          { name: AGENT_PACKAGE_FILES.bootstrapCert, data: new TextEncoder().encode(toPem(d.der, 'CERTIFICATE')) },
          { name: AGENT_PACKAGE_FILES.bootstrapKey, data: new TextEncoder().encode(d.keyPem) },
          { name: AGENT_PACKAGE_FILES.unit, data: unit },
          { name: AGENT_PACKAGE_FILES.install, data: install },
        ];
        const staged = await writePrivately(d.path, (file) => writeBundle(file, { type: 'agent-package', identity, sequence: first + i, createdAt: now, files }));
        written.push(d.path);
        bundles.push({ ...staged, path: d.path });
      }
      const at = now.toISOString();
      ctx.store.transaction(() => {
        for (const [i, d] of drafts.entries()) {
          insertCertificate(ctx.store.db, { caId: input.caId, serial: d.serial, profile: profile.name, subject: d.info.subject, sans: d.info.sans, notBefore: d.info.notBefore, notAfter: d.info.notAfter, fingerprintSha256: d.info.fingerprintSha256, der: d.der, status: 'good', revokedAt: null, revocationReason: null, issuedAt: at });
          const b = bundles[i];
          const rowId = repo.insert({
            bundleId: b.bundleId, direction: 'export', type: 'agent-package', formatVersion: FORMAT_VERSION, producerSha256: identity.summary.certificateSha256,
            producerSubject: identity.summary.subject, producerCaId: identity.summary.caId, producerSerial: identity.summary.serial, sequence: first + i, createdAt: b.manifest.createdAt,
            inReplyTo: null, manifest: b.manifestBytes, manifestSha256: sha256Hex(b.manifestBytes), signature: b.signature, processedAt: at, operator: ctx.operator,
          });
          repo.finish(rowId, b.sha256, b.size, 0);
        }
        ctx.store.audit.append({
          actor: ctx.operator, role: ctx.role ?? null, action: 'agent.package', inputs: { hosts: sha256Hex(new TextEncoder().encode(devices.map((d) => d.host).join('\n'))), profile: profile.name }, outcome: 'ok',
          details: {
            caId: input.caId, profile: profile.name, count: drafts.length, agentSha256: agent.sha256, anchors: roots.map((r) => r.sha256),
            packages: drafts.slice(0, 100).map((d, i) => ({ host: d.device.host, serial: d.serial, bundleId: bundles[i].bundleId, fileSha256: bundles[i].sha256 })),
          },
        }, now);
      });
      return {
        packages: drafts.map((d, i) => ({
          host: d.device.host, path: d.path, bundleId: bundles[i].bundleId, sequence: first + i, sha256: bundles[i].sha256, size: bundles[i].size,
          bootstrap: { caId: input.caId, serial: d.serial, subject: d.info.subject, notBefore: d.info.notBefore, notAfter: d.info.notAfter, fingerprintSha256: d.info.fingerprintSha256 },
        })),
        anchors: roots.map(({ caId, subject, sha256 }) => ({ caId, subject, sha256 })),
        agent: { size: agent.size, sha256: agent.sha256, buildMs: agent.buildMs, inputs: agent.inputs, entry: agent.entry, sea: agent.sea.status === 'built' ? { ...agent.sea, path: AGENT_PACKAGE_SEA_FILE } : agent.sea },
        signer: { subject: identity.summary.subject, certificateSha256: identity.summary.certificateSha256 },
      };
    } finally {
      await identity.signer.close();
    }
  } catch (e) {
    for (const p of written) rmSync(p, { force: true });
    throw e;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A package holds a private key, so it is never readable by others, not even while written: it is
 * made in a fresh 0700 folder beside its destination, set to 0600, then linked to its name (which
 * fails if the name exists, so nothing is overwritten). Where the filesystem has no hard links
 * (a FAT-formatted stick, which has no permissions either) it is renamed instead.
 */
async function writePrivately<T>(dest: string, write: (file: string) => Promise<T>): Promise<T> {
  const stage = mkdtempSync(join(dirname(dest), '.coldroot-agent-package-'));
  const file = join(stage, basename(dest));
  try {
    const r = await write(file);
    chmodSync(file, 0o600);
    try {
      linkSync(file, dest);
      unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' || existsSync(dest)) throw new ColdrootError('OUTPUT_EXISTS', `Output file ${dest} already exists`, 'Choose a new file or folder; Coldroot never overwrites its outputs');
      renameSync(file, dest);
    }
    return r;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * Runs the agent just built on the first host's config.json (`check-config`): the agent's own
 * strict schema judges what we ship (configs differ only by the host, checked above), and the
 * bundle is proven to start without node_modules.
 */
function checkConfigWithAgent(agentFile: string, config: Uint8Array, work: string): void {
  const file = join(work, 'config.json');
  writeFileSync(file, config, { flag: 'wx' });
  const r = spawnSync(process.execPath, [agentFile, '--config', file, 'check-config'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return;
  // The agent names its --config path; the operator knows the file as the package's config.json.
  const said = (r.stderr || r.stdout || String(r.error ?? '')).trim().replace(/^error \w+: /, '').split(file).join('config.json').split('\nhint:')[0];
  if (r.status === 2) throw new ColdrootError('AGENT_CONFIG_INVALID', said, 'Fix the agent settings (--config-file and the flags); see docs/agent-package.md');
  throw new ColdrootError('AGENT_BUILD_FAILED', `The bundled agent does not run (exit ${r.status ?? r.signal}): ${said.slice(0, 1000)}`, 'Fix the agent source, then package again', 'failure');
}

/** Signs (and verifies) one bootstrap certificate per device for a key generated here; nothing is stored yet. */
async function issueBootstrapCertificates(ctx: OperationContext, input: GenerateAgentPackagesInput, devices: AgentDevice[], paths: string[], profileName: string): Promise<Draft[]> {
  const profile = builtinProfile(profileName);
  const issuer = await openIssuingCa(ctx, input.caId, input.caSecret);
  try {
    const facts = { keyIdentifier: issuer.keyIdentifier, notAfter: issuer.notAfter, pathLen: issuer.ca.pathLen, crlUrl: issuer.ca.crlUrl, ocspUrl: issuer.ca.ocspUrl, caIssuersUrl: issuer.ca.caIssuersUrl };
    const serials = new Set<string>();
    const drafts: Draft[] = [];
    for (const [i, device] of devices.entries()) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const spki = await new SoftwareSigner(privateKey, 'ecdsa-p256', `software:bootstrap-${device.host}`).publicKey();
      const key = describePublicKey(spki);
      const dn = parseDistinguishedName(`CN=${device.host}`, 'host');
      const sans = { dns: [device.host, ...(device.dns ?? []).filter((n) => n !== device.host)], ...(device.uri?.length ? { uri: device.uri } : {}) };
      const plan = applyProfile(profile, { subject: dn.text, commonNames: [device.host], keyType: key.type, keyIdentifier: key.keyIdentifier, sans, requestsCa: false }, facts, ctx.now(), { validity: input.bootstrapValidity });
      let serial = randomSerial();
      while (serials.has(serial.hex) || serialExists(ctx.store.db, issuer.ca.id, serial.hex)) serial = randomSerial();
      serials.add(serial.hex);
      const der = await buildCertificate({ serial: serial.bytes, issuer: issuer.subjectDer, subject: dn.der, notBefore: plan.notBefore, notAfter: plan.notAfter, spki, extensions: plan.extensions }, issuer.signer, issuer.ca.publicKeySpki);
      const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      drafts.push({ device, path: paths[i], keyPem, der, serial: serial.hex, info: describeCertificate(der) });
    }
    return drafts;
  } finally {
    await issuer.signer.close();
  }
}
