import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import type { ConsoleService } from '../../api/console-service.js';
import type { CaSummary } from '../../ca/create-ca.js';
import { openIssuingCa } from '../../ca/issuing-ca.js';
import { applyProfile } from '../../ca/profiles/apply-profile.js';
import { builtinProfile } from '../../ca/profiles/builtin-profiles.js';
import { SoftwareSigner } from '../../keys/software-signer.js';
import { insertCertificate } from '../../store/certificate-repository.js';
import { buildCertificate } from '../../x509/certificate-builder.js';
import { describeCertificate } from '../../x509/certificate-info.js';
import type { SubjectAltNames } from '../../x509/extensions.js';
import { parseDistinguishedName } from '../../x509/distinguished-name.js';
import { commonNamesOf } from '../../x509/name-text.js';
import { describePublicKey } from '../../x509/public-key.js';

/*
 * The simulator's PKI, reproducible to the byte: CA keys are Ed25519 (deterministic signatures)
 * derived from the seed, serial numbers are derived too, and the clock is the simulation's. The
 * CAs are imported into the console home and every certificate is stored in its inventory, so the
 * home treats the fleet like any other.
 */

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const digest = (seed: number, label: string) => createHash('sha256').update(`coldroot-fleet/${seed}/${label}`).digest();

export function derivedEd25519(seed: number, label: string): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, digest(seed, label)]), format: 'der', type: 'pkcs8' });
}

/** 16 octets, first one 0x01–0x7f: positive and as long as the console's random serials. */
function derivedSerial(seed: number, label: string): { bytes: Uint8Array; hex: string } {
  const b = new Uint8Array(digest(seed, `serial/${label}`).subarray(0, 16));
  b[0] = (b[0] & 0x7f) | 0x01;
  return { bytes: b, hex: Buffer.from(b).toString('hex').replace(/^0+/, '') };
}

export interface LeafRequest {
  label: string;
  subject: string;
  sans?: SubjectAltNames;
  profile: 'device-management' | 'tls-server';
  signer: SoftwareSigner;
  validity?: string;
}

export interface FleetPki {
  root: CaSummary;
  deviceCa: CaSummary;
  /** Certificates for leaf keys, stored in the home's inventory with one audit entry. */
  issue(requests: LeafRequest[]): Promise<Array<{ der: Uint8Array; sha256: string; serial: string }>>;
}

export async function createFleetPki(svc: ConsoleService, seed: number, passphrase: string): Promise<FleetPki> {
  const now = svc.ctx.now();
  const rootKey = derivedEd25519(seed, 'root-ca');
  const rootSigner = new SoftwareSigner(rootKey, 'ed25519', 'software:fleet-root');
  const rootDn = parseDistinguishedName('CN=Fleet Simulator Root CA,O=Coldroot Simulation');
  const rootSpki = await rootSigner.publicKey();
  const rootKeyId = describePublicKey(rootSpki).keyIdentifier;
  const rootPlan = applyProfile(builtinProfile('root-ca'), { subject: rootDn.text, commonNames: commonNamesOf(rootDn.text), keyType: 'ed25519', keyIdentifier: rootKeyId, sans: {}, requestsCa: true },
    { keyIdentifier: null, notAfter: null, pathLen: undefined }, now);
  const rootDer = await buildCertificate({ serial: derivedSerial(seed, 'root-ca').bytes, issuer: rootDn.der, subject: rootDn.der, notBefore: rootPlan.notBefore, notAfter: rootPlan.notAfter, spki: rootSpki, extensions: rootPlan.extensions }, rootSigner, rootSpki);
  const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }) as string;
  const root = await svc.importCa({ certificate: rootDer, key: { kind: 'software-file', pem: pem(rootKey), passphrase } });

  const caKey = derivedEd25519(seed, 'device-ca');
  const caSigner = new SoftwareSigner(caKey, 'ed25519', 'software:fleet-device-ca');
  const caDn = parseDistinguishedName('CN=Fleet Simulator Device CA,O=Coldroot Simulation');
  const caSpki = await caSigner.publicKey();
  const caPlan = applyProfile(builtinProfile('intermediate-ca'), { subject: caDn.text, commonNames: commonNamesOf(caDn.text), keyType: 'ed25519', keyIdentifier: describePublicKey(caSpki).keyIdentifier, sans: {}, requestsCa: true },
    { keyIdentifier: rootKeyId, notAfter: rootPlan.notAfter, pathLen: null }, now);
  const caDer = await buildCertificate({ serial: derivedSerial(seed, 'device-ca').bytes, issuer: rootDn.der, subject: caDn.der, notBefore: caPlan.notBefore, notAfter: caPlan.notAfter, spki: caSpki, extensions: caPlan.extensions }, rootSigner, rootSpki);
  const deviceCa = await svc.importCa({ certificate: caDer, key: { kind: 'software-file', pem: pem(caKey), passphrase } });

  return {
    root,
    deviceCa,
    async issue(requests) {
      const issuer = await openIssuingCa(svc.ctx, deviceCa.id, { passphrase });
      try {
        const facts = { keyIdentifier: issuer.keyIdentifier, notAfter: issuer.notAfter, pathLen: issuer.ca.pathLen };
        const at = svc.ctx.now();
        const out: Array<{ der: Uint8Array; sha256: string; serial: string; profile: string }> = [];
        for (const r of requests) {
          const dn = parseDistinguishedName(r.subject, 'subject');
          const spki = await r.signer.publicKey();
          const key = describePublicKey(spki);
          const plan = applyProfile(builtinProfile(r.profile), { subject: dn.text, commonNames: commonNamesOf(dn.text), keyType: key.type, keyIdentifier: key.keyIdentifier, sans: r.sans ?? {}, requestsCa: false }, facts, at, { validity: r.validity });
          const serial = derivedSerial(seed, r.label);
          const der = await buildCertificate({ serial: serial.bytes, issuer: issuer.subjectDer, subject: dn.der, notBefore: plan.notBefore, notAfter: plan.notAfter, spki, extensions: plan.extensions }, issuer.signer, issuer.ca.publicKeySpki);
          out.push({ der, sha256: createHash('sha256').update(der).digest('hex'), serial: serial.hex, profile: r.profile });
        }
        svc.store.transaction(() => {
          for (const c of out) {
            const info = describeCertificate(c.der);
            insertCertificate(svc.store.db, { caId: deviceCa.id, serial: c.serial, profile: c.profile, subject: info.subject, sans: info.sans, notBefore: info.notBefore, notAfter: info.notAfter, fingerprintSha256: c.sha256, der: c.der, status: 'good', revokedAt: null, revocationReason: null, issuedAt: at.toISOString() });
          }
          svc.store.audit.append({ actor: svc.ctx.operator, action: 'cert.issue-batch', inputs: { seed: String(seed) }, outcome: 'ok', details: { caId: deviceCa.id, issued: out.length, simulated: true } }, at);
        });
        return out;
      } finally {
        await issuer.signer.close();
      }
    },
  };
}
