import { mkdir, readFile } from 'node:fs/promises';
import { ColdrootError, isColdrootError } from '../../../../core/errors.js';
import { readCertificates } from '../../../../core/x509/certificate-info.js';
import type { AgentConfig } from '../config/agent-config.js';
import { AgentCanary, type CanaryTickResult } from '../canary/agent-canary.js';
import { createAgentLogger } from '../observability/agent-logger.js';
import { renderMetrics, writePromFile, type MetricsSnapshot } from '../observability/prometheus-metrics.js';
import { applyRenewalBundle, resumeRotation, type ApplyOptions, type ApplyOutcome } from '../rotation/apply-renewal.js';
import { GenerationStore, type ActiveMaterial } from '../rotation/generation-store.js';
import type { AgentLog } from '../state/agent-event.js';
import type { DurableFs } from '../state/atomic-file.js';
import { readRotationState } from '../state/rotation-state.js';
import { withStateLock, type StateLockOptions } from '../state/state-lock.js';
import { StateLayout } from '../state/state-layout.js';
import { FileTransport } from '../transport/file-transport.js';
import type { Transport } from '../transport/transport.js';
import { readBootstrapCredential, readCredential, type AgentCredential } from './agent-credentials.js';
import { readAgentState, writeAgentState, type AgentState, type RenewalState } from './agent-state-file.js';
import { mayAttempt, recordFailure } from './backoff.js';
import { watchCertificate, type CertificateWatch } from './certificate-watch.js';
import { detectClockSkew, type ClockSkew } from './clock-skew.js';
import { createRenewalRequest, readPendingRequest, type RequestReason } from './request-renewal.js';
import { prunePendingRequests } from './pending-requests.js';

export interface AgentLoopOptions {
  config: AgentConfig;
  /** Default: new StateLayout(config.stateDir). */
  layout?: StateLayout;
  /** Default: the file transport of config.transport. */
  transport?: Transport;
  log?: AgentLog;
  /** Jitter source (default Math.random). */
  random?: () => number;
  fs?: DurableFs;
  /**
   * How a canary rollout's controller is clocked: 'timer' (default) evaluates on real time between
   * ticks; 'tick' only at tick(now), with its `now` (tests drive the rollout with their own clock).
   */
  canaryCadence?: 'timer' | 'tick';
  /** How long tick/apply/requestNow wait for another agent process holding the state lock (tests inject sleep). */
  lock?: Omit<StateLockOptions, 'command'>;
}

export interface TickResult {
  at: string;
  clockSkew: ClockSkew | null;
  applied: Array<{ file: string; outcome: ApplyOutcome['status'] | 'error'; detail?: string }>;
  certificate: CertificateWatch;
  /** A request made or re-sent during this tick. */
  request: { requestId: string; sent: boolean; proofKind: string } | null;
  renewal: RenewalState;
  /** The canary rollout the TLS front runs, when one is running or ended this tick. */
  canary?: CanaryTickResult;
}

/** The kernel's TPM resource manager, where config.tpm.tcti is not given. */
export const DEFAULT_TCTI = 'device:/dev/tpmrm0';

const IDLE: Pick<RenewalState, 'status' | 'failures' | 'nextAttemptAt' | 'pendingRequestId' | 'requestedAt' | 'sent' | 'bundleFile' | 'lastError'> = {
  status: 'idle', failures: 0, nextAttemptAt: null, pendingRequestId: null, requestedAt: null, sent: false, bundleFile: null, lastError: null,
};

/** The validity window of the active generation, as the watch and the skew check take it. */
export function validityOf(a: ActiveMaterial | null): { notBefore: Date; notAfter: Date } | null {
  return a ? { notBefore: new Date(a.notBefore), notAfter: new Date(a.notAfter) } : null;
}

function errorOf(e: unknown): { code: string; message: string } {
  return isColdrootError(e) ? { code: e.code, message: e.message } : { code: (e as NodeJS.ErrnoException).code ?? 'INTERNAL', message: (e as Error).message ?? String(e) };
}

/**
 * The agent's lifecycle, one tick at a time: finish an interrupted rotation, refuse to act on a
 * wrong clock, install answers from the inbox, watch the management certificate and ask for a new
 * one when it is due — with backoff after failures and without a second request while one is in
 * flight. `run()` ticks on a timer; tests call tick(now) with the times they need.
 */
