import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelaySeconds, mayAttempt, recordFailure } from './backoff.js';
import { initialAgentState } from './agent-state-file.js';
import { watchCertificate } from './certificate-watch.js';
import { detectClockSkew } from './clock-skew.js';

const DAY = 86_400_000;
const now = new Date('2026-03-02T00:00:00Z');
const policy = { initialDelaySeconds: 60, maxDelaySeconds: 21_600, maxAttempts: 10, jitter: 0.2 };

describe('certificate watch', () => {
  const cert = (daysLeft: number) => ({ notBefore: new Date(now.getTime() - 300 * DAY), notAfter: new Date(now.getTime() + daysLeft * DAY) });
  test('31 days left is valid, 30 is expiring (threshold 30)', () => {
    assert.equal(watchCertificate(cert(31), now, 30).state, 'valid');
    assert.equal(watchCertificate(cert(31), now, 30).renewalDue, false);
    assert.equal(watchCertificate(cert(30), now, 30).state, 'expiring');
    assert.equal(watchCertificate(cert(30), now, 30).daysLeft, 30);
    assert.equal(watchCertificate(cert(30), now, 30).renewalDue, true);
  });
  test('expired, not yet valid and missing', () => {
    assert.equal(watchCertificate(cert(0), now, 30).state, 'expired');
    assert.equal(watchCertificate(cert(-2), now, 30).daysLeft, -2);
    assert.equal(watchCertificate({ notBefore: new Date(now.getTime() + 1000), notAfter: new Date(now.getTime() + 365 * DAY) }, now, 30).state, 'not-yet-valid');
    assert.deepEqual(watchCertificate(null, now, 30), { state: 'missing', notBefore: null, notAfter: null, daysLeft: null, renewalDue: true });
  });
});

describe('backoff', () => {
  test('doubles from the initial delay, caps at the maximum, jitter spreads ±20%', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelaySeconds(policy, n, () => 0.5)), [60, 120, 240, 480]);
    assert.equal(backoffDelaySeconds(policy, 9, () => 0.5), 15_360);
    assert.equal(backoffDelaySeconds({ ...policy, maxAttempts: 100 }, 20, () => 0.5), 21_600);
    assert.equal(backoffDelaySeconds(policy, 1, () => 0), 48);
    assert.equal(backoffDelaySeconds(policy, 1, () => 1), 72);
  });
  test('after maxAttempts the state gives up in name only and keeps retrying at the maximum delay', () => {
    let s = initialAgentState().renewal;
    for (let i = 0; i < 9; i++) s = recordFailure(s, policy, now, { code: 'X', message: 'x' }, () => 0.5);
    assert.equal(s.status, 'backoff');
    s = recordFailure(s, policy, now, { code: 'TRANSPORT_UNAVAILABLE', message: 'gone' }, () => 0.5);
    assert.equal(s.status, 'gave-up');
    assert.equal(s.failures, 10);
    assert.equal(s.nextAttemptAt, new Date(now.getTime() + 21_600_000).toISOString());
    assert.equal(mayAttempt(s, new Date(now.getTime() + 21_599_000)), false);
    assert.equal(mayAttempt(s, new Date(now.getTime() + 21_600_000)), true);
    assert.deepEqual(s.lastError, { code: 'TRANSPORT_UNAVAILABLE', message: 'gone', at: now.toISOString() });
  });
});

describe('clock skew', () => {
  test('before the certificate or the newest bundle seen', () => {
    const nb = new Date(now.getTime() + 3600_000);
    assert.equal(detectClockSkew(now, { certificateNotBefore: nb })?.reason, 'before-certificate-not-before');
    assert.equal(detectClockSkew(now, { certificateNotBefore: nb })?.behindSeconds, 3600);
    assert.equal(detectClockSkew(now, { newestBundleCreatedAt: new Date(now.getTime() + 1000) })?.reason, 'before-newest-bundle');
    assert.equal(detectClockSkew(now, { certificateNotBefore: new Date(now.getTime() - 1), newestBundleCreatedAt: now }), null);
  });
});
