import { RISK_REPORT_FILE, RISK_REPORT_SCHEMA_V1, RiskReportFileSchema, type RiskReport } from '../../../../core/bundles/payloads/risk-report.js';
import { ColdrootError } from '../../../../core/errors.js';
import { writeOutboxBundle, type OutboxBundleInput } from './metrics-bundle.js';

/** A signed risk-report bundle (risk-report.json) of the reports this host computed locally. */
export async function writeRiskReportBundle(o: OutboxBundleInput & { reports: readonly RiskReport[] }): Promise<{ path: string; bundleId: string; sequence: number }> {
  const parsed = RiskReportFileSchema.safeParse({ reports: o.reports });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ColdrootError('RISK_REPORT_INVALID', `The local risk report does not fit ${RISK_REPORT_SCHEMA_V1}: ${issue.path.join('.')}: ${issue.message}`, 'This is a fault in the agent; report it with the collect-state.json file', 'failure');
  }
  const data = new TextEncoder().encode(`${JSON.stringify(parsed.data, null, 2)}\n`);
  const b = await writeOutboxBundle(o, 'risk-report', async () => [{ name: RISK_REPORT_FILE, data, schema: RISK_REPORT_SCHEMA_V1, records: parsed.data.reports.length }]);
  return { path: b.path, bundleId: b.bundleId, sequence: b.sequence };
}
