import { join } from 'node:path';

/**
 * Where the agent keeps its state, one folder per agent (default /var/lib/coldroot-agent; a
 * volume in the container). Every module reads paths from here so that the layout has one owner.
 *
 *   config.json                 the agent's configuration (installed from the package)
 *   trust/anchors.pem           trust anchors: the Coldroot root CA(s) a renewal bundle must chain to
 *   bootstrap/cert.pem key.pem  the bootstrap credential (key 0600)
 *   generations/<id>/           one certificate generation: cert.pem key.pem(0600) chain.pem
 *                               renewal.json (index of the bundle it came from) crls/ ocsp.der meta.json
 *   active.json                 the active pointer {generation, previous, switchedAt}, replaced atomically
 *   pending/<requestId>/        a renewal in flight: key.pem (0600) request.json
 *   outbox/ inbox/              the file transport's default folders (config may point elsewhere)
 *   agent-state.json            lifecycle: counters, renewal/backoff state, last success (lifecycle owns it)
 *   rotation-state.json         rotation journal, applied bundle ids, newest bundle time seen (rotation owns it)
 *   sequence.json               outgoing bundle sequence numbers per producer certificate
 *   metrics/coldroot-agent.prom Prometheus textfile
 *   log/agent.jsonl             structured JSON log
 */
export class StateLayout {
  constructor(readonly root: string) {}

  get config(): string { return join(this.root, 'config.json'); }
  get trustAnchors(): string { return join(this.root, 'trust', 'anchors.pem'); }
  get bootstrapDir(): string { return join(this.root, 'bootstrap'); }
  get bootstrapCert(): string { return join(this.bootstrapDir, 'cert.pem'); }
  get bootstrapKey(): string { return join(this.bootstrapDir, 'key.pem'); }
  get generations(): string { return join(this.root, 'generations'); }
  generation(id: string): string { return join(this.generations, id); }
  get active(): string { return join(this.root, 'active.json'); }
  get pendingDir(): string { return join(this.root, 'pending'); }
  pending(requestId: string): string { return join(this.pendingDir, requestId); }
  get outbox(): string { return join(this.root, 'outbox'); }
  get inbox(): string { return join(this.root, 'inbox'); }
  get agentState(): string { return join(this.root, 'agent-state.json'); }
  get rotationState(): string { return join(this.root, 'rotation-state.json'); }
  get sequence(): string { return join(this.root, 'sequence.json'); }
  get promFile(): string { return join(this.root, 'metrics', 'coldroot-agent.prom'); }
  get logFile(): string { return join(this.root, 'log', 'agent.jsonl'); }
}
