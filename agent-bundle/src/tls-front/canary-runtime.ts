import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { ColdrootError } from '../../../core/errors.js';
import type { CanaryPlan } from '../../../core/policy/canary/canary-plan.js';
import { CanaryController, type CanaryDecision, type CanaryProgress } from '../../../core/policy/canary/canary-controller.js';
import type { Arm, HandshakeObservation } from '../../../core/policy/canary/handshake-observation.js';
import type { StepPolicy } from '../../../core/policy/canary/step-policy.js';
import { canaryArm, normalizeClientAddress } from './client-split.js';

/**
 * The rollout as an executor runs it: the two secure contexts, the controller, and the rule that
 * nothing in the rollout may stop the host from serving. If the new certificate or key does not
 * load, if it is not the certificate the plan names, or if the controller throws, the runtime
 * fails safe: exposure 0, every client on the old certificate, the reason kept for status and
 * metrics. Only a broken *old* certificate is an error, because then there is nothing to serve.
 */

export interface CertificatePair {
  /** PEM: the leaf first, then the intermediates to send. */
  cert: string | Buffer;
  key: string | Buffer;
}

export type RuntimeEvent =
  | { event: 'canary-decision'; decision: CanaryDecision }
  | { event: 'canary-failed-safe'; at: number; message: string }
  | { event: 'canary-started'; at: number; planId: string; exposurePercent: number; oldCertificate: string; newCertificate: string | null };

export interface CanaryRuntimeOptions {
  plan: CanaryPlan;
  old: CertificatePair;
  next: CertificatePair;
  /** The controller's clock (ms since the epoch). */
  now?: () => number;
  /** Shared by both contexts, so the certificate is the only difference between the arms. */
  tlsOptions?: Pick<tls.SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'sigalgs' | 'ecdhCurve' | 'honorCipherOrder'>;
  policy?: StepPolicy;
  onEvent?: (e: RuntimeEvent) => void;
}

export interface RuntimeStatus {
  planId: string;
  state: CanaryProgress['state'] | 'failed-safe';
  exposurePercent: number;
  activeCertificate: Arm;
  failure: string | null;
  oldCertificate: string;
  newCertificate: string | null;
  handshakes: Record<Arm, { ok: number; failed: number }>;
  lastDecision: CanaryDecision | null;
}

/** SHA-256 of the leaf's DER, lowercase hex: how plans and metric bundles name certificates. */
export function leafFingerprint(pem: string | Buffer): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
}

export class CanaryRuntime {
  readonly plan: CanaryPlan;
  readonly controller: CanaryController;
  readonly oldContext: tls.SecureContext;
  readonly oldCertificate: string;
  private newCtx: tls.SecureContext | null = null;
  private newFp: string | null = null;
  private failureMessage: string | null = null;
  private readonly now: () => number;
  private readonly onEvent: (e: RuntimeEvent) => void;
  private readonly counts: RuntimeStatus['handshakes'] = { old: { ok: 0, failed: 0 }, new: { ok: 0, failed: 0 } };
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: CanaryRuntimeOptions) {
    this.plan = opts.plan;
    this.now = opts.now ?? Date.now;
    this.onEvent = opts.onEvent ?? (() => {});
    try {
      this.oldContext = tls.createSecureContext({ ...opts.tlsOptions, cert: opts.old.cert, key: opts.old.key });
      this.oldCertificate = leafFingerprint(opts.old.cert);
    } catch (e) {
      throw new ColdrootError('TLS_FRONT_OLD_CERT_UNUSABLE', `The old (current) certificate and key do not load: ${(e as Error).message}`, 'Check the --old-cert/--old-key files: PEM, leaf first, and the key that matches the leaf', 'input');
    }
    this.controller = new CanaryController(opts.plan, { now: this.now, policy: opts.policy });
    try {
      this.newFp = leafFingerprint(opts.next.cert);
      if (opts.plan.newCertificate && opts.plan.newCertificate !== this.newFp) {
        throw new Error(`the plan is for certificate ${opts.plan.newCertificate}, the new certificate is ${this.newFp}`);
      }
      if (opts.plan.oldCertificate && opts.plan.oldCertificate !== this.oldCertificate) {
        throw new Error(`the plan replaces certificate ${opts.plan.oldCertificate}, the old certificate is ${this.oldCertificate}`);
      }
      this.newCtx = tls.createSecureContext({ ...opts.tlsOptions, cert: opts.next.cert, key: opts.next.key });
    } catch (e) {
      this.failSafe(`new certificate unusable: ${(e as Error).message}`);
    }
    this.onEvent({ event: 'canary-started', at: this.now(), planId: this.plan.id, exposurePercent: this.exposure, oldCertificate: this.oldCertificate, newCertificate: this.newFp });
  }

  /** The controller's clock. */
  clock(): number {
    return this.now();
  }

  /** Percent of clients on the new certificate now; 0 once failed safe. */
  get exposure(): number {
    return this.failureMessage ? 0 : this.controller.exposure;
  }

  get failure(): string | null {
    return this.failureMessage;
  }

  get activeCertificate(): Arm {
    return !this.failureMessage && this.controller.activeCertificate === 'new' ? 'new' : 'old';
  }

  get newCertificate(): string | null {
    return this.newFp;
  }

  /** The certificate this client gets now (sticky: same address, same answer, until exposure changes). */
  armFor(address: string | undefined): Arm {
    if (this.failureMessage || !this.newCtx) return 'old';
    return canaryArm(normalizeClientAddress(address), this.controller.exposure, this.plan.id);
  }

  contextFor(arm: Arm): tls.SecureContext {
    return arm === 'new' && this.newCtx && !this.failureMessage ? this.newCtx : this.oldContext;
  }

  /** Feeds one handshake outcome; a controller failure fails safe instead of reaching the socket. */
  record(o: HandshakeObservation): void {
    const count = this.counts[o.arm] as RuntimeStatus['handshakes'][Arm] | undefined;
    if (count) count[o.ok ? 'ok' : 'failed']++;
    if (this.failureMessage) return;
    try {
      this.controller.record(o);
    } catch (e) {
      this.failSafe(`controller rejected a handshake record: ${(e as Error).message}`);
    }
  }

  /** Runs the controller's evaluation when due. Call on any cadence; start() calls it on a timer. */
  tick(): CanaryDecision | null {
    if (this.failureMessage) return null;
    try {
      const d = this.controller.evaluateIfDue();
      if (d) this.onEvent({ event: 'canary-decision', decision: d });
      return d;
    } catch (e) {
      this.failSafe(`controller failed: ${(e as Error).message}`);
      return null;
    }
  }

  /** Every client back on the old certificate, for good. */
  failSafe(message: string): void {
    if (this.failureMessage) return;
    this.failureMessage = message;
    try {
      this.controller.abort(message);
    } catch {
      // The controller is what failed; the runtime's own flag already keeps every client on old.
    }
    this.onEvent({ event: 'canary-failed-safe', at: this.now(), message });
  }

  /** Evaluates on a real timer at the plan's cadence (the controller itself owns none). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), Math.max(250, this.plan.analysis.evaluateEverySeconds * 1000 / 4));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  status(): RuntimeStatus {
    const p = this.controller.progress();
    return {
      planId: this.plan.id, state: this.failureMessage ? 'failed-safe' : p.state, exposurePercent: this.exposure,
      activeCertificate: this.activeCertificate, failure: this.failureMessage, oldCertificate: this.oldCertificate, newCertificate: this.newFp,
      handshakes: { old: { ...this.counts.old }, new: { ...this.counts.new } }, lastDecision: p.lastDecision,
    };
  }
}
