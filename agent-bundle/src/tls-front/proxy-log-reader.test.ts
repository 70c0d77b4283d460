import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CanaryController } from '../../../core/policy/canary/canary-controller.js';
import { defaultCanaryPlan } from '../../../core/policy/canary/canary-plan.js';
import { canaryArm } from './client-split.js';
import { armFromHistory, parseHaproxyLine, parseNginxLine, readProxyLog } from './proxy-log-reader.js';

const AT = Date.parse('2026-11-25T03:00:40Z');

// Lines written by nginx 1.22.1 and HAProxy 2.6.12 (Debian 12) configured with proxy-snippets.ts.
const NGINX = [
  'coldroot-canary 1795575507.968 127.0.2.6 old 1 TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384',
  'coldroot-canary 1795575508.100 127.0.2.6 old 2 TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384',
  '2026/11/25 02:58:27 [info] 32092#32092: *1 SSL_do_handshake() failed (SSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48) while SSL handshaking, client: 127.0.1.3, server: 127.0.0.1:18443',
  '2026/11/25 03:00:35 [info] 32666#32666: *1 peer closed connection in SSL handshake while SSL handshaking, client: 127.0.1.3, server: 127.0.0.1:18443',
  '2026/11/25 03:00:35 [info] 32666#32666: *2 client closed connection while waiting for request, client: 127.0.1.3, server: 127.0.0.1:18443',
  '2026/11/25 02:54:27 [notice] 28835#28835: signal process started',
];
const HAPROXY = [
  'coldroot-canary 1795575654 127.0.1.8 coldroot_canary_old 11 TLSv1.3 TLS_AES_256_GCM_SHA384',
  '127.0.2.15:39031 [25/Nov/2026:03:00:54.628] coldroot_canary_new/1: SSL handshake failure',
  '192.168.1.1:33283 [28/Feb/2025:02:07:51.623] coldroot_canary_new/1: SSL handshake failure (error:0A000418:SSL routines::tlsv1 alert unknown ca)',
  'Connect from 127.0.1.8:38011 to 127.0.0.1:18444 (coldroot_canary_split/TCP)',
];

test('nginx: first requests are successes with their arm; handshake errors get the arm the split gave the client', () => {
  const armOf = (ip: string) => canaryArm(ip, 50, 'canary-2026');
  const obs = readProxyLog('nginx', NGINX, { receivedAt: AT, armOf });
  assert.deepEqual(obs, [
    { arm: 'old', at: 1795575507968, ok: true, protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' },
    { arm: 'new', at: AT, ok: false, cause: 'alert:unknown_ca' },
    { arm: 'new', at: AT, ok: false, cause: 'error:closed_during_handshake' },
    { arm: 'new', at: AT, ok: false, cause: 'error:closed_after_handshake' },
  ]);
  // Without a way to attribute them, error lines are skipped rather than guessed.
  assert.equal(parseNginxLine(NGINX[2], { receivedAt: AT }), null);
});

test('HAProxy: the frontend name carries the arm, failures included', () => {
  assert.deepEqual(readProxyLog('haproxy', HAPROXY, { receivedAt: AT }), [
    { arm: 'old', at: 1795575654000, ok: true, handshakeMs: 11, protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
    { arm: 'new', at: AT, ok: false, cause: 'error:ssl_handshake_failure' },
    { arm: 'new', at: AT, ok: false, cause: 'alert:unknown_ca' },
  ]);
  assert.equal(parseHaproxyLine('coldroot-canary 1795575654 10.0.0.1 some_other_frontend 3 TLSv1.3 X', { receivedAt: AT }), null);
});

test('armFromHistory attributes a line by the exposure in force when it was read', () => {
  let t = AT;
  const c = new CanaryController(defaultCanaryPlan('canary-2026', { initialExposurePercent: 50 }), { now: () => t });
  const armOf = armFromHistory(c);
  assert.equal(armOf('127.0.1.3', AT), canaryArm('127.0.1.3', 50, 'canary-2026'));
  t += 1000;
  c.abort('test');
  assert.equal(armOf('127.0.1.3', t), 'old');
  assert.equal(armOf('127.0.1.3', AT), 'new');
});