export class AgentLoop {
  readonly config: AgentConfig;
  readonly layout: StateLayout;
  readonly transport: Transport;
  readonly log: AgentLog;
  readonly #random: () => number;
  readonly #fs?: DurableFs;

  constructor(opts: AgentLoopOptions) {
    this.config = opts.config;
    this.layout = opts.layout ?? new StateLayout(opts.config.stateDir);
    this.transport = opts.transport ?? new FileTransport(opts.config.transport.outbox ?? this.layout.outbox, opts.config.transport.inbox ?? this.layout.inbox);
    this.log = opts.log ?? createAgentLogger(this.layout);
    this.#random = opts.random ?? Math.random;
    this.#fs = opts.fs;
    this.#canaryTick = opts.canaryCadence === 'tick';
    this.#lock = opts.lock ?? {};
  }

  readonly #lock: Omit<StateLockOptions, 'command'>;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * Runs `fn` with the state folder to itself: one at a time in this process, and across
   * processes through the state lock (the daemon and a command typed meanwhile never rotate,
   * reload services or number bundles at the same time).
   */
  async exclusive<T>(command: string, fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      await mkdir(this.layout.root, { recursive: true });
      return withStateLock(this.layout, { command, ...this.#lock }, fn);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async trustAnchors(): Promise<Uint8Array[]> {
    try {
      return readCertificates(await readFile(this.layout.trustAnchors, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ColdrootError('AGENT_TRUST_ANCHORS_MISSING', `No trust anchors at ${this.layout.trustAnchors}`, 'Reinstall the agent package: it installs trust/anchors.pem', 'failure');
      }
      throw e;
    }
  }

  async managementCredential(): Promise<AgentCredential | null> {
    const active = await new GenerationStore(this.layout).active();
    return active ? readCredential('management', active.certPath, active.keyPath, active.chainPath) : null;
  }

  async #rotationOptions(now: Date) {
    return { layout: this.layout, host: this.config.host, now, trustAnchors: await this.trustAnchors(), services: this.config.services, log: this.log, fs: this.#fs, canaryFront: !!this.config.canary };
  }

  /** Installs (or refuses) one renewal bundle and updates the lifecycle state accordingly. */
  async apply(file: string, now: Date): Promise<ApplyOutcome> {
    return this.exclusive('apply', () => this.#apply(file, now));
  }

  async #apply(file: string, now: Date): Promise<ApplyOutcome> {
    const own = await readAgentState(this.layout);
    const outcome = await applyRenewalBundle(file, await this.#rotationOptions(now));
    this.#recordOutcome(own, outcome, now);
    await this.#save(own, now);
    return outcome;
  }

  #recordOutcome(state: AgentState, outcome: ApplyOutcome, now: Date): void {
    if (outcome.status === 'installed') {
      state.counters.successes++;
      state.lastSuccessAt = now.toISOString();
      state.renewal = { ...IDLE };
      this.log({ event: 'renewal-succeeded', level: 'info', generation: outcome.generation, serial: outcome.serial, notAfter: outcome.notAfter });
      if (outcome.instruction?.attestationNonce) state.attestationNonce = outcome.instruction.attestationNonce;
      const inv = outcome.instruction?.investigation;
      if (inv && Date.parse(inv.until) > now.getTime()) {
        state.investigation = { ...inv };
        this.log({ event: 'investigation-started', level: 'warn', until: inv.until, collectIntervalSeconds: inv.collectIntervalSeconds, logExcerpts: inv.logExcerpts, reason: inv.reason });
      }
    } else if ((outcome.status === 'rejected' || outcome.status === 'rolled-back') && state.renewal.status === 'pending') {
      // The answer to our request did not produce a working certificate: count it and ask again after the backoff.
      this.#fail(state, now, { code: outcome.code, message: outcome.message }, true);
    }
  }

  #fail(state: AgentState, now: Date, error: { code: string; message: string }, dropRequest: boolean): void {
    state.counters.failures++;
    state.renewal = recordFailure(dropRequest ? { ...state.renewal, pendingRequestId: null, requestedAt: null, sent: false, bundleFile: null } : state.renewal, this.config.retry, now, error, this.#random);
    this.log({ event: 'renewal-failed', level: 'warn', code: error.code, message: error.message, failures: state.renewal.failures, status: state.renewal.status, nextAttemptAt: state.renewal.nextAttemptAt });
  }

  #canary: AgentCanary | null = null;
  #canaryNow = 0;
  /** Real time on a timer when running; the ticks' own clock when the caller drives time (tests, run --once). */
  readonly #canaryTick: boolean;
  get #canaryClock(): () => number {
    return this.#canaryTick ? () => this.#canaryNow : Date.now;
  }
  get #canaryCadence(): 'manual' | 'timer' {
    return this.#canaryTick ? 'manual' : 'timer';
  }

  /** The running canary rollout (its TLS front), started on the first tick that finds one in canary-state.json. */
  get canary(): AgentCanary | null {
    return this.#canary;
  }

  async #driveCanary(rotation: Omit<ApplyOptions, 'crashAfter'>, state: AgentState, now: Date): Promise<CanaryTickResult | null> {
    if (!this.config.canary) return null;
    this.#canaryNow = now.getTime();
    if (!this.#canary) {
      try {
        this.#canary = await AgentCanary.resume({
          rotation, front: this.config.canary, clock: this.#canaryClock, cadence: this.#canaryCadence,
          rotationAt: (at) => this.#rotationOptions(at),
          exclusive: (command, fn) => this.exclusive(command, fn),
          onFinished: async (outcome, at) => {
            const own = await readAgentState(this.layout);
            this.#recordOutcome(own, outcome, at);
            await this.#save(own, at);
          },
          onEvent: (e) => this.log({ level: e.event === 'canary-failed-safe' ? 'error' : 'info', ...e }),
        });
      } catch (e) {
        // No front (port taken…): nothing serves the new certificate, the old one stays active; next tick retries.
        this.log({ event: 'canary-front-failed', level: 'error', ...errorOf(e) });
        return null;
      }
      if (!this.#canary) return null;
    }
    const r = await this.#canary.tick(rotation);
    if (r.finished) this.#recordOutcome(state, r.finished, now);
    return r;
  }

  /** Stops the canary front (the process is going away). */
  async close(): Promise<void> {
    await this.#canary?.close();
    this.#canary = null;
  }

  async tick(now: Date): Promise<TickResult> {
    return this.exclusive('tick', () => this.#tick(now));
  }

  async #tick(now: Date): Promise<TickResult> {
    const state = await readAgentState(this.layout);
    const result: TickResult = { at: now.toISOString(), clockSkew: null, applied: [], certificate: watchCertificate(null, now, this.config.renewal.thresholdDays), request: null, renewal: state.renewal };
    const rotation = await this.#rotationOptions(now);
    await resumeRotation(rotation);

    let active = await new GenerationStore(this.layout).active();
    const rs = await readRotationState(this.layout);
    const skew = detectClockSkew(now, { certificateNotBefore: validityOf(active)?.notBefore ?? null, newestBundleCreatedAt: rs.newestBundleCreatedAt ? new Date(rs.newestBundleCreatedAt) : null });
    if (skew) {
      state.clockSkew = { reason: skew.reason, expectedAtLeast: skew.expectedAtLeast.toISOString(), behindSeconds: skew.behindSeconds, detectedAt: now.toISOString() };
      this.log({ event: 'clock-skew', level: 'error', reason: skew.reason, expectedAtLeast: skew.expectedAtLeast.toISOString(), behindSeconds: skew.behindSeconds, message: skew.message });
      result.clockSkew = skew;
      result.certificate = watchCertificate(validityOf(active), now, this.config.renewal.thresholdDays);
      await this.#save(state, now, result.certificate);
      return result;
    }
    if (state.clockSkew) {
      this.log({ event: 'clock-skew-cleared', level: 'info', previous: state.clockSkew.reason });
      state.clockSkew = null;
    }

    let inbox: string[] = [];
    try {
      inbox = await this.transport.receive();
    } catch (e) {
      this.log({ event: 'transport-receive-failed', level: 'warn', ...errorOf(e) });
    }
    for (const file of inbox) {
      try {
        const outcome = await applyRenewalBundle(file, rotation);
        this.#recordOutcome(state, outcome, now);
        result.applied.push({ file, outcome: outcome.status, ...('code' in outcome ? { detail: `${outcome.code}: ${outcome.message}` } : 'reason' in outcome ? { detail: outcome.reason } : {}) });
        // 'failed' is the device's own write failure (ENOSPC…): the bundle stays for the next tick.
        if (outcome.status !== 'failed') await this.transport.done(file);
      } catch (e) {
        // Left in the inbox: the next tick tries again (rotation is idempotent).
        result.applied.push({ file, outcome: 'error', detail: errorOf(e).message });
        this.log({ event: 'renewal-bundle-error', level: 'error', file, ...errorOf(e) });
      }
    }
    const canary = await this.#driveCanary(rotation, state, now);
    if (canary) result.canary = canary;
    if (result.applied.length || canary?.finished) active = await new GenerationStore(this.layout).active();

    const watch = watchCertificate(validityOf(active), now, this.config.renewal.thresholdDays);
    result.certificate = watch;
    if (!watch.renewalDue && watch.state !== 'missing') {
      // Nothing is due. A request sent on demand (request-renewal) stays in flight; anything else goes back to idle.
      const inFlight = state.renewal.status === 'pending' && state.renewal.sent && state.renewal.requestedAt !== null
        && now.getTime() - Date.parse(state.renewal.requestedAt) < this.config.renewal.responseTimeoutSeconds * 1000;
      if (state.renewal.status !== 'idle' && !inFlight) {
        this.log({ event: 'renewal-idle', level: 'info', certificate: watch.state, previous: state.renewal.status });
        state.renewal = { ...IDLE };
      }
    } else {
      result.request = await this.#renew(state, now, watch);
    }

    if (state.investigation && Date.parse(state.investigation.until) <= now.getTime()) {
      this.log({ event: 'investigation-ended', level: 'info', until: state.investigation.until });
      state.investigation = null;
    }
    const pruned = await prunePendingRequests(this.layout, now, 4 * this.config.renewal.responseTimeoutSeconds * 1000, state.renewal.pendingRequestId);
    if (pruned.length) this.log({ event: 'pending-requests-pruned', level: 'info', requestIds: pruned });
    result.renewal = state.renewal;
    await this.#save(state, now, watch);
    return result;
  }

  /** Asks for a certificate now (the `request-renewal` command), unless a request is already in flight. */
  async requestNow(now: Date, reason: Exclude<RequestReason, 'bootstrap'> = 'manual'): Promise<TickResult['request']> {
    return this.exclusive('request-renewal', () => this.#requestNow(now, reason));
  }

  async #requestNow(now: Date, reason: Exclude<RequestReason, 'bootstrap'>): Promise<TickResult['request']> {
    const state = await readAgentState(this.layout);
    const active = await new GenerationStore(this.layout).active();
    const watch = watchCertificate(validityOf(active), now, this.config.renewal.thresholdDays);
    const r = await this.#renew(state, now, watch, reason, true);
    await this.#save(state, now, watch);
    return r;
  }

  async #renew(state: AgentState, now: Date, watch: CertificateWatch, reason?: Exclude<RequestReason, 'bootstrap'>, ignoreBackoff = false): Promise<TickResult['request']> {
    const management = await this.managementCredential();
    const managementValid = !!management && watch.state !== 'expired' && watch.state !== 'not-yet-valid';
    let request = state.renewal.pendingRequestId ? await readPendingRequest(this.layout, state.renewal.pendingRequestId) : null;
    if (request && request.proofKind === 'current-certificate' && !managementValid) {
      // The certificate expired while its request was out: that proof no longer holds, so ask again with the next credential now.
      this.log({ event: 'renewal-request-superseded', level: 'warn', requestId: request.requestId, reason: `the ${watch.state} management certificate can no longer prove the request` });
      state.renewal = { ...state.renewal, status: 'idle', pendingRequestId: null, requestedAt: null, sent: false, bundleFile: null, nextAttemptAt: null };
      request = null;
    }
    if (request && state.renewal.sent) {
      const waited = now.getTime() - Date.parse(state.renewal.requestedAt ?? request.createdAt);
      if (waited < this.config.renewal.responseTimeoutSeconds * 1000) return null; // in flight: never a second request
      this.#fail(state, now, { code: 'RENEWAL_RESPONSE_TIMEOUT', message: `No answer to request ${request.requestId} within ${this.config.renewal.responseTimeoutSeconds} s` }, true);
      request = null;
      if (!ignoreBackoff) return null;
    }
    if (!ignoreBackoff && !mayAttempt(state.renewal, now)) return null;

    state.counters.attempts++;
    if (!request) {
      try {
        request = await createRenewalRequest({
          layout: this.layout, host: this.config.host, profile: this.config.profile, now, reason: reason ?? (watch.state === 'expiring' ? 'expiring' : 'manual'),
          management, bootstrap: await readBootstrapCredential(this.layout), fs: this.#fs,
          tpm: this.config.tpm.enabled ? { tcti: this.config.tpm.tcti ?? DEFAULT_TCTI, attestationNonce: state.attestationNonce ?? null } : null,
        });
        if (request.tpmEnrolmentError) this.log({ event: 'tpm-enrolment-failed', level: 'warn', requestId: request.requestId, message: request.tpmEnrolmentError });
      } catch (e) {
        this.#fail(state, now, errorOf(e), true);
        return null;
      }
      state.renewal = { ...state.renewal, status: 'pending', pendingRequestId: request.requestId, requestedAt: request.createdAt, sent: false, bundleFile: request.bundleFile };
      this.log({ event: 'renewal-requested', level: 'info', requestId: request.requestId, reason: request.reason, proofKind: request.proofKind, certificate: watch.state, daysLeft: watch.daysLeft });
    }
    try {
      const where = await this.transport.send(request.bundleFile);
      state.renewal = { ...state.renewal, status: 'pending', sent: true, requestedAt: now.toISOString() };
      this.log({ event: 'renewal-request-sent', level: 'info', requestId: request.requestId, transport: this.transport.kind, to: where });
      return { requestId: request.requestId, sent: true, proofKind: request.proofKind };
    } catch (e) {
      // Keep the request: after the backoff the same bundle is sent again. Certificates are untouched.
      this.#fail(state, now, errorOf(e), false);
      return { requestId: request.requestId, sent: false, proofKind: request.proofKind };
    }
  }

  /** The collection interval now: the console's investigation mode shortens it until its end. */
  collectSchedule(state: AgentState, now: Date): { intervalSeconds: number; logExcerpts: boolean; investigation: boolean } {
    const inv = state.investigation && Date.parse(state.investigation.until) > now.getTime() ? state.investigation : null;
    return inv
      ? { intervalSeconds: inv.collectIntervalSeconds, logExcerpts: inv.logExcerpts, investigation: true }
      : { intervalSeconds: this.config.collect.intervalSeconds, logExcerpts: false, investigation: false };
  }

  async #save(state: AgentState, now: Date, watch?: CertificateWatch): Promise<void> {
    state.lastTickAt = now.toISOString();
    await writeAgentState(this.layout, state, this.#fs);
    if (!this.config.prometheus.textfile) return;
    try {
      await writePromFile(this.layout, await this.metricsText(now, state, watch), this.#fs);
    } catch (e) {
      this.log({ event: 'metrics-write-failed', level: 'warn', ...errorOf(e) });
    }
  }

  /** The Prometheus text for `now`, from the state on disk unless given (the loopback endpoint renders it per scrape). */
  async metricsText(now: Date, state?: AgentState, watch?: CertificateWatch): Promise<string> {
    const s = state ?? await readAgentState(this.layout);
    const w = watch ?? watchCertificate(validityOf(await new GenerationStore(this.layout).active()), now, this.config.renewal.thresholdDays);
    const snapshot: MetricsSnapshot = {
      host: this.config.host, certificateNotAfter: w.notAfter, certificateState: w.state,
      attempts: s.counters.attempts, successes: s.counters.successes, failures: s.counters.failures,
      lastSuccessAt: s.lastSuccessAt ? new Date(s.lastSuccessAt) : null, clockSkew: !!s.clockSkew,
      renewalStatus: s.renewal.status, consecutiveFailures: s.renewal.failures,
      investigation: !!s.investigation && Date.parse(s.investigation.until) > now.getTime(),
    };
    return renderMetrics(snapshot);
  }

  /** Creates the default transport folders under the state folder (configured ones are left to the operator). */
  async prepare(): Promise<void> {
    if (!this.config.transport.outbox) await mkdir(this.layout.outbox, { recursive: true });
    if (!this.config.transport.inbox) await mkdir(this.layout.inbox, { recursive: true });
  }
}
