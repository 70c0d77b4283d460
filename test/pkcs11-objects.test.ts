import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ObjectClass } from 'graphene-pk11';
import { keyAlgorithmInfo, type KeyAlgorithm } from '../core/keys/key-algorithm.js';
import { generatePkcs11Key } from '../core/keys/pkcs11-keygen.js';
import { pkcs11ErrorCode } from '../core/keys/pkcs11-module.js';
import { acquireTokenSession } from '../core/keys/pkcs11-token-session.js';
import { parsePkcs11Uri } from '../core/keys/pkcs11-uri.js';
import { addSoftHsmToken, createSoftHsmToken, softHsmAvailable } from './helpers/softhsm.js';

/*
 * What other tools see of the keys Coldroot generates on a token: pkcs11-tool (OpenSC) in another
 * process lists their attributes, the module itself refuses to reveal or wrap them, and OpenSSL's
 * PKCS#11 engine (libp11) finds and signs with the key the Coldroot key URI names.
 */

interface ListedObject {
  kind: string;
  props: Map<string, string>;
}

/** Parses `pkcs11-tool --list-objects`: a header line per object, then indented `name: value` lines. */
function parseObjects(out: string): ListedObject[] {
  const objects: ListedObject[] = [];
  for (const line of out.split('\n')) {
    if (/^\S.*Object;/.test(line)) objects.push({ kind: line.trim(), props: new Map() });
    else {
      const m = /^\s+([A-Za-z_ ]+):\s*(.*)$/.exec(line);
      if (m && objects.length) objects[objects.length - 1].props.set(m[1].trim(), m[2].trim());
    }
  }
  return objects;
}

const list = (s: string | undefined) => new Set((s ?? '').split(',').map((x) => x.trim()).filter(Boolean));

const CKA_VALUE = 0x11;
const CKA_PRIVATE_EXPONENT = 0x123;
const CKR_ATTRIBUTE_SENSITIVE = 0x11;
const CKR_ATTRIBUTE_READ_ONLY = 0x10;
const CKR_KEY_UNEXTRACTABLE = 0x6a;
const CKM_AES_KEY_WRAP_PAD = 0x210a;

const ENGINE = ['/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so', '/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so'].find(existsSync);

const available = softHsmAvailable();
const pkcs11Tool = spawnSync('pkcs11-tool', ['--help'], { encoding: 'utf8' });

