import type { OperationContext } from '../../ca/operation-context.js';
import type { ActionType } from '../policy-file.js';

/** An approved action as the risk pipeline and an operator leave it (model version, score and decision rows), for tests. */
export function insertApprovedAction(ctx: OperationContext, action: ActionType, host: string): number {
  const db = ctx.store.db;
  const t = ctx.now().toISOString();
  const model = db.prepare("INSERT INTO model_versions (kind, created_at, created_by, window_start, window_end, params, data_sha256, evaluation, model) VALUES ('risk-detector/v1', ?, 'test', ?, ?, '{}', ?, '{}', x'00')").run(t, t, t, '0'.repeat(64)).lastInsertRowid;
  const score = db.prepare("INSERT INTO risk_scores (model_version, subject, host, computed_at, window_start, window_end, risk_score, level, anomaly_windows, degradation_score, evidence) VALUES (?, 'host', ?, ?, ?, ?, 97, 'critical', 3, 0, '{}')").run(model, host, t, t, t).lastInsertRowid;
  return Number(db.prepare("INSERT INTO risk_actions (action, host, score_id, model_version, policy_sha256, reason, evidence, created_at, status, decided_at, decided_by) VALUES (?, ?, ?, ?, ?, 'validation failures since the deploy', '{}', ?, 'approved', ?, 'tester')")
    .run(action, host, score, model, '0'.repeat(64), t, t).lastInsertRowid);
}
