import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ColdrootError } from '../errors.js';
import { formatPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';

function rejects(uri: string, message: string, hint?: RegExp): void {
  assert.throws(() => parsePkcs11Uri(uri), (e: unknown) => {
    assert.ok(e instanceof ColdrootError, String(e));
    assert.equal(e.code, 'PKCS11_URI_INVALID');
    assert.equal(e.message, message);
    if (hint) assert.match(e.hint, hint);
    return true;
  });
}

describe('parsePkcs11Uri', () => {
  test('reads the key URI Coldroot writes', () => {
    const u = parsePkcs11Uri(`pkcs11:token=root-ca;object=root-2026;id=%01%02%fe;type=private?module-path=${MODULE}`);
    assert.deepEqual(u, { token: 'root-ca', object: 'root-2026', id: Uint8Array.from([1, 2, 0xfe]), type: 'private', modulePath: MODULE });
  });

  test('reads every supported path attribute and percent-decodes UTF-8', () => {
    const u = parsePkcs11Uri('pkcs11:token=Root%20CA%20%C3%A9;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;serial=2873cb4f;slot-id=0024516059;object=a=b:c');
    assert.deepEqual(u, { token: 'Root CA é', manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: '2873cb4f', slotId: '24516059', object: 'a=b:c' });
  });

  test('accepts unencoded id characters and an upper-case scheme', () => {
    assert.deepEqual(parsePkcs11Uri('PKCS11:id=ab').id, Uint8Array.from([0x61, 0x62]));
  });

  test('rejects an unknown attribute by name', () => {
    rejects('pkcs11:token=a;colour=red', "Invalid PKCS#11 URI 'pkcs11:token=a;colour=red' for --key: unknown attribute 'colour'", /supported path attributes: token, manufacturer, model, serial, slot-id, object, id, type/);
  });

  test('rejects RFC 7512 attributes Coldroot does not act on', () => {
    rejects('pkcs11:token=a;slot-description=x', "Invalid PKCS#11 URI 'pkcs11:token=a;slot-description=x' for --key: attribute 'slot-description' is not supported");
    rejects('pkcs11:token=a?module-name=softhsm2', "Invalid PKCS#11 URI 'pkcs11:token=a?module-name=softhsm2' for --key: attribute 'module-name' is not supported");
  });

  test('rejects a PIN in the URI without repeating it', () => {
    for (const attr of ['pin-value', 'pin-source']) {
      assert.throws(() => parsePkcs11Uri(`pkcs11:token=a;object=k?module-path=/m.so&${attr}=123456`), (e: unknown) => {
        assert.ok(e instanceof ColdrootError);
        assert.equal(e.code, 'PKCS11_URI_INVALID');
        assert.equal(e.message, `PKCS#11 URI 'pkcs11:token=a;object=k?module-path=/m.so&${attr}=<redacted>' for --key carries '${attr}'; Coldroot never takes a PIN from a URI`);
        assert.ok(!JSON.stringify(e.toJSON()).includes('123456'));
        return true;
      });
    }
  });

  test('rejects attributes in the wrong part, repeated, empty or malformed', () => {
    rejects('pkcs11:module-path=/m.so', "Invalid PKCS#11 URI 'pkcs11:module-path=/m.so' for --key: 'module-path' belongs in the query (after ?)");
    rejects('pkcs11:?token=a', "Invalid PKCS#11 URI 'pkcs11:?token=a' for --key: 'token' belongs in the path (before ?)");
    rejects('pkcs11:token=a;token=b', "Invalid PKCS#11 URI 'pkcs11:token=a;token=b' for --key: attribute 'token' appears more than once");
    rejects('pkcs11:token=', "Invalid PKCS#11 URI 'pkcs11:token=' for --key: attribute 'token' is empty");
    rejects('pkcs11:token=a;', "Invalid PKCS#11 URI 'pkcs11:token=a;' for --key: empty attribute in the path (doubled or trailing ';')");
    rejects('pkcs11:token', "Invalid PKCS#11 URI 'pkcs11:token' for --key: attribute 'token' in the path has no name=value form");
    rejects('pkcs11:type=secret', "Invalid PKCS#11 URI 'pkcs11:type=secret' for --key: type 'secret' is not one of public, private, cert, secret-key, data");
    rejects('pkcs11:slot-id=0x1', "Invalid PKCS#11 URI 'pkcs11:slot-id=0x1' for --key: slot-id '0x1' is not a decimal number");
    rejects('pkcs11:token=a?module-path=lib.so', "Invalid PKCS#11 URI 'pkcs11:token=a?module-path=lib.so' for --key: module-path 'lib.so' is not an absolute path");
  });

  test('rejects unencoded reserved characters and bad percent-encoding', () => {
    rejects('pkcs11:token=Root CA', "Invalid PKCS#11 URI 'pkcs11:token=Root CA' for --key: character ' ' in 'token' must be percent-encoded as %20");
    rejects('pkcs11:object=a/b', "Invalid PKCS#11 URI 'pkcs11:object=a/b' for --key: character '/' in 'object' must be percent-encoded as %2F");
    rejects('pkcs11:id=%0g', "Invalid PKCS#11 URI 'pkcs11:id=%0g' for --key: bad percent-encoding '%0g' in 'id'");
    rejects('pkcs11:token=%ff', "Invalid PKCS#11 URI 'pkcs11:token=%ff' for --key: 'token' is not valid UTF-8 after percent-decoding");
    rejects('pkcs11:token=a#frag', "Invalid PKCS#11 URI 'pkcs11:token=a#frag' for --key: a fragment ('#') is not allowed; percent-encode '#' as %23");
    rejects('pkcs12:token=a', "Invalid PKCS#11 URI 'pkcs12:token=a' for --key: it must start with 'pkcs11:'");
  });

  test('names the input the URI came from', () => {
    assert.throws(() => parsePkcs11Uri('x', '--issuer-key'), /for --issuer-key:/);
  });
});

describe('formatPkcs11Uri', () => {
  test('writes attributes in a fixed order, every id byte encoded', () => {
    const uri = formatPkcs11Uri({ type: 'private', id: Uint8Array.from([1, 2, 0xab]), object: 'root-2026', token: 'root-ca', modulePath: MODULE });
    assert.equal(uri, `pkcs11:token=root-ca;object=root-2026;id=%01%02%AB;type=private?module-path=${MODULE}`);
  });

  test('percent-encodes what RFC 7512 reserves, including & in the path', () => {
    assert.equal(formatPkcs11Uri({ token: 'Root CA/1 & 2;é', object: 'a=b', modulePath: '/opt/HSM vendor/lib.so' }), 'pkcs11:token=Root%20CA%2F1%20%26%202%3B%C3%A9;object=a=b?module-path=/opt/HSM%20vendor/lib.so');
  });

  test('round-trips through parse for awkward values', () => {
    const cases: Pkcs11Uri[] = [
      { token: 'a;b?c&d%e#f', manufacturer: 'Vendor, Inc.', model: 'M (2)', serial: '0001', slotId: '18446744073709551615', object: 'k 1', id: Uint8Array.from([0, 255, 37]), type: 'private', modulePath: '/p/a?b|c&d.so' },
      { object: 'only' },
      {},
    ];
    for (const u of cases) {
      const uri = formatPkcs11Uri(u);
      assert.deepEqual(parsePkcs11Uri(uri), u, uri);
      assert.equal(formatPkcs11Uri(parsePkcs11Uri(uri)), uri);
    }
  });
});
