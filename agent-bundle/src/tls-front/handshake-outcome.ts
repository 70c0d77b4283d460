import type tls from 'node:tls';
import { CLOSED_AFTER_HANDSHAKE, CLOSED_DURING_HANDSHAKE, type Arm, type HandshakeObservation } from '../../../core/policy/canary/handshake-observation.js';

/**
 * Decides once what one connection says about its certificate. A finished handshake is not yet
 * a success: a Node client that cannot verify the certificate on TLS 1.2 completes the handshake
 * and hangs up without a byte (on TLS 1.3 it hangs up mid-handshake; OpenSSL, Go, Java and browsers
 * send an alert instead). So with `successOn: 'client-data'` (the default) a connection counts as
 * good at the client's first application byte, and as refused if it closes before sending one.
 * Use 'handshake' for server-speaks-first protocols where clients may legitimately send nothing.
 */
export type SuccessOn = 'client-data' | 'handshake';

export class HandshakeOutcome {
  private settled = false;
  private secured: { handshakeMs: number; protocol?: string; cipher?: string } | null = null;

  constructor(
    readonly arm: Arm,
    /** performance.now() at the TCP accept. */
    private readonly startedAt: number,
    private readonly successOn: SuccessOn,
    private readonly now: () => number,
    private readonly sink: (o: HandshakeObservation) => void,
  ) {}

  get isSecure(): boolean {
    return this.secured !== null;
  }

  /** The handshake finished; `socket` gives the negotiated protocol and cipher. */
  secure(socket: tls.TLSSocket, at = performance.now()): void {
    if (this.secured || this.settled) return;
    this.secured = { handshakeMs: at - this.startedAt, protocol: socket.getProtocol() ?? undefined, cipher: socket.getCipher()?.name };
    if (this.successOn === 'handshake') this.succeed();
  }

  /** The client sent application data. */
  data(): void {
    if (this.secured) this.succeed();
  }

  fail(cause: string): void {
    if (this.settled) return;
    this.settled = true;
    this.sink({ arm: this.arm, at: this.now(), ok: false, cause });
  }

  /** The connection is gone; whatever is still open is decided now. */
  closed(): void {
    if (this.settled) return;
    this.fail(this.secured ? CLOSED_AFTER_HANDSHAKE : CLOSED_DURING_HANDSHAKE);
  }

  private succeed(): void {
    if (this.settled || !this.secured) return;
    this.settled = true;
    this.sink({ arm: this.arm, at: this.now(), ok: true, ...this.secured });
  }
}
