import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColdrootError } from '../../../core/errors.js';
import { haproxySeed, haproxySnippet, nginxSnippet } from './proxy-snippets.js';

const input = { rolloutId: 'canary-2026', exposurePercent: 12.5, certificateDir: '/etc/coldroot/canary/', generatedAt: new Date('2026-01-05T00:00:00Z') };

test('nginx: split_clients on the client address and the rollout id, certificates through the variable', () => {
  const s = nginxSnippet(input);
  assert.equal(s.http, [
    '# Coldroot canary rollout canary-2026: 12.5% of clients get the new certificate (2026-01-05T00:00:00.000Z).',
    '# Written by the Coldroot agent on every exposure change, then a reload of nginx; do not edit.',
    'split_clients "${remote_addr}canary-2026" $coldroot_canary_cert {',
    '    12.5%   new;',
    '    *       old;',
    '}',
    "log_format coldroot_canary 'coldroot-canary $msec $remote_addr $coldroot_canary_cert $connection_requests $ssl_protocol $ssl_cipher';",
    '',
  ].join('\n'));
  assert.match(s.server, /^ssl_certificate     \/etc\/coldroot\/canary\/\$coldroot_canary_cert\.crt;$/m);
  assert.match(s.server, /^ssl_certificate_key \/etc\/coldroot\/canary\/\$coldroot_canary_cert\.key;$/m);
  assert.match(s.server, /^access_log \/var\/log\/nginx\/coldroot-canary\.log coldroot_canary;$/m);
});

test('nginx: 0% and 100% use the catch-all line only (nginx refuses "0%")', () => {
  assert.match(nginxSnippet({ ...input, exposurePercent: 0 }).http, /\{\n {4}\* {7}old;\n\}/);
  assert.match(nginxSnippet({ ...input, exposurePercent: 100 }).http, /\{\n {4}\* {7}new;\n\}/);
  assert.match(nginxSnippet({ ...input, exposurePercent: 33.333 }).http, / {4}33\.33% {2}new;/);
});

test('HAProxy: a TCP split into two TLS frontends, one per certificate, named for the log reader', () => {
  const s = haproxySnippet({ ...input, bind: '0.0.0.0:443', backend: 'web' });
  assert.match(s, new RegExp(`acl coldroot_canary_new src,xxh32\\(${haproxySeed('canary-2026')}\\),mod\\(10000\\) lt 1250\\n`));
  assert.match(s, /bind 0\.0\.0\.0:443\n/);
  assert.match(s, /server old abns@coldroot-canary-old send-proxy-v2/);
  assert.match(s, /frontend coldroot_canary_new\n {4}mode tcp\n {4}bind abns@coldroot-canary-new accept-proxy ssl crt \/etc\/coldroot\/canary\/new\.pem\n/);
  assert.equal(s.match(/log-format "coldroot-canary %Ts %ci %f %Th %\[ssl_fc_protocol\] %\[ssl_fc_cipher\]"/g)?.length, 2);
  assert.equal(s.match(/default_backend web/g)?.length, 2);
  assert.notEqual(haproxySeed('a'), haproxySeed('b'));
});

test('values that could inject configuration are refused with the offending value', () => {
  for (const [bad, message] of [
    [{ rolloutId: 'x; ssl_verify_client off' }, "rollout id 'x; ssl_verify_client off' contains characters not allowed in a proxy configuration"],
    [{ certificateDir: '/etc/a b' }, "certificate directory '/etc/a b' contains characters not allowed in a proxy configuration"],
    [{ logPath: 'relative.log' }, "log path 'relative.log' contains characters not allowed in a proxy configuration"],
  ] as const) {
    assert.throws(() => nginxSnippet({ ...input, ...bad }), (e: unknown) => e instanceof ColdrootError && e.code === 'SNIPPET_BAD_VALUE' && e.message === message);
  }
  assert.throws(() => haproxySnippet({ ...input, backend: 'web\n  bind :80' }), /backend 'web\n {2}bind :80' contains/);
});
