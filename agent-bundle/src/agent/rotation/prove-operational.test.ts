import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeConsoleFixture, type ConsoleFixture } from '../testing/console-fixture.js';
import { proveOperational } from './prove-operational.js';

describe('proveOperational', () => {
  let fx: ConsoleFixture;
  let m: { certificatePem: string; chainPem: string; keyPem: string; certificateDer: Uint8Array };

  before(async () => {
    fx = await makeConsoleFixture();
    const keyPem = fx.newKeyPem();
    const c = await fx.issueFor(keyPem);
    m = { certificatePem: c.certificatePem, chainPem: c.chainPem, keyPem, certificateDer: c.certificateDer };
  });
  after(() => fx?.close());

  test('a real loopback handshake with the new certificate and key succeeds', async () => {
    const r = await proveOperational({ ...m, trustAnchors: fx.trustAnchors, now: fx.clock.now });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.protocol, 'TLSv1.3');
  });

  test('a key that does not match the certificate cannot serve it', async () => {
    const r = await proveOperational({ ...m, keyPem: fx.newKeyPem(), trustAnchors: fx.trustAnchors, now: fx.clock.now });
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /^A TLS server cannot load the new certificate and key: .*key values mismatch/);
  });

  test('a server without the intermediate cannot be validated by a client that holds only the root', async () => {
    const r = await proveOperational({ ...m, chainPem: '', trustAnchors: fx.trustAnchors, now: fx.clock.now });
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /^A client cannot validate what the new certificate presents over TLS: NO_PATH/);
  });
});
