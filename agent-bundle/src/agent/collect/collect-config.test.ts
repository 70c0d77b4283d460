import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CollectConfigSchema } from './collect-config.js';

const firstIssue = (input: unknown) => {
  const r = CollectConfigSchema.safeParse(input);
  return r.success ? 'accepted' : `${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`;
};

describe('collect configuration', () => {
  test('an empty section gets the defaults', () => {
    assert.deepEqual(CollectConfigSchema.parse({}), {
      intervalSeconds: 300, probes: [], system: { enabled: true, procRoot: '/proc' }, logs: [],
      investigation: { intervalSeconds: 60, maxExcerptLines: 1000 }, localRiskReport: false,
    });
  });

  test('strict: unknown keys, bad custom patterns, duplicate probe names and stray patterns are refused with their reason', () => {
    assert.equal(firstIssue({ interval: 5 }), ': Unrecognized key: "interval"');
    assert.equal(firstIssue({ logs: [{ path: '/x.log', format: 'custom' }] }), "logs.0: log /x.log: format 'custom' needs a pattern with named groups (?<ip>…) and/or (?<error>…)");
    assert.equal(firstIssue({ logs: [{ path: '/x.log', format: 'custom', pattern: '(' }] }), 'logs.0: log /x.log: pattern is not a valid regex: Invalid regular expression: /(/: Unterminated group');
    assert.equal(firstIssue({ logs: [{ path: '/x.log', format: 'custom', pattern: 'client=(\\S+)' }] }), 'logs.0: log /x.log: pattern has no named group (?<ip>…) or (?<error>…)');
    assert.equal(firstIssue({ logs: [{ path: '/x.log', format: 'nginx', pattern: '(?<ip>x)' }] }), "logs.0: log /x.log: pattern is only used with format 'custom' (format is 'nginx')");
    assert.equal(firstIssue({ probes: [{ name: 'a', host: 'h', port: 443 }, { name: 'a', host: 'h', port: 8443 }] }), "probes: probe name 'a' is used twice");
    assert.equal(firstIssue({ probes: [{ name: 'a', host: 'h', port: 0 }] }), 'probes.0.port: Too small: expected number to be >=1');
    assert.equal(firstIssue({ logs: [{ path: '/x.log', format: 'apache' }] }), 'logs.0.format: Invalid option: expected one of "nginx"|"haproxy"|"envoy"|"custom"');
  });
});
