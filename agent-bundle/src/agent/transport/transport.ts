/**
 * How bundles leave and reach the agent. The file transport (an outbox and an inbox folder, e.g.
 * on a USB mount) is the first; an online transport implements the same three operations.
 * A failure to send is retryable (ColdrootError code TRANSPORT_UNAVAILABLE, kind 'failure') and
 * never touches the agent's certificates.
 */
export interface Transport {
  readonly kind: string;
  /** Hands a bundle file to the transport; returns where it went. */
  send(file: string): Promise<string>;
  /** Bundle files waiting for the agent, oldest name first. */
  receive(): Promise<string[]>;
  /** The agent has dealt with `file` (installed, duplicate, stale or rejected): take it out of the inbox. */
  done(file: string): Promise<string>;
}
