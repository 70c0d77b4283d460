import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentEvent, AgentLog } from '../state/agent-event.js';
import type { StateLayout } from '../state/state-layout.js';

export interface AgentLoggerOptions {
  /** Where lines also go besides the log file (default process.stdout; null for none). */
  stdout?: { write(s: string): unknown } | null;
  /** Stamps each line; injected so a test's lines carry its clock. */
  now?: () => Date;
}

/**
 * One JSON line per lifecycle event, to stdout (journald picks it up) and to log/agent.jsonl.
 * Appends are synchronous: a line is on disk before the step it reports goes on, so the log of a
 * killed agent ends at the step that was reached.
 */
export function createAgentLogger(layout: StateLayout, opts: AgentLoggerOptions = {}): AgentLog {
  const out = opts.stdout === undefined ? process.stdout : opts.stdout;
  let dirReady = false;
  return (e: AgentEvent) => {
    const line = `${JSON.stringify({ at: (opts.now?.() ?? new Date()).toISOString(), ...e })}\n`;
    out?.write(line);
    try {
      if (!dirReady) {
        mkdirSync(dirname(layout.logFile), { recursive: true });
        dirReady = true;
      }
      appendFileSync(layout.logFile, line, { mode: 0o640 });
    } catch {
      // A full or read-only disk must not stop renewal; stdout still has the line.
    }
  };
}
