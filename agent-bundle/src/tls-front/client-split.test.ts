import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canaryArm, clientPoint, murmurHash2, normalizeClientAddress, splitThreshold } from './client-split.js';

// What nginx 1.22.1 (Debian 12) answered for split_clients "${arg_ip}canary-2026" at
// 0.01%, 5%, 25.5%, 50% and 99.99% (recorded by running it; the agent's split must match).
const NGINX: Array<[string, string]> = [
  ['192.0.2.1', 'old new new new new'], ['192.0.2.2', 'old old old new new'], ['192.0.2.4', 'old old new new new'],
  ['198.51.100.8', 'old old old old new'], ['203.0.113.9', 'old old new new new'], ['10.1.2.3', 'old old old new new'],
  ['172.16.5.4', 'old old old old new'], ['2001:db8::1', 'old old old old new'], ['fe80::1', 'old new new new new'],
];

test('the split equals nginx split_clients for the same key and percentages', () => {
  for (const [ip, expected] of NGINX) {
    const arms = [0.01, 5, 25.5, 50, 99.99].map((p) => canaryArm(ip, p, 'canary-2026')).join(' ');
    assert.equal(arms, expected, ip);
  }
});

test('MurmurHash2 known answers (nginx ngx_murmur_hash2)', () => {
  assert.equal(murmurHash2(new Uint8Array(0)), 0);
  assert.equal(murmurHash2(Buffer.from('hello')), 3848350155);
});

test('thresholds follow nginx integer arithmetic; 0% and 100% are absolute', () => {
  assert.equal(splitThreshold(5), 214748364);
  assert.equal(splitThreshold(100), 0xffffffff);
  assert.equal(canaryArm('192.0.2.1', 0, 'x'), 'old');
  assert.equal(canaryArm('192.0.2.1', 100, 'x'), 'new');
});

test('IPv4-mapped addresses split as their IPv4 form, as nginx logs $remote_addr', () => {
  assert.equal(normalizeClientAddress('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeClientAddress('2001:DB8::1'), '2001:db8::1');
  assert.equal(canaryArm('::ffff:192.0.2.1', 5, 'canary-2026'), 'new');
});

test('sticky and monotone: raising exposure only adds clients; shares track the exposure', () => {
  const ips = Array.from({ length: 20_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  let previous = new Set<string>();
  for (const e of [1, 5, 10, 25, 50, 75, 100]) {
    const onNew = new Set(ips.filter((ip) => canaryArm(ip, e, 'rollout-7') === 'new'));
    for (const ip of previous) assert.ok(onNew.has(ip), `${ip} left new at ${e}%`);
    assert.ok(Math.abs(onNew.size / ips.length - e / 100) < 0.01, `${e}%: ${onNew.size}`);
    previous = onNew;
  }
  // Another rollout id canaries another subset.
  const a = ips.filter((ip) => canaryArm(ip, 10, 'rollout-7') === 'new');
  const b = new Set(ips.filter((ip) => canaryArm(ip, 10, 'rollout-8') === 'new'));
  assert.ok(a.filter((ip) => b.has(ip)).length < a.length * 0.2);
  assert.ok(clientPoint('10.0.0.1', 'x') >= 0 && clientPoint('10.0.0.1', 'x') < 1);
});
