import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentConfig } from './agent-config.js';
import { isColdrootError } from '../../../../core/errors.js';

function rejection(value: unknown): string {
  try {
    parseAgentConfig(value, 'config.json');
  } catch (e) {
    assert.ok(isColdrootError(e));
    assert.equal(e.code, 'AGENT_CONFIG_INVALID');
    assert.equal(e.kind, 'input');
    return e.message;
  }
  assert.fail('the configuration was accepted');
}

describe('agent configuration', () => {
  test('a host alone gets every default', () => {
    const c = parseAgentConfig({ host: 'web-01.fleet.example' }, 'config.json');
    assert.equal(c.stateDir, '/var/lib/coldroot-agent');
    assert.equal(c.profile, 'device-management');
    assert.deepEqual(c.renewal, { thresholdDays: 30, checkIntervalSeconds: 3600, responseTimeoutSeconds: 604800 });
    assert.deepEqual(c.retry, { initialDelaySeconds: 60, maxDelaySeconds: 21600, maxAttempts: 10, jitter: 0.2 });
    assert.deepEqual(c.transport, { kind: 'file' });
    assert.deepEqual(c.services, []);
    assert.deepEqual(c.prometheus, { textfile: true });
    assert.deepEqual(c.tpm, { enabled: false });
    assert.equal(c.collect.intervalSeconds, 300);
  });

  test('an unknown key is rejected with its path and the fix', () => {
    assert.equal(rejection({ host: 'a.example', renewal: { thresholdDay: 10 } }),
      'Configuration config.json is invalid:\n  renewal.thresholdDay: unknown key in renewal; remove it or check the spelling (see docs/agent.md)');
    assert.match(rejection({ host: 'a.example', colour: 'blue' }), /colour: unknown key in the top level/);
  });

  test('nested errors name the key path', () => {
    assert.match(rejection({ host: 'a.example', services: [{ name: 'nginx', certPath: '/c', keyPath: '/k', reload: { signal: 'SIGKILL', pidFile: '/p' } }] }), /services\[0\]\.reload/);
    assert.match(rejection({ host: 'a.example', retry: { initialDelaySeconds: 600, maxDelaySeconds: 60 } }), /retry\.maxDelaySeconds: maxDelaySeconds must be at least initialDelaySeconds/);
    assert.match(rejection({}), /host: /);
    assert.match(rejection({ host: 'a.example', collect: { probes: [{ name: 'x', host: 'h', port: 1, extra: 1 }] } }), /collect\.probes\[0\]\.extra: unknown key/);
  });

  test('the metrics endpoint listens on loopback only', () => {
    assert.equal(parseAgentConfig({ host: 'a.example', prometheus: { listen: '127.0.0.1:9464' } }, 'c').prometheus.listen, '127.0.0.1:9464');
    assert.match(rejection({ host: 'a.example', prometheus: { listen: '0.0.0.0:9464' } }), /prometheus\.listen: a loopback address/);
    assert.match(rejection({ host: 'a.example', prometheus: { listen: '10.0.0.1:9464' } }), /prometheus\.listen/);
  });
});