if (!available.ok || pkcs11Tool.error) {
  test('PKCS#11 objects as other tools see them', { skip: available.ok ? 'pkcs11-tool (opensc) is not installed' : available.reason }, () => {});
} else {
  const hsm = createSoftHsmToken({ label: 'coldroot-objects' });
  // Ed25519 on a token of its own: libp11 0.4.12 (Debian 12) cannot enumerate the private keys
  // of a token that holds an Ed25519 key (and then crashes), which would hide the others from OpenSSL.
  const edToken = 'ed25519-keys'; // not 'coldroot-objects-…': pkcs11-tool --token-label matches a prefix
  addSoftHsmToken(hsm, { label: edToken });
  process.env.SOFTHSM2_CONF = hsm.confPath;
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-pkcs11-objects-'));
  after(() => {
    hsm.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const algorithms: KeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'ed25519'];
  const tokenOf = (alg: KeyAlgorithm) => (alg === 'ed25519' ? edToken : hsm.label);
  const keys: Array<{ alg: KeyAlgorithm; token: string; label: string; idHex: string; keyUri: string; spki: Uint8Array }> = [];
  const tool = (token: string, ...args: string[]) => spawnSync('pkcs11-tool', ['--module', hsm.modulePath, '--token-label', token, '--login', '--pin', hsm.pin, ...args], { env: hsm.env, encoding: 'utf8', cwd: dir });
  const listed = (type: 'privkey' | 'pubkey') =>
    [hsm.label, edToken].flatMap((token) => {
      const r = tool(token, '--list-objects', '--type', type);
      assert.equal(r.status, 0, r.stderr);
      return parseObjects(r.stdout).map((o) => ({ ...o, token, raw: r.stdout }));
    });

  describe('keys generated on the token', () => {
    before(async () => {
      for (const alg of algorithms) {
        const signer = await generatePkcs11Key({ modulePath: hsm.modulePath, tokenLabel: tokenOf(alg), pin: hsm.pin, label: `ca-${alg}`, algorithm: alg });
        keys.push({ alg, token: tokenOf(alg), label: `ca-${alg}`, idHex: Buffer.from(parsePkcs11Uri(signer.keyUri).id!).toString('hex'), keyUri: signer.keyUri, spki: await signer.publicKey() });
        await signer.close();
      }
    });

    test('pkcs11-tool lists every private key as sensitive, never extractable, generated on the token, for signing only', () => {
      const objects = listed('privkey');
      assert.equal(objects.length, keys.length, objects.map((o) => o.raw).join('\n'));
      for (const k of keys) {
        const o = objects.find((x) => x.token === k.token && x.props.get('label') === k.label);
        assert.ok(o, `${k.label} listed on ${k.token}`);
        assert.match(o.kind, /^Private Key Object;/);
        assert.equal(o.props.get('ID'), k.idHex);
        const access = list(o.props.get('Access'));
        for (const flag of ['sensitive', 'always sensitive', 'never extractable', 'local']) assert.ok(access.has(flag), `${k.label} Access lacks '${flag}': ${o.props.get('Access')}`);
        assert.ok(!access.has('extractable'), `${k.label} is extractable`);
        assert.deepEqual([...list(o.props.get('Usage'))], ['sign'], `${k.label} Usage`);
      }
    });

    test('pkcs11-tool lists the public key object beside each private key, with the same label and ID', () => {
      const objects = listed('pubkey');
      for (const k of keys) {
        const o = objects.find((x) => x.token === k.token && x.props.get('label') === k.label);
        assert.ok(o, `${k.label} public key listed on ${k.token}`);
        assert.match(o.kind, /^Public Key Object;/);
        assert.equal(o.props.get('ID'), k.idHex);
        assert.ok(list(o.props.get('Usage')).has('verify'));
      }
    });

    test('the private keys cannot be read out, unlocked or wrapped', async () => {
      for (const k of keys) {
        const out = join(dir, `${k.label}.der`);
        const r = tool(k.token, '--read-object', '--type', 'privkey', '--id', k.idHex, '--output-file', out);
        assert.ok(!existsSync(out), `pkcs11-tool wrote ${out}: ${r.stdout}${r.stderr}`);
      }
      // The module itself, on the same objects: values are sensitive, the flags are one-way, and
      // wrapping (the only way a key leaves a token) is refused.
      for (const token of [hsm.label, edToken]) {
        const t = await acquireTokenSession(hsm.modulePath, { token }, hsm.pin);
        try {
          await t.queue.run(() => {
            const wrappingKey = t.session.generateKey('AES_KEY_GEN', { class: ObjectClass.SECRET_KEY, token: false, valueLen: 32, wrap: true, extractable: true });
            const refused = (what: string, code: number, f: () => unknown) =>
              assert.throws(f, (e: unknown) => {
                assert.equal(pkcs11ErrorCode(e), code, `${what}: ${String(e)}`);
                return true;
              });
            for (const k of keys.filter((x) => x.token === token)) {
              const priv = t.session.find({ class: ObjectClass.PRIVATE_KEY, label: k.label }).items(0).toType();
              const secret = keyAlgorithmInfo(k.alg).family === 'rsa' ? CKA_PRIVATE_EXPONENT : CKA_VALUE;
              refused(`${k.label} read`, CKR_ATTRIBUTE_SENSITIVE, () => priv.getAttribute(secret));
              refused(`${k.label} extractable=true`, CKR_ATTRIBUTE_READ_ONLY, () => priv.setAttribute({ extractable: true }));
              refused(`${k.label} sensitive=false`, CKR_ATTRIBUTE_READ_ONLY, () => priv.setAttribute({ sensitive: false }));
              refused(`${k.label} wrap`, CKR_KEY_UNEXTRACTABLE, () => t.session.wrapKey(CKM_AES_KEY_WRAP_PAD, wrappingKey, priv as never));
            }
          });
        } finally {
          await t.release();
        }
      }
    });

    test('OpenSSL (libp11 engine) signs with the key the Coldroot URI names, and the signature verifies against publicKey()', { skip: ENGINE ? false : 'libengine-pkcs11-openssl is not installed' }, () => {
      // libp11 takes RFC 7512's path but not the module-path query: the module goes in its config.
      const conf = join(dir, 'openssl-pkcs11.cnf');
      writeFileSync(conf, `openssl_conf = init\n[init]\nengines = engines\n[engines]\npkcs11 = pkcs11\n[pkcs11]\nengine_id = pkcs11\ndynamic_path = ${ENGINE}\nMODULE_PATH = ${hsm.modulePath}\ninit = 0\n`);
      const data = join(dir, 'tbs.bin');
      writeFileSync(data, 'to be signed by openssl through the token');
      for (const k of keys.filter((x) => x.token === hsm.label)) {
        const hash = keyAlgorithmInfo(k.alg).hash!;
        const sig = join(dir, `${k.label}.sig`);
        const path = k.keyUri.slice(0, k.keyUri.indexOf('?'));
        const r = spawnSync('openssl', ['dgst', `-${hash}`, '-engine', 'pkcs11', '-keyform', 'engine', '-sign', path, '-passin', `pass:${hsm.pin}`, '-out', sig, data], {
          env: { ...hsm.env, OPENSSL_CONF: conf },
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, `${k.label}: ${r.stdout}${r.stderr}`);
        const key = createPublicKey({ key: Buffer.from(k.spki), format: 'der', type: 'spki' });
        assert.ok(verify(hash, readFileSync(data), { key, dsaEncoding: 'der' }, readFileSync(sig)), k.label);
      }
    });
  });
}
