/** One structured log record of the agent (one JSON line in log/agent.jsonl). */
export interface AgentEvent {
  event: string;
  level: 'info' | 'warn' | 'error';
  [k: string]: unknown;
}

export type AgentLog = (event: AgentEvent) => void;
