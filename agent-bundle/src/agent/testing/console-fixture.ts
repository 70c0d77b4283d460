import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { ConsoleService } from '../../../../core/api/console-service.js';
import type { CaSummary } from '../../../../core/ca/create-ca.js';
import type { BundleSignerSummary } from '../../../../core/bundles/console-signer.js';
import type { AgentInstruction } from '../../../../core/bundles/payloads/renewal.js';
import { renewalRequestFile } from '../../../../core/bundles/payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../../../../core/bundles/payloads/renewal-request.js';
import type { RenewalExportResult } from '../../../../core/bundles/renewal-export.js';
import { makeBundleTestKit, TEST_PASSPHRASE, TEST_START, writeTestBundle, type BundleTestKit, type TestDevice } from '../../../../core/bundles/testing/bundle-test-kit.js';
import { SoftwareSigner } from '../../../../core/keys/software-signer.js';
import { fromPemOrDer, toPem } from '../../../../core/x509/asn1.js';
import { buildCsr } from '../../../../core/x509/csr-builder.js';

/*
 * A console for agent tests: a home with a root and a device CA (software keys, injected clock),
 * a bundle-signing identity, current CRLs, devices holding device-management certificates, and
 * the whole renewal round trip (request bundle → import → renewal bundle) in one call.
 * Uses the console's database: tests only, never imported by the agent itself.
 */

export const SECRET = { passphrase: TEST_PASSPHRASE };

/** A device as the agent holds it: its current certificate and key as files would. */
export interface FixtureDevice {
  host: string;
  identity: TestDevice;
  /** Current device-management certificate, PEM (leaf only). */
  certificatePem: string;
  /** Its key, PKCS#8 PEM. */
  keyPem: string;
  /** The issuing CA up to the root, PEM. */
  chainPem: string;
}

export interface RenewalForOptions {
  /** The new key the agent generated (pending/<requestId>/key.pem), PKCS#8 PEM. */
  pendingKeyPem: string;
  requestId: string;
  /** Host named in the request (default: the device's). */
  host?: string;
  /** The CA that issues the renewed certificate (default: the device CA). */
  caId?: string;
  instructions?: AgentInstruction[];
  /** File name in the fixture folder (default renewal-<requestId>-<n>.tar). */
  out?: string;
}

export interface ConsoleFixture {
  dir: string;
  kit: BundleTestKit;
  svc: ConsoleService;
  root: CaSummary;
  deviceCa: CaSummary;
  /** The console's clock: set `clock.now` to date the next bundles and certificates. */
  clock: { now: Date };
  /** The agent's trust anchors: the root, DER. */
  trustAnchors: Uint8Array[];
  rootPem: string;
  signer: BundleSignerSummary;
  device(host: string): Promise<FixtureDevice>;
  /** A fresh P-256 key, PKCS#8 PEM (what the agent writes as a pending key). */
  newKeyPem(): string;
  /** Writes, imports and answers a renewal request; returns the renewal bundle's path. */
  renewalFor(device: FixtureDevice, o: RenewalForOptions): Promise<string>;
  /** Same, with the console's export report (serials, bundle id, warnings). */
  renewalDetailsFor(device: FixtureDevice, o: RenewalForOptions): Promise<RenewalExportResult>;
  /** A second intermediate CA under the same root. */
  newIntermediate(name?: string): Promise<CaSummary>;
  /** Makes the console sign renewal bundles with a new identity certified by `caId`. */
  useBundleSignerFrom(caId: string): Promise<BundleSignerSummary>;
  /** A root CA of another home (DER), unknown to this console's devices. */
  foreignRoot(): Promise<Uint8Array>;
  /** A device-management certificate for `keyPem` straight from a CA (no bundle): for material checks. */
  issueFor(keyPem: string, o?: { host?: string; caId?: string; validity?: string }): Promise<{ certificatePem: string; certificateDer: Uint8Array; serial: string; chainPem: string }>;
  /** Publishes a current CRL for every CA of this home. */
  publishCrls(): Promise<void>;
  close(): void;
}

export function newKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

function chainPemOf(svc: ConsoleService, caId: string): string {
  return svc.exportCa(caId, true);
}

