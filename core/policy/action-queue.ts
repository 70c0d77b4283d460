import type { OperationContext } from '../ca/operation-context.js';
import type { AgentInstruction } from '../bundles/payloads/renewal.js';
import { ColdrootError } from '../errors.js';
import { ACTION_TYPES, type ActionType, type RiskPolicy } from './policy-file.js';
import type { ProposedAction } from './risk-policy.js';

/**
 * The queue of actions the risk policy proposed. An operator approves or rejects each (or the
 * policy approves an action type on its own); every decision is one transaction with one audit
 * entry that carries the action's evidence and the model version that scored it. Approved
 * renewals and investigations flow into the next renewal bundle (renewalPlan).
 */

export const ACTION_STATUSES = ['pending', 'approved', 'rejected', 'exported', 'closed'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface QueuedAction {
  id: number;
  action: ActionType;
  host: string;
  certSha256: string | null;
  scoreId: number;
  modelVersion: number;
  policySha256: string;
  reason: string;
  evidence: unknown;
  dueAt: string | null;
  createdAt: string;
  status: ActionStatus;
  decidedAt: string | null;
  decidedBy: string | null;
  decisionNote: string | null;
  exportedIn: string | null;
}

const SELECT = `SELECT id, action, host, cert_sha256 AS certSha256, score_id AS scoreId, model_version AS modelVersion, policy_sha256 AS policySha256,
  reason, evidence, due_at AS dueAt, created_at AS createdAt, status, decided_at AS decidedAt, decided_by AS decidedBy, decision_note AS decisionNote,
  exported_in AS exportedIn FROM risk_actions`;

const fromRow = (r: QueuedAction & { evidence: string }): QueuedAction => ({ ...r, evidence: JSON.parse(r.evidence) });

/**
 * Adds proposals, skipping any already open (pending or approved) for the same host, certificate
 * and action. Call inside the scoring transaction. Returns the ids added and those auto-approved.
 */
export function enqueueActions(ctx: OperationContext, proposals: ReadonlyArray<ProposedAction & { scoreId: number; evidence: unknown }>, modelVersion: number, policy: RiskPolicy, policySha: string): { added: number[]; autoApproved: number[] } {
  const at = ctx.now().toISOString();
  const insert = ctx.store.db.prepare(`INSERT OR IGNORE INTO risk_actions (action, host, cert_sha256, score_id, model_version, policy_sha256, reason, evidence, due_at, created_at, status, decided_at, decided_by, decision_note)
    VALUES (@action, @host, @certSha256, @scoreId, @modelVersion, @policySha, @reason, @evidence, @dueAt, @at, @status, @decidedAt, @decidedBy, @note)`);
  const added: number[] = [];
  const autoApproved: number[] = [];
  for (const p of proposals) {
    const auto = policy.autoApprove[p.action];
    const info = insert.run({
      action: p.action, host: p.host, certSha256: p.certSha256, scoreId: p.scoreId, modelVersion, policySha, reason: p.reason,
      evidence: JSON.stringify(p.evidence), dueAt: p.dueAt, at, status: auto ? 'approved' : 'pending',
      decidedAt: auto ? at : null, decidedBy: auto ? 'policy:auto-approve' : null, note: auto ? `auto-approved by policy ${policySha.slice(0, 12)}` : null,
    });
    if (info.changes) {
      const id = Number(info.lastInsertRowid);
      added.push(id);
      if (auto) autoApproved.push(id);
    }
  }
  return { added, autoApproved };
}

/**
 * Closes approved alerts of certificates that now score below the alert threshold (call inside
 * the scoring transaction): the incident is over, and a later one raises a new alert.
 */
export function closeCalmAlerts(ctx: OperationContext, calm: ReadonlyArray<{ certSha256: string }>): number {
  const stmt = ctx.store.db.prepare("UPDATE risk_actions SET status = 'closed' WHERE action = 'alert' AND status = 'approved' AND cert_sha256 = ?");
  let n = 0;
  for (const c of calm) n += stmt.run(c.certSha256).changes;
  return n;
}

export interface ActionFilter {
  status?: ActionStatus | 'all';
  limit?: number;
}

export function listActions(ctx: OperationContext, f: ActionFilter = {}): QueuedAction[] {
  const status = f.status ?? 'pending';
  if (status !== 'all' && !ACTION_STATUSES.includes(status)) {
    throw new ColdrootError('QUEUE_BAD_STATUS', `Status '${status}' is not one of ${ACTION_STATUSES.join(', ')}, all`, 'Use --status pending (default), approved, rejected, exported, closed or all');
  }
  const limit = f.limit ?? 1000;
  const rows = status === 'all'
    ? ctx.store.db.prepare(`${SELECT} ORDER BY id LIMIT ?`).all(limit)
    : ctx.store.db.prepare(`${SELECT} WHERE status = ? ORDER BY id LIMIT ?`).all(status, limit);
  return (rows as Array<QueuedAction & { evidence: string }>).map(fromRow);
}

export function getAction(ctx: OperationContext, id: number): QueuedAction {
  if (!Number.isSafeInteger(id) || id < 1) throw new ColdrootError('QUEUE_BAD_ID', `Action id '${id}' is not a positive whole number`, 'Take the id from: coldroot queue list');
  const r = ctx.store.db.prepare(`${SELECT} WHERE id = ?`).get(id) as (QueuedAction & { evidence: string }) | undefined;
  if (!r) throw new ColdrootError('QUEUE_ACTION_NOT_FOUND', `No queued action ${id}`, 'List the queue with: coldroot queue list --status all');
  return fromRow(r);
}

/** Approves or rejects a pending action: one transaction, one audit entry with its evidence and model version. */
export function decideAction(ctx: OperationContext, id: number, decision: 'approve' | 'reject', note?: string): QueuedAction {
  if (decision === 'reject' && !note?.trim()) {
    throw new ColdrootError('QUEUE_NOTE_REQUIRED', `Rejecting action ${id} needs a note saying why`, 'Add --note "why this is not needed"');
  }
  return ctx.store.transaction(() => {
    const a = getAction(ctx, id);
    if (a.status !== 'pending') {
      throw new ColdrootError('QUEUE_ALREADY_DECIDED', `Action ${id} (${a.action} for ${a.host}) is ${a.status}${a.decidedBy ? ` (by ${a.decidedBy} at ${a.decidedAt})` : ''}`, 'Only pending actions can be approved or rejected; see: coldroot queue list');
    }
    const at = ctx.now().toISOString();
    const status = decision === 'approve' ? 'approved' : 'rejected';
    ctx.store.db.prepare('UPDATE risk_actions SET status = ?, decided_at = ?, decided_by = ?, decision_note = ? WHERE id = ?').run(status, at, ctx.operator, note?.trim() || null, id);
    ctx.store.audit.append({
      actor: ctx.operator, role: ctx.role ?? null, action: `risk.action.${decision}`, inputs: { evidence: a.evidence as object }, outcome: 'ok',
      details: { id, action: a.action, host: a.host, certSha256: a.certSha256, modelVersion: a.modelVersion, scoreId: a.scoreId, policySha256: a.policySha256, note: note?.trim() || null },
    }, ctx.now());
    return getAction(ctx, id);
  });
}

export interface RenewalPlan {
  /** Hosts whose pending renewal requests the next renewal bundle should answer (forced or predictive renewal due). */
  hosts: string[];
  /** Investigation-mode instructions for the agents. */
  instructions: AgentInstruction[];
  /** Approved emergency certificates: issue under the 'emergency' profile from this CA. */
  emergency: Array<{ host: string; certSha256: string | null; caId: string; profile: 'emergency'; actionId: number }>;
  /** The approved actions this plan carries (mark them with markActionsExported once the bundle is written). */
  actionIds: number[];
}

/** What the approved actions ask of the next renewal bundle: pass `hosts` and `instructions` to exportRenewal. */
export function renewalPlan(ctx: OperationContext, policy: RiskPolicy): RenewalPlan {
  const now = ctx.now();
  const approved = listActions(ctx, { status: 'approved', limit: 1_000_000 });
  const hosts = new Set<string>();
  const instructions = new Map<string, AgentInstruction>();
  const emergency: RenewalPlan['emergency'] = [];
  const actionIds: number[] = [];
  const until = new Date(Math.floor(now.getTime() / 1000) * 1000 + policy.investigation.durationHours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const a of approved) {
    if (a.action === 'alert') continue;
    if (a.action === 'predictive-renewal' && a.dueAt && a.dueAt > now.toISOString()) continue;
    if (a.action === 'forced-renewal' || a.action === 'predictive-renewal') hosts.add(a.host);
    if (a.action === 'investigation' && !instructions.has(a.host)) {
      instructions.set(a.host, { host: a.host, investigation: { until, collectIntervalSeconds: policy.investigation.collectIntervalSeconds, logExcerpts: policy.investigation.logExcerpts, reason: `action ${a.id}: ${a.reason}`.slice(0, 500) } });
    }
    if (a.action === 'emergency-certificate') {
      const issuer = policy.emergencyCertificate.issuer;
      if (!issuer) continue;
      emergency.push({ host: a.host, certSha256: a.certSha256, caId: issuer.caId, profile: 'emergency', actionId: a.id });
    }
    actionIds.push(a.id);
  }
  return { hosts: [...hosts].sort(), instructions: [...instructions.values()], emergency, actionIds };
}

/** What `exportRenewal` takes from the queue: the plan's agent instructions and the approved actions it carries. */
export function queuedExport(ctx: OperationContext, policy: RiskPolicy): { instructions: AgentInstruction[]; actions: Array<{ id: number; host: string }> } {
  const plan = renewalPlan(ctx, policy);
  const carried = new Set(plan.actionIds);
  const actions = listActions(ctx, { status: 'approved', limit: 1_000_000 }).filter((a) => carried.has(a.id)).map((a) => ({ id: a.id, host: a.host }));
  return { instructions: plan.instructions, actions };
}

/** Marks approved actions as carried by a renewal bundle (one transaction, audited). */
export function markActionsExported(ctx: OperationContext, ids: readonly number[], bundleId: string): number {
  return ctx.store.transaction(() => {
    const stmt = ctx.store.db.prepare("UPDATE risk_actions SET status = 'exported', exported_in = ? WHERE id = ? AND status = 'approved'");
    let n = 0;
    for (const id of ids) n += stmt.run(bundleId, id).changes;
    ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'risk.action.export', outcome: 'ok', details: { bundleId, ids: [...ids], marked: n } }, ctx.now());
    return n;
  });
}

export { ACTION_TYPES };
