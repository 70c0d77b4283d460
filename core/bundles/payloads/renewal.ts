import { z } from 'zod';
import { CanaryPlanSchema } from '../../policy/canary/canary-plan.js';
import { fromPemOrDer } from '../../x509/asn1.js';
import { describeCertificate } from '../../x509/certificate-info.js';
import { readTlv } from '../../x509/der-reader.js';
import { reject } from '../bundle-rejection.js';
import { ISO_UTC, SLUG } from './json-payload.js';
import { HOST } from './metrics-schema.js';

/**
 * coldroot.renewal.v1: the console's answer to renewal requests. renewal.json indexes the other
 * files, which are plain PEM/DER so `tar x` and openssl can check them:
 *   chain.pem          issuing CA first, up to the root
 *   certs/<id>.pem     one issued certificate per request
 *   ocsp/<serial>.der  a signed OCSP response (good) for each issued certificate
 *   crls/<ca>.crl      the current CRL (DER) of each CA of the chain that has one
 *   rollout.json       optional: in which waves the hosts should install
 */
export const RENEWAL_SCHEMA_V1 = 'coldroot.renewal.v1';
export const ROLLOUT_SCHEMA_V1 = 'coldroot.rollout.v1';
export const RENEWAL_FILE = 'renewal.json';
export const ROLLOUT_FILE = 'rollout.json';
export const CHAIN_FILE = 'chain.pem';

const FileRef = (dir: string, ext: string) => z.string().regex(new RegExp(`^${dir}/[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\.${ext}$`));

/**
 * What the console asks of one host's agent, besides certificates: investigation mode (collect
 * more often and include log excerpts until a time) and a fresh single-use nonce for the TPM
 * quote of a later expired-certificate recovery.
 */
export const AgentInstructionSchema = z.strictObject({
  host: z.string().regex(HOST),
  investigation: z.strictObject({
    until: z.string().regex(ISO_UTC),
    collectIntervalSeconds: z.number().int().min(10).max(86_400),
    logExcerpts: z.boolean(),
    reason: z.string().max(500),
  }).optional(),
  attestationNonce: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type AgentInstruction = z.infer<typeof AgentInstructionSchema>;

export const RenewalIndexSchema = z.strictObject({
  chain: z.literal(CHAIN_FILE),
  crls: z.array(FileRef('crls', 'crl')).max(64),
  issued: z.array(z.strictObject({
    requestId: z.string().regex(SLUG),
    host: z.string().regex(HOST),
    serial: z.string().regex(/^[0-9a-f]{1,40}$/),
    notAfter: z.string().regex(ISO_UTC),
    certificate: FileRef('certs', 'pem'),
    ocsp: FileRef('ocsp', 'der'),
  })).max(10_000),
  rejected: z.array(z.strictObject({
    requestId: z.string().regex(SLUG),
    host: z.string().regex(HOST),
    code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
    message: z.string().max(1000),
  })).max(10_000),
  rollout: z.literal(ROLLOUT_FILE).optional(),
  instructions: z.array(AgentInstructionSchema).max(100_000).optional(),
});
export type RenewalIndex = z.infer<typeof RenewalIndexSchema>;

export const RolloutPlanSchema = z.strictObject({
  /** all-at-once: every host may install at once; canary: wave by wave, each after the previous is healthy. */
  strategy: z.enum(['all-at-once', 'canary']),
  waves: z.array(z.strictObject({
    name: z.string().regex(SLUG),
    hosts: z.array(z.string().regex(HOST)).min(1).max(100_000),
    notBefore: z.string().regex(ISO_UTC).optional(),
    /** Share of the wave that must report a working certificate before the next wave starts. */
    minHealthyPercent: z.number().min(0).max(100).optional(),
  })).min(1).max(1000),
  /**
   * Within each host: serve the new certificate to a growing share of TLS connections and let the
   * clients decide (coldroot.canary.v1, run by the agent's TLS front; docs/canary-rollout.md).
   */
  canary: CanaryPlanSchema.optional(),
}).superRefine((p, ctx) => {
  const seen = new Set<string>();
  for (const w of p.waves) for (const h of w.hosts) {
    if (seen.has(h)) ctx.addIssue({ code: 'custom', message: `host ${h} is in two waves` });
    seen.add(h);
  }
  if (p.strategy === 'all-at-once' && p.waves.length !== 1) ctx.addIssue({ code: 'custom', message: 'all-at-once has exactly one wave' });
});
export type RolloutPlan = z.infer<typeof RolloutPlanSchema>;

/** Checks that renewal.json and the files of the bundle match one to one and that each certificate, OCSP response and CRL decodes. */
export function checkRenewalFiles(index: RenewalIndex, files: ReadonlyMap<string, Uint8Array>): void {
  const referenced = new Set<string>([RENEWAL_FILE, CHAIN_FILE, ...index.crls, ...index.issued.flatMap((i) => [i.certificate, i.ocsp]), ...(index.rollout ? [index.rollout] : [])]);
  for (const name of referenced) if (!files.has(name)) reject('BUNDLE_PAYLOAD_INVALID', `${RENEWAL_FILE} refers to ${name}, which the bundle does not hold`);
  for (const name of files.keys()) if (!referenced.has(name)) reject('BUNDLE_PAYLOAD_INVALID', `${name} is not referenced by ${RENEWAL_FILE}`);
  const pemCerts = (name: string) => {
    const blocks = fromPemOrDer(files.get(name)!, ['CERTIFICATE']);
    if (!blocks.length || !Buffer.from(files.get(name)!).toString('latin1').startsWith('-----BEGIN CERTIFICATE-----')) reject('BUNDLE_PAYLOAD_INVALID', `${name} holds no PEM certificate`);
    for (const b of blocks) {
      try { describeCertificate(b); } catch (e) { reject('BUNDLE_PAYLOAD_INVALID', `${name}: ${(e as Error).message}`); }
    }
    return blocks;
  };
  pemCerts(CHAIN_FILE);
  for (const i of index.issued) {
    const [cert] = pemCerts(i.certificate);
    const info = describeCertificate(cert);
    if (info.serial !== i.serial.replace(/^0+(?=.)/, '')) reject('BUNDLE_PAYLOAD_INVALID', `${i.certificate} has serial ${info.serial}, ${RENEWAL_FILE} says ${i.serial}`);
  }
  for (const name of [...index.crls, ...index.issued.map((i) => i.ocsp)]) {
    const der = files.get(name)!;
    try {
      if (readTlv(der).end !== der.length) throw new Error('trailing bytes');
    } catch (e) {
      reject('BUNDLE_PAYLOAD_INVALID', `${name} is not one DER structure: ${(e as Error).message}`);
    }
  }
}