export async function makeConsoleFixture(prefix = 'coldroot-agent-console-', start = TEST_START): Promise<ConsoleFixture> {
  const kit = await makeBundleTestKit(prefix, start);
  const { svc, root, deviceCa, clock } = kit;
  const signer = await svc.createBundleSigner({ caId: deviceCa.id, caSecret: SECRET, key: { kind: 'software', passphrase: TEST_PASSPHRASE } });
  const publishCrls = async () => {
    for (const ca of svc.listCas()) if (ca.status === 'active' && ca.certificatePem) await svc.publishCrl({ caId: ca.id, secret: SECRET });
  };
  await publishCrls();
  const sequences = new Map<string, number>();
  let foreign: ConsoleService | null = null;
  let exports = 0;
  let intermediates = 0;

  const renewalDetailsFor = async (device: FixtureDevice, o: RenewalForOptions): Promise<RenewalExportResult> => {
    const host = o.host ?? device.host;
    const next = new SoftwareSigner(createPrivateKey(o.pendingKeyPem), 'ecdsa-p256', `software:pending-${o.requestId}`);
    const csr = await buildCsr(next, `CN=${host}`);
    const requests = await renewalRequestFile([{ requestId: o.requestId, host, profile: 'device-management', reason: 'expiring', csr, proof: { kind: 'current-certificate', certificate: device.identity.certificate, key: device.identity.signer } }]);
    const sequence = (sequences.get(device.host) ?? 0) + 1;
    sequences.set(device.host, sequence);
    const n = ++exports;
    const req = await writeTestBundle(join(kit.dir, `request-${o.requestId}-${n}.tar`), device.identity, 'renewal-request', sequence,
      [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1, json: requests }], { createdAt: clock.now });
    const [imported] = await svc.importBundles([req.path]);
    if (imported.status !== 'accepted') throw new Error(`fixture: the console did not accept the renewal request: ${JSON.stringify(imported)}`);
    return svc.exportRenewalBundle({
      out: join(kit.dir, o.out ?? `renewal-${o.requestId}-${n}.tar`), caId: o.caId ?? deviceCa.id, caSecret: SECRET, signerSecret: SECRET,
      requestBundle: req.bundleId, ...(o.instructions ? { instructions: o.instructions } : {}),
    });
  };

  return {
    dir: kit.dir, kit, svc, root, deviceCa, clock, signer,
    trustAnchors: [fromPemOrDer(root.certificatePem!, ['CERTIFICATE'])[0]],
    rootPem: root.certificatePem!,
    async device(host) {
      const identity = await kit.device(host);
      return {
        host, identity,
        certificatePem: toPem(identity.certificate, 'CERTIFICATE'),
        keyPem: identity.signer.keyForWorkerThreads().export({ type: 'pkcs8', format: 'pem' }) as string,
        chainPem: chainPemOf(svc, identity.caId),
      };
    },
    newKeyPem,
    renewalDetailsFor,
    async renewalFor(device, o) {
      return (await renewalDetailsFor(device, o)).path;
    },
    async newIntermediate(name) {
      const ca = await svc.createIntermediateCa({ name: name ?? `CN=Agent Test Device CA ${++intermediates + 1},O=Coldroot Tests`, algorithm: 'ecdsa-p256', key: { kind: 'software', passphrase: TEST_PASSPHRASE }, parentId: root.id, parentSecret: SECRET });
      await svc.publishCrl({ caId: ca.id, secret: SECRET });
      return ca;
    },
    async useBundleSignerFrom(caId) {
      return svc.createBundleSigner({ caId, caSecret: SECRET, key: { kind: 'software', passphrase: TEST_PASSPHRASE } });
    },
    async foreignRoot() {
      if (!foreign) {
        foreign = ConsoleService.open({ home: join(kit.dir, 'foreign-root-home'), operator: 'stranger', create: true, now: () => clock.now });
        foreign.initialize();
      }
      // Same subject as the trusted root: only the key tells them apart.
      const ca = await foreign.createRootCa({ name: 'CN=Bundle Test Root CA,O=Coldroot Tests', algorithm: 'ecdsa-p256', key: { kind: 'software', passphrase: TEST_PASSPHRASE } });
      return fromPemOrDer(ca.certificatePem!, ['CERTIFICATE'])[0];
    },
    async issueFor(keyPem, o = {}) {
      const caId = o.caId ?? deviceCa.id;
      const signer = new SoftwareSigner(createPrivateKey(keyPem), 'ecdsa-p256', 'software:fixture-issue');
      const c = await svc.issueCertificate({ caId, secret: SECRET, profile: 'device-management', csr: await buildCsr(signer, `CN=${o.host ?? 'edge-0001.fleet.example'}`), validity: o.validity });
      return { certificatePem: c.certificatePem, certificateDer: fromPemOrDer(c.certificatePem, ['CERTIFICATE'])[0], serial: c.serial, chainPem: chainPemOf(svc, caId) };
    },
    publishCrls,
    close() {
      (foreign as ConsoleService | null)?.close();
      kit.close();
    },
  };
}
