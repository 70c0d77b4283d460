import assert from 'node:assert/strict';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KeyType, ObjectClass } from 'graphene-pk11';
import { addSoftHsmToken, createSoftHsmToken, lockSoftHsmUserPin, softHsmAvailable } from '../../test/helpers/softhsm.js';
import { ColdrootError } from '../errors.js';
import { keyAlgorithmInfo, type KeyAlgorithm } from './key-algorithm.js';
import { generatePkcs11Key } from './pkcs11-keygen.js';
import { loadedModuleCount } from './pkcs11-module.js';
import { listPkcs11Tokens, openPkcs11Signer, type Pkcs11Signer } from './pkcs11-signer.js';
import { acquireTokenSession, openTokenSessionCount } from './pkcs11-token-session.js';
import { formatPkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.js';
import { runSignerContract } from './signer-contract.js';

const available = softHsmAvailable();

function expectError(code: string, message: string | RegExp, hint?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ColdrootError, `expected a ColdrootError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.kind, 'input');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    if (hint) assert.match(e.hint, hint);
    return true;
  };
}

const publicKeyOf = async (s: Pkcs11Signer): Promise<KeyObject> => createPublicKey({ key: Buffer.from(await s.publicKey()), format: 'der', type: 'spki' });
const verifies = (key: KeyObject, alg: KeyAlgorithm, data: Uint8Array, sig: Uint8Array) => verify(keyAlgorithmInfo(alg).hash, data, { key, dsaEncoding: 'der' }, sig);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

if (!available.ok) {
  test('PKCS#11 signer against SoftHSM2', { skip: available.reason }, () => {});
} else {
  // One token directory per test file: SoftHSM reads SOFTHSM2_CONF once, at the module's C_Initialize.
  const hsm = createSoftHsmToken({ label: 'coldroot-signer-test' });
  addSoftHsmToken(hsm, { label: 'locked-token' });
  lockSoftHsmUserPin(hsm, 'locked-token');
  process.env.SOFTHSM2_CONF = hsm.confPath;
  after(() => hsm.cleanup());

  const { modulePath, pin } = hsm;
  const tokenLabel = hsm.label;
  let counter = 0;
  const generate = (algorithm: KeyAlgorithm, label = `key-${algorithm}-${++counter}`) => generatePkcs11Key({ modulePath, tokenLabel, pin, label, algorithm });
  const uriFor = (path: string) => `pkcs11:${path}?module-path=${modulePath}`;

  // rsa-4096 keygen takes 1-2 s on SoftHSM here, inside the "< ~5 s" budget.
  runSignerContract('PKCS#11 (SoftHSM2)', (alg) => generate(alg), ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096', 'ed25519']);

  describe('PKCS#11 key URIs', () => {
    test('the key URI names token, label, CKA_ID and module, and every way of naming the key opens the same key', async () => {
      const s = await generate('ecdsa-p256', 'uri-round-trip');
      try {
        const u = parsePkcs11Uri(s.keyUri);
        assert.equal(u.token, tokenLabel);
        assert.equal(u.object, 'uri-round-trip');
        assert.equal(u.id?.length, 20);
        assert.equal(u.type, 'private');
        assert.equal(u.modulePath, modulePath);
        assert.equal(formatPkcs11Uri(u), s.keyUri);
        const key = await publicKeyOf(s);
        const idOnly = formatPkcs11Uri({ token: tokenLabel, id: u.id, modulePath });
        for (const uri of [s.keyUri, uriFor(`token=${tokenLabel};object=uri-round-trip`), idOnly]) {
          const again = await openPkcs11Signer({ uri, pin });
          try {
            assert.equal(again.keyUri, s.keyUri, uri);
            assert.deepEqual(await again.publicKey(), await s.publicKey());
            const data = new TextEncoder().encode(uri);
            assert.ok(verifies(key, 'ecdsa-p256', data, await again.sign(data)));
          } finally {
            await again.close();
          }
        }
      } finally {
        await s.close();
      }
    });

    test('a token named by slot-id (from listPkcs11Tokens) opens the key and stays in its URI', async () => {
      const s = await generate('ecdsa-p256', 'by-slot-id');
      try {
        const tokens = await listPkcs11Tokens(modulePath);
        const ours = tokens.find((t) => t.label === tokenLabel);
        assert.ok(ours);
        assert.match(ours.slotId, /^[0-9]+$/);
        const bySlot = await openPkcs11Signer({ uri: uriFor(`slot-id=${ours.slotId};object=by-slot-id`), pin });
        assert.match(bySlot.keyUri, new RegExp(`^pkcs11:slot-id=${ours.slotId};object=by-slot-id;id=(%[0-9A-F]{2}){20};type=private\\?module-path=`));
        assert.deepEqual(await bySlot.publicKey(), await s.publicKey());
        await bySlot.close();
      } finally {
        await s.close();
      }
    });

    test('rejects URIs a signer cannot use', async () => {
      await assert.rejects(openPkcs11Signer({ uri: `pkcs11:token=${tokenLabel};object=k`, pin }), expectError('PKCS11_URI_INVALID', `PKCS#11 URI 'pkcs11:token=${tokenLabel};object=k' names no module`, /module-path=/));
      await assert.rejects(openPkcs11Signer({ uri: uriFor(`token=${tokenLabel};object=k;type=public`), pin }), expectError('PKCS11_URI_INVALID', /names a public object; a signer needs type=private$/));
      await assert.rejects(openPkcs11Signer({ uri: uriFor(`token=${tokenLabel}`), pin }), expectError('PKCS11_URI_INVALID', /names no key$/));
      await assert.rejects(openPkcs11Signer({ uri: uriFor('object=k'), pin }), expectError('PKCS11_URI_INVALID', /names no token$/));
    });
  });

  describe('generatePkcs11Key', () => {
    test('refuses a label that already exists on the token and leaves the existing key alone', async () => {
      const first = await generate('ecdsa-p256', 'taken');
      const before = await first.publicKey();
      await first.close();
      await assert.rejects(
        generate('rsa-3072', 'taken'),
        expectError('PKCS11_KEY_LABEL_EXISTS', `Token '${tokenLabel}' already holds an object labelled 'taken'`, /Choose another key label/),
      );
      // Still exactly one key under the label (an ambiguous label would fail to open by label).
      const again = await openPkcs11Signer({ uri: uriFor(`token=${tokenLabel};object=taken`), pin });
      assert.equal(again.algorithm, 'ecdsa-p256');
      assert.deepEqual(await again.publicKey(), before);
      await again.close();
      assert.equal(openTokenSessionCount(), 0);
    });

    test('rejects an empty label', async () => {
      await assert.rejects(generate('ecdsa-p256', ' '), expectError('PKCS11_KEY_LABEL_INVALID', "Key label ' ' is empty or has leading/trailing spaces"));
    });
  });

  describe('PKCS#11 errors name the input and the next step', () => {
    test('module file missing', async () => {
      await assert.rejects(
        openPkcs11Signer({ uri: 'pkcs11:token=t;object=k?module-path=/nonexistent/libnope.so', pin }),
        expectError('PKCS11_MODULE_NOT_FOUND', "PKCS#11 module '/nonexistent/libnope.so' not found", /install the vendor PKCS#11 library or pass the right --pkcs11-module path/i),
      );
      await assert.rejects(listPkcs11Tokens('/nonexistent/libnope.so'), expectError('PKCS11_MODULE_NOT_FOUND', "PKCS#11 module '/nonexistent/libnope.so' not found"));
    });

    test('module file that is not a PKCS#11 library', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'coldroot-notmodule-'));
      try {
        const fake = join(dir, 'fake.so');
        writeFileSync(fake, 'not a shared library');
        const notLibraries = [fake, ...['/usr/lib/x86_64-linux-gnu/libz.so.1', '/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/aarch64-linux-gnu/libz.so.1'].filter(existsSync).slice(0, 1)];
        for (const p of notLibraries) {
          await assert.rejects(
            openPkcs11Signer({ uri: `pkcs11:token=t;object=k?module-path=${p}`, pin }),
            expectError('PKCS11_MODULE_NOT_FOUND', new RegExp(`^PKCS#11 module '${escape(p)}' could not be loaded as a PKCS#11 library: .+`), /--pkcs11-module/),
          );
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('no token with that label', async () => {
      await assert.rejects(
        openPkcs11Signer({ uri: uriFor('token=no-such-token;object=k'), pin }),
        expectError('PKCS11_TOKEN_NOT_FOUND', `No token labelled 'no-such-token' in PKCS#11 module '${modulePath}'`, new RegExp(`pkcs11-tool --module ${escape(modulePath)} -L .*'${tokenLabel}'`)),
      );
    });

    test('wrong PIN on a fresh login', async () => {
      assert.equal(openTokenSessionCount(), 0, 'no session: this goes to C_Login');
      await assert.rejects(
        openPkcs11Signer({ uri: uriFor(`token=${tokenLabel};object=taken`), pin: '000000' }),
        expectError('PKCS11_PIN_INCORRECT', `Incorrect user PIN for token '${tokenLabel}'`, /repeated failures may lock the token/),
      );
      assert.equal(openTokenSessionCount(), 0, 'a failed login leaves no session behind');
    });

    test('wrong PIN while another signer of the token is logged in', async () => {
      const open = await openPkcs11Signer({ uri: uriFor(`token=${tokenLabel};object=taken`), pin });
      try {
        // PKCS#11 would answer CKR_USER_ALREADY_LOGGED_IN without checking this PIN.
        await assert.rejects(
          openPkcs11Signer({ uri: uriFor(`token=${tokenLabel};object=taken`), pin: '000000' }),
          expectError('PKCS11_PIN_INCORRECT', `Incorrect user PIN for token '${tokenLabel}'`, /repeated failures may lock the token/),
        );
      } finally {
        await open.close();
      }
    });

    test('PIN locked', async () => {
      await assert.rejects(
        openPkcs11Signer({ uri: uriFor('token=locked-token;object=k'), pin }),
        expectError('PKCS11_PIN_LOCKED', "The user PIN of token 'locked-token' is locked", /security officer must reset the user PIN/),
      );
      await assert.rejects(generatePkcs11Key({ modulePath, tokenLabel: 'locked-token', pin, label: 'x', algorithm: 'ecdsa-p256' }), expectError('PKCS11_PIN_LOCKED', "The user PIN of token 'locked-token' is locked"));
    });

    test('no key with that label or id', async () => {
      await assert.rejects(
        openPkcs11Signer({ uri: uriFor(`token=${tokenLabel};object=absent`), pin }),
        expectError('PKCS11_KEY_NOT_FOUND', `No private key with label 'absent' on token '${tokenLabel}' (module ${modulePath})`, /--list-objects/),
      );
      await assert.rejects(
        openPkcs11Signer({ uri: uriFor(`token=${tokenLabel};id=%DE%AD`), pin }),
        expectError('PKCS11_KEY_NOT_FOUND', `No private key with id dead on token '${tokenLabel}' (module ${modulePath})`),
      );
      assert.equal(openTokenSessionCount(), 0, 'a failed open releases its session');
    });

    test('private key without its public key object', async () => {
      const s = await generate('ecdsa-p256', 'lost-public');
      const id = parsePkcs11Uri(s.keyUri).id!;
      await s.close();
      const t = await acquireTokenSession(modulePath, { token: tokenLabel }, pin);
      await t.queue.run(() => assert.equal(t.session.destroy({ class: ObjectClass.PUBLIC_KEY, label: 'lost-public' }), 1));
      await t.release();
      await assert.rejects(
        openPkcs11Signer({ uri: uriFor(`token=${tokenLabel};object=lost-public`), pin }),
        expectError('PKCS11_KEY_NOT_FOUND', `No public key with label 'lost-public' and id ${Buffer.from(id).toString('hex')} on token '${tokenLabel}' (module ${modulePath})`, /public key object/),
      );
    });

    test('a key of an algorithm Coldroot does not sign with (RSA-2048)', async () => {
      const t = await acquireTokenSession(modulePath, { token: tokenLabel }, pin);
      await t.queue.run(() => {
        const common = { token: true, label: 'rsa-2048-key', id: Buffer.from([0x20, 0x48]), keyType: KeyType.RSA };
        t.session.generateKeyPair(
          'RSA_PKCS_KEY_PAIR_GEN',
          { ...common, class: ObjectClass.PUBLIC_KEY, verify: true, modulusBits: 2048, publicExponent: Buffer.from([1, 0, 1]) },
          { ...common, class: ObjectClass.PRIVATE_KEY, private: true, sensitive: true, extractable: false, sign: true },
        );
      });
      await t.release();
      await assert.rejects(
        openPkcs11Signer({ uri: uriFor(`token=${tokenLabel};object=rsa-2048-key`), pin }),
        expectError('PKCS11_ALGORITHM_UNSUPPORTED', `Key 'rsa-2048-key' (id 2048) on token '${tokenLabel}' is RSA-2048, which Coldroot does not sign with`, /rsa-3072/),
      );
    });
  });

  describe('PKCS#11 token sessions', () => {
    test('signers of one token share one session; concurrent signing on two keys is serialised, not CKR_OPERATION_ACTIVE', async () => {
      const a = await generate('ecdsa-p256');
      const b = await generate('ecdsa-p384');
      // Logging in again (CKR_USER_ALREADY_LOGGED_IN underneath) joins the session.
      const a2 = await openPkcs11Signer({ uri: a.keyUri, pin });
      assert.equal(openTokenSessionCount(), 1);
      const [ka, kb] = [await publicKeyOf(a), await publicKeyOf(b)];
      const msgs = Array.from({ length: 100 }, (_, i) => new TextEncoder().encode(`interleaved ${i}`));
      const [sa, sb, sa2] = await Promise.all([Promise.all(msgs.map((m) => a.sign(m))), Promise.all(msgs.map((m) => b.sign(m))), a2.signMany(msgs)]);
      msgs.forEach((m, i) => {
        assert.ok(verifies(ka, 'ecdsa-p256', m, sa[i]));
        assert.ok(verifies(kb, 'ecdsa-p384', m, sb[i]));
        assert.ok(verifies(ka, 'ecdsa-p256', m, sa2[i]));
      });
      await a.close();
      assert.ok(verifies(ka, 'ecdsa-p256', msgs[0], await a2.sign(msgs[0])), 'closing one signer leaves the others working');
      await a2.close();
      await b.close();
      assert.equal(openTokenSessionCount(), 0);
      assert.equal(loadedModuleCount(), 0, 'the last close finalises the module');
    });

    test('open, sign, close, open again works', async () => {
      const s = await generate('ecdsa-p256');
      const uri = s.keyUri;
      const key = await publicKeyOf(s);
      await s.close();
      for (let round = 0; round < 3; round++) {
        const again = await openPkcs11Signer({ uri, pin });
        assert.equal(openTokenSessionCount(), 1);
        const data = new TextEncoder().encode(`round ${round}`);
        assert.ok(verifies(key, 'ecdsa-p256', data, await again.sign(data)));
        await again.close();
        assert.equal(openTokenSessionCount(), 0);
      }
    });

    test('close() lets calls already accepted finish, then refuses new ones', async () => {
      const s = await generate('ecdsa-p256');
      const key = await publicKeyOf(s);
      const msgs = Array.from({ length: 50 }, (_, i) => new TextEncoder().encode(`before close ${i}`));
      const pending = msgs.map((m) => s.sign(m));
      const closing = s.close();
      await assert.rejects(s.signMany(msgs), expectErrorClosed(s.keyUri));
      const sigs = await Promise.all(pending);
      await closing;
      sigs.forEach((sig, i) => assert.ok(verifies(key, 'ecdsa-p256', msgs[i], sig)));
      assert.equal(openTokenSessionCount(), 0);
    });

    test('a signing operation left active on the shared session (SoftHSM keeps one after a failed C_Sign) does not poison the token', async () => {
      const s = await generate('ecdsa-p256', 'survives-failed-sign');
      const key = await publicKeyOf(s);
      const t = await acquireTokenSession(modulePath, { token: tokenLabel }, pin);
      try {
        for (const next of ['sign', 'signMany'] as const) {
          await t.queue.run(() => {
            const priv = t.session.find({ class: ObjectClass.PRIVATE_KEY, label: 'survives-failed-sign' }).items(0);
            // An empty buffer reaches C_Sign as NULL: CKR_ARGUMENTS_BAD, and SoftHSM leaves the operation active.
            assert.throws(() => t.session.createSign('ECDSA', priv.toType()).once(Buffer.alloc(0)), /CKR_ARGUMENTS_BAD/);
            assert.throws(() => t.session.createSign('ECDSA', priv.toType()), /CKR_OPERATION_ACTIVE/);
          });
          const data = new TextEncoder().encode(`after a failed operation, via ${next}`);
          const sig = next === 'sign' ? await s.sign(data) : (await s.signMany([data]))[0];
          assert.ok(verifies(key, 'ecdsa-p256', data, sig), next);
        }
      } finally {
        await t.release();
        await s.close();
      }
    });

    test('empty messages: ECDSA and RSA hash them first; Ed25519 refuses clearly and the token keeps working', async () => {
      for (const alg of ['ecdsa-p384', 'rsa-3072'] as const) {
        const s = await generate(alg);
        assert.ok(verifies(await publicKeyOf(s), alg, new Uint8Array(0), await s.sign(new Uint8Array(0))), alg);
        await s.close();
      }
      const ed = await generate('ed25519');
      try {
        await assert.rejects(ed.sign(new Uint8Array(0)), expectError('PKCS11_EMPTY_MESSAGE', `Key ${ed.keyUri} cannot sign an empty message: Ed25519 signs the message itself and the PKCS#11 binding cannot pass zero bytes`));
        await assert.rejects(ed.signMany([new Uint8Array([1]), new Uint8Array(0)]), expectError('PKCS11_EMPTY_MESSAGE', /cannot sign an empty message/));
        const data = new Uint8Array([1]);
        assert.ok(verify(null, data, await publicKeyOf(ed), await ed.sign(data)));
      } finally {
        await ed.close();
      }
    });

    test('listPkcs11Tokens shows initialised and free tokens', async () => {
      const tokens = await listPkcs11Tokens(modulePath);
      const ours = tokens.find((t) => t.label === tokenLabel);
      assert.deepEqual({ ...ours, slotId: undefined, serial: undefined }, { slotId: undefined, serial: undefined, label: tokenLabel, manufacturer: 'SoftHSM project', model: 'SoftHSM v2', initialized: true });
      assert.match(ours!.serial, /^[0-9a-f]{16}$/);
      assert.ok(tokens.some((t) => t.label === 'locked-token' && t.initialized));
      assert.ok(tokens.some((t) => !t.initialized), 'SoftHSM always offers one free slot');
      assert.equal(loadedModuleCount(), 0);
    });
  });

  describe('PKCS#11 signing throughput (SoftHSM2, direct sign through the queue)', () => {
    // Measured here; COLDROOT_PKCS11_BENCH_MS=2000 for steadier figures. The floors catch a signer
    // that, say, reopens the session per signature, while staying far below the measured rates.
    const benchMs = Number(process.env.COLDROOT_PKCS11_BENCH_MS ?? 500);
    for (const [alg, floor] of [['ecdsa-p256', 2000], ['rsa-3072', 50]] as const) {
      test(`${alg}: signatures per second`, async () => {
        const s = await generate(alg);
        try {
          const key = await publicKeyOf(s);
          const batch = Array.from({ length: alg === 'ecdsa-p256' ? 2000 : 50 }, (_, i) => new TextEncoder().encode(`tbs ${i}`));
          let count = 0;
          let sigs: Uint8Array[] = [];
          const start = performance.now();
          while (performance.now() - start < benchMs) {
            sigs = await s.signMany(batch);
            count += sigs.length;
          }
          const perSecond = count / ((performance.now() - start) / 1000);
          const queuedStart = performance.now();
          const queued = await Promise.all(batch.map((m) => s.sign(m)));
          const queuedPerSecond = queued.length / ((performance.now() - queuedStart) / 1000);
          console.log(`PKCS#11 ${alg} on SoftHSM2: signMany ${Math.round(perSecond)} signatures/s (${count} in ${benchMs} ms); concurrent sign() ${Math.round(queuedPerSecond)}/s`);
          for (const i of [0, batch.length - 1]) {
            assert.ok(verifies(key, alg, batch[i], sigs[i]));
            assert.ok(verifies(key, alg, batch[i], queued[i]));
          }
          assert.ok(perSecond > floor, `${Math.round(perSecond)}/s is below ${floor}/s`);
        } finally {
          await s.close();
        }
      });
    }
  });
}

function expectErrorClosed(keyUri: string) {
  return (e: unknown) => {
    assert.ok(e instanceof ColdrootError);
    assert.equal(e.code, 'SIGNER_CLOSED');
    assert.equal(e.message, `Key ${keyUri} was closed`);
    return true;
  };
}
