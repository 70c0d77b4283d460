import type { OperationContext } from '../ca/operation-context.js';
import { BOOTSTRAP_PROFILE } from '../agents/agent-package.js';
import { checkDevices } from '../agents/agent-devices.js';
import { validityWindow } from '../ca/profiles/apply-profile.js';
import { builtinProfile } from '../ca/profiles/builtin-profiles.js';
import { currentBundleSigner } from '../bundles/console-signer.js';
import { ColdrootError } from '../errors.js';
import { getCa } from '../store/ca-repository.js';
import { describeCertificate } from '../x509/certificate-info.js';

/** What `generateAgentPackages` will sign for these hosts, shown to the operator before any key is unlocked. */
export interface AgentPackagePreview {
  caId: string;
  issuer: string;
  profile: string;
  profileSummary: string;
  keyUsage: string[];
  extendedKeyUsage: string[];
  validity: string;
  notBefore: string;
  notAfter: string;
  hosts: Array<{ host: string; subject: string; dns: string[] }>;
  thresholdDays: number;
  anchors: Array<{ caId: string; subject: string; sha256: string }>;
  signer: { subject: string; caId: string; serial: string; certificateSha256: string; keyUri: string };
}

/** The root at the top of `caId`'s chain, as install.sh pins it (the same walk generateAgentPackages makes). */
function anchorOf(ctx: OperationContext, caId: string): AgentPackagePreview['anchors'][number] {
  let ca = getCa(ctx.store.db, caId);
  while (ca.parentId) ca = getCa(ctx.store.db, ca.parentId);
  if (!ca.certificateDer) throw new ColdrootError('CA_NOT_ACTIVE', `CA '${ca.id}' has no certificate`, `Import its certificate with: coldroot ca import-certificate ${ca.id} --cert FILE`);
  const info = describeCertificate(ca.certificateDer);
  return { caId: ca.id, subject: info.subject, sha256: info.fingerprintSha256 };
}

/**
 * The review of an agent-package run: hosts checked as the generator checks them, the
 * device-bootstrap profile and the validity window its certificates get (capped by the issuer),
 * the trust anchors the packages will carry, and the identity that will sign them. Reads only.
 */
export function previewAgentPackages(ctx: OperationContext, input: { caId: string; hosts: string[]; bootstrapValidity?: string; thresholdDays?: number }): AgentPackagePreview {
  const devices = checkDevices(input.hosts.map((host) => ({ host })), 'hosts');
  const ca = getCa(ctx.store.db, input.caId);
  if (ca.status !== 'active' || !ca.certificateDer || !ca.notAfter) {
    throw new ColdrootError('CA_NOT_ACTIVE', `CA '${ca.id}' is ${ca.status} and cannot issue bootstrap certificates`, 'Choose an active issuing CA');
  }
  const signer = currentBundleSigner(ctx.store.db);
  if (!signer) throw new ColdrootError('BUNDLE_SIGNER_MISSING', 'This console has no bundle-signing identity yet', 'Create one on the Queue screen (Bundle-signing identity), then generate the packages');
  const profile = builtinProfile(BOOTSTRAP_PROFILE);
  const validity = input.bootstrapValidity ?? profile.validity.default;
  const window = validityWindow(profile, { keyIdentifier: null, notAfter: new Date(ca.notAfter), pathLen: ca.pathLen }, ctx.now(), validity);
  const anchors = [anchorOf(ctx, ca.id), anchorOf(ctx, signer.caId)].filter((a, i, all) => all.findIndex((x) => x.sha256 === a.sha256) === i);
  return {
    caId: ca.id, issuer: ca.subject, profile: profile.name, profileSummary: profile.description ?? '', keyUsage: [...profile.keyUsage], extendedKeyUsage: [...(profile.extendedKeyUsage ?? [])],
    validity, notBefore: window.notBefore.toISOString(), notAfter: window.notAfter.toISOString(),
    hosts: devices.map((d) => ({ host: d.host, subject: `CN=${d.host}`, dns: [d.host] })),
    thresholdDays: input.thresholdDays ?? 30,
    anchors,
    signer: { subject: signer.subject, caId: signer.caId, serial: signer.serial, certificateSha256: signer.certificateSha256, keyUri: signer.keyUri.split('?')[0] },
  };
}
