import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { BundleRejection } from '../bundle-rejection.js';
import { parseJsonPayload } from './json-payload.js';
import { checkRenewalRequests, RenewalRequestFileSchema } from './renewal-request.js';
import { RolloutPlanSchema } from './renewal.js';
import { RiskReportFileSchema } from './risk-report.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/bundles/${name}`, import.meta.url));
const rejects = (pattern: RegExp) => (e: BundleRejection) => e.code === 'BUNDLE_PAYLOAD_INVALID' && pattern.test(e.message);

describe('JSON payload schemas (fixtures/bundles)', () => {
  test('risk-report-v1.json', () => {
    const r = parseJsonPayload('risk-report.json', fixture('risk-report-v1.json'), RiskReportFileSchema);
    assert.equal(r.reports[0].level, 'high');
    const bad = JSON.parse(fixture('risk-report-v1.json').toString());
    bad.reports[0].window = { from: '2026-03-02T12:00:00Z', to: '2026-03-01T12:00:00Z' };
    assert.throws(() => parseJsonPayload('risk-report.json', Buffer.from(JSON.stringify(bad)), RiskReportFileSchema), rejects(/risk-report.json: reports.0.window: window.from is after window.to/));
    bad.reports[0].window = { from: '2026-03-01T12:00:00Z', to: '2026-03-02T12:00:00Z' };
    bad.reports[0].extra = true;
    assert.throws(() => parseJsonPayload('risk-report.json', Buffer.from(JSON.stringify(bad)), RiskReportFileSchema), rejects(/Unrecognized key/));
  });

  test('renewal-request-v1.json: the CSR verifies, the attestation is carried as bytes', () => {
    const [r] = checkRenewalRequests('renewal-request.json', parseJsonPayload('renewal-request.json', fixture('renewal-request-v1.json'), RenewalRequestFileSchema).requests);
    assert.equal(r.subject, 'CN=web-0001.fleet.example');
    assert.equal(Buffer.from(r.proofAttestation!).toString(), 'TPM2 quote placeholder: verified by the TPM support');
    assert.equal(r.proofCertificate, null);
  });

  test('renewal requests: duplicate ids and a current-certificate proof without its signature are refused', () => {
    const file = JSON.parse(fixture('renewal-request-v1.json').toString());
    file.requests.push(file.requests[0]);
    assert.throws(() => checkRenewalRequests('renewal-request.json', parseJsonPayload('renewal-request.json', Buffer.from(JSON.stringify(file)), RenewalRequestFileSchema).requests), rejects(/requestId is used twice/));
    file.requests = [{ ...file.requests[0], proof: { kind: 'current-certificate', certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' } }];
    assert.throws(() => parseJsonPayload('renewal-request.json', Buffer.from(JSON.stringify(file)), RenewalRequestFileSchema), rejects(/signature/));
  });

  test('rollout-v1.json, and the rules a plan must keep', () => {
    assert.equal(RolloutPlanSchema.parse(JSON.parse(fixture('rollout-v1.json').toString())).waves.length, 2);
    assert.equal(RolloutPlanSchema.safeParse({ strategy: 'canary', waves: [{ name: 'a', hosts: ['x'] }, { name: 'b', hosts: ['x'] }] }).success, false);
    assert.equal(RolloutPlanSchema.safeParse({ strategy: 'all-at-once', waves: [{ name: 'a', hosts: ['x'] }, { name: 'b', hosts: ['y'] }] }).success, false);
  });
});
