import { readBundle, type SignerFacts } from '../../../../core/bundles/bundle-reader.js';
import { resolveLimits, type Manifest } from '../../../../core/bundles/bundle-format.js';
import type { RenewalIndex, RolloutPlan } from '../../../../core/bundles/payloads/renewal.js';
import { ColdrootError } from '../../../../core/errors.js';
import { describeCertificate } from '../../../../core/x509/certificate-info.js';
import { PURPOSE_OIDS, validatePath } from '../../../../core/x509/path/index.js';
import { sameBytes } from '../../../../core/x509/public-key.js';

export interface VerifiedRenewalBundle {
  index: RenewalIndex;
  rollout: RolloutPlan | null;
  /** Every payload file by its name in the bundle (renewal.json, chain.pem, certs/…, ocsp/…, crls/…). */
  files: ReadonlyMap<string, Uint8Array>;
  manifest: Manifest;
  signer: SignerFacts;
  /** The signer's path, signer first, trust anchor last (DER). */
  signerPath: Uint8Array[];
  fileSha256: string;
}

export interface VerifyRenewalOptions {
  /** The agent's trust anchors (DER): the Coldroot root(s) from trust/anchors.pem. */
  trustAnchors: Uint8Array[];
  now: Date;
}

/** How far a bundle's createdAt may be ahead of the device clock before the clock is suspected (same as the console's tolerance). */
export const BUNDLE_CLOCK_TOLERANCE_MS = 24 * 3600 * 1000;

/** Renewal bundles are a few certificates; anything larger is not one. */
const RENEWAL_LIMITS = resolveLimits({ maxBundleBytes: 256 * 1024 ** 2, maxFileBytes: 64 * 1024 ** 2, maxDecompressedBytes: 64 * 1024 ** 2 });

function subjectOf(der: Uint8Array): string {
  try {
    return describeCertificate(der).subject;
  } catch {
    return 'undecodable certificate';
  }
}

/**
 * Reads and checks a renewal bundle as the console checks a bundle it imports (core readBundle:
 * archive, CMS signature, manifest, hashes, schema), with the trust decision made against the
 * agent's own anchors: the signer (the console's bundle-signing certificate, carried in
 * manifest.p7s with its chain) must chain to one of them at `now`, for digitalSignature and
 * emailProtection. Throws a ColdrootError naming the failed check.
 */
export async function verifyRenewalBundle(file: string, opts: VerifyRenewalOptions): Promise<VerifiedRenewalBundle> {
  if (!opts.trustAnchors.length) {
    throw new ColdrootError('RENEWAL_NO_TRUST_ANCHORS', 'The agent has no trust anchors, so no renewal bundle can be trusted', 'Install the Coldroot root certificate in trust/anchors.pem (it comes with the agent package)');
  }
  let signerPath: Uint8Array[] = [];
  let captured: { index: RenewalIndex; rollout: RolloutPlan | null; files: ReadonlyMap<string, Uint8Array> } | null = null;
  const result = await readBundle(file, {
    limits: RENEWAL_LIMITS,
    parallel: 'never',
    sink: { renewal: (index, rollout, files) => { captured = { index, rollout, files }; } },
    admit(b) {
      if (b.manifest.type !== 'renewal') {
        throw new ColdrootError('RENEWAL_WRONG_TYPE', `${file} is a ${b.manifest.type} bundle, not a renewal bundle`, 'Give the agent the renewal bundle the console exported (coldroot bundle export-renewal)');
      }
      // A wrong device clock would also fail the signer's validity below; name the likelier cause first.
      if (Date.parse(b.manifest.createdAt) > opts.now.getTime() + BUNDLE_CLOCK_TOLERANCE_MS) {
        throw new ColdrootError('RENEWAL_FROM_FUTURE', `${file} was created at ${b.manifest.createdAt}, more than a day after this device's clock (${opts.now.toISOString()})`, "The device clock is probably wrong: fix it (NTP) before installing certificates");
      }
      const path = validatePath({
        leaf: b.signer.certificate,
        intermediates: b.signer.certificates.filter((c) => !sameBytes(c, b.signer.certificate)),
        trustAnchors: opts.trustAnchors,
        at: opts.now,
        keyUsage: ['digitalSignature'],
        purpose: PURPOSE_OIDS.emailProtection,
      });
      if (!path.ok) {
        throw new ColdrootError('RENEWAL_SIGNER_UNTRUSTED', `${file}: the bundle signer (${b.signer.subject}, serial ${b.signer.serial}) does not chain to this agent's trust anchors: ${path.code}: ${path.message}`,
          'Only renewal bundles signed by the console of this device\'s Coldroot root are installed; check trust/anchors.pem and which console exported the bundle');
      }
      for (const c of b.signer.certificates) {
        if (!path.chain.some((p) => sameBytes(p, c)) && !opts.trustAnchors.some((a) => sameBytes(a, c))) {
          throw new ColdrootError('RENEWAL_SIGNER_UNTRUSTED', `${file}: manifest.p7s carries a certificate that is not on the signer's path to the trust anchors (${subjectOf(c)})`, 'Get a fresh copy of the bundle from the console');
        }
      }
      signerPath = path.chain;
      return 'process';
    },
  });
  const got = captured as { index: RenewalIndex; rollout: RolloutPlan | null; files: ReadonlyMap<string, Uint8Array> } | null;
  if (!got) throw new ColdrootError('RENEWAL_PAYLOAD_MISSING', `${file}: the renewal bundle holds no renewal.json`, 'Get a fresh copy of the bundle from the console');
  return { ...got, manifest: result.manifest, signer: result.signer, signerPath, fileSha256: result.fileSha256 };
}
