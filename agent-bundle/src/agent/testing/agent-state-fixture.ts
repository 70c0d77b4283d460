import { createHash, createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic-file.js';
import { StateLayout } from '../state/state-layout.js';
import { GenerationStore } from '../rotation/generation-store.js';

/*
 * An agent state folder for tests, set up as the installer and the lifecycle would leave it:
 * trust anchors, a first active generation, and pending renewals. No console code here, so the
 * child processes of the kill tests can use it.
 */

export interface AgentStateFixture {
  dir: string;
  layout: StateLayout;
  close(): void;
}

export function makeAgentState(prefix = 'coldroot-agent-state-'): AgentStateFixture {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const layout = new StateLayout(join(dir, 'state'));
  mkdirSync(layout.root, { recursive: true, mode: 0o700 });
  return { dir, layout, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Installs the device's current certificate as the active generation and the root as trust anchor. */
export async function installCurrentCertificate(layout: StateLayout, m: { certificatePem: string; keyPem: string; chainPem: string; rootPem: string; at: Date }): Promise<string> {
  mkdirSync(join(layout.root, 'trust'), { recursive: true });
  await writeFileAtomic(layout.trustAnchors, m.rootPem);
  return new GenerationStore(layout).installInitial({ certificatePem: m.certificatePem, keyPem: m.keyPem, chainPem: m.chainPem, stagedAt: m.at });
}

/** What the lifecycle writes when it sends a renewal request: pending/<requestId>/key.pem (0600) and request.json. */
export async function writePendingRenewal(layout: StateLayout, r: { requestId: string; host: string; keyPem: string; createdAt: Date; csrSha256?: string }): Promise<void> {
  const dir = layout.pending(r.requestId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dir, 'key.pem'), r.keyPem, { mode: 0o600 });
  const spki = createPrivateKey(r.keyPem).export({ type: 'pkcs8', format: 'der' });
  const request = {
    requestId: r.requestId, host: r.host, createdAt: r.createdAt.toISOString(), reason: 'expiring',
    csrSha256: r.csrSha256 ?? createHash('sha256').update(spki).digest('hex'), proofKind: 'current-certificate',
  };
  await writeFileAtomic(join(dir, 'request.json'), `${JSON.stringify(request, null, 2)}\n`);
}
