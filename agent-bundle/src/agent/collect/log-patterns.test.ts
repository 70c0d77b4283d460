import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { LogFormat } from './collect-config.js';
import { countClients, networkOf, normalizeIp, type SeenClients } from './client-ips.js';
import { certErrorName, lineParser } from './log-patterns.js';

const fixture = (name: string) => readFileSync(new URL(`../../../../fixtures/logs/${name}`, import.meta.url), 'utf8').split('\n').filter((l) => l !== '');

function scan(format: LogFormat, name: string, pattern?: string) {
  const parse = lineParser(format, pattern);
  const ips: string[] = [];
  const errors: Record<string, number> = {};
  for (const line of fixture(name)) {
    const f = parse(line);
    if (f.ip) ips.push(f.ip);
    if (f.error) errors[f.error] = (errors[f.error] ?? 0) + 1;
  }
  return { ips, distinct: [...new Set(ips)].sort(), errors };
}

describe('shipped log patterns', () => {
  test('nginx error.log: client addresses and certificate errors, not protocol errors', () => {
    const r = scan('nginx', 'nginx-error.log');
    assert.deepEqual(r.distinct, ['192.0.2.44', '198.51.100.7', '198.51.100.8', '2001:0db8:0001:0002:0000:0000:0000:0017', '203.0.113.9']);
    assert.deepEqual(r.errors, { unknown_ca: 2, certificate_expired: 1, bad_certificate: 1, self_signed: 1 });
  });

  test('nginx access.log: $remote_addr, IPv4 and IPv6', () => {
    const r = scan('nginx', 'nginx-access.log');
    assert.equal(r.ips.length, 4);
    assert.deepEqual(r.distinct, ['198.51.100.20', '2001:0db8:0000:0000:0000:0000:0000:0005', '203.0.113.9']);
    assert.deepEqual(r.errors, {});
  });

  test('HAProxy: client ip:port after haproxy[pid], handshake and CA messages', () => {
    const r = scan('haproxy', 'haproxy.log');
    assert.deepEqual(r.distinct, ['192.0.2.50', '192.0.2.51', '192.0.2.52', '198.51.100.20', '2001:0db8:0000:0000:0000:0000:0000:0009', '203.0.113.9']);
    assert.deepEqual(r.errors, { handshake_failure: 2, unknown_ca: 1, certificate_untrusted: 1 });
  });

  test('Envoy: %DOWNSTREAM_REMOTE_ADDRESS%, remote address in connection logs, BoringSSL TLS_error reasons', () => {
    const r = scan('envoy', 'envoy.log');
    assert.deepEqual(r.distinct, ['192.0.2.77', '192.0.2.78', '192.0.2.79', '198.51.100.30', '2001:0db8:0000:0000:0000:0000:0000:0042', '203.0.113.9']);
    assert.deepEqual(r.errors, { certificate_verify_failed: 2, unknown_ca: 1 });
  });

  test('custom regex with named groups ip and error; unknown error texts become safe names', () => {
    const r = scan('custom', 'custom.log', 'client=(?<ip>\\S+)(?: tls_error="(?<error>[^"]+)")?');
    assert.deepEqual(r.distinct, ['203.0.113.200', '203.0.113.201', '203.0.113.202']);
    assert.deepEqual(r.errors, { certificate_expired: 1, revocation_check_unavailable: 1 });
  });

  test('error texts map to metric names; unrelated TLS errors do not', () => {
    assert.equal(certErrorName('SSL routines::tlsv1 alert unknown ca'), 'unknown_ca');
    assert.equal(certErrorName('TLSV1_ALERT_CERTIFICATE_EXPIRED'), 'certificate_expired');
    assert.equal(certErrorName('(19:self signed certificate in certificate chain)'), 'self_signed');
    assert.equal(certErrorName('SSL routines::no shared cipher'), null);
  });
});

describe('client addresses', () => {
  test('normalized: IPv4-mapped to IPv4, IPv6 expanded, junk refused', () => {
    assert.equal(normalizeIp('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(normalizeIp('2001:DB8::1'), '2001:0db8:0000:0000:0000:0000:0000:0001');
    assert.equal(normalizeIp('not-an-ip'), null);
    assert.equal(networkOf('192.0.2.77'), '192.0.2.0/24');
    assert.equal(networkOf('2001:0db8:0001:0002:0000:0000:0000:0017'), '2001:0db8:0001:0002::/64');
  });

  test('new addresses and networks are counted against a bounded memory', () => {
    const seen: SeenClients = { ips: {}, nets: {} };
    const a = countClients(seen, ['192.0.2.1', '192.0.2.2', '192.0.2.1'], 100, { ips: 3, nets: 10 });
    assert.deepEqual([a.distinct, a.fresh, a.freshNets], [2, 2, 1]);
    const b = countClients(seen, ['192.0.2.2', '198.51.100.9', '203.0.113.5'], 200, { ips: 3, nets: 10 });
    assert.deepEqual([b.distinct, b.fresh, b.freshNets], [3, 2, 2]);
    // Memory of 3: 192.0.2.1 (least recently seen) was forgotten, so it counts as new again.
    assert.deepEqual(Object.keys(seen.ips).sort(), ['192.0.2.2', '198.51.100.9', '203.0.113.5']);
    const c = countClients(seen, ['192.0.2.1'], 300, { ips: 3, nets: 10 });
    assert.deepEqual([c.distinct, c.fresh, c.freshNets], [1, 1, 0]);
  });
});
