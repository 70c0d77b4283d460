import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostnameMismatch } from './hostname.js';
import { parseIpAddress } from './ip-address.js';
import type { GeneralNameValue } from './general-names.js';
import { AT, issue } from './test-pki.js';
import { validatePath } from './validate-path.js';

const dns = (value: string): GeneralNameValue => ({ kind: 'dns', value });
const ip = (text: string): GeneralNameValue => ({ kind: 'ip', bytes: parseIpAddress(text)! });
const matches = (host: string, ...sans: GeneralNameValue[]) => hostnameMismatch(host, sans) === null;

describe('hostname matching against subjectAltName', () => {
  test('DNS names match exactly, case-insensitively, with an optional trailing dot on the reference', () => {
    assert.ok(matches('example.com', dns('example.com')));
    assert.ok(matches('EXAMPLE.com', dns('example.COM')));
    assert.ok(matches('example.com.', dns('example.com')));
    assert.ok(!matches('example2.com', dns('example.com')));
    assert.ok(!matches('abc.example.com', dns('example.com')));
    assert.ok(!matches('example.com', dns('abc.example.com')));
  });

  test('a wildcard covers exactly one leftmost label', () => {
    assert.ok(matches('foo.example.com', dns('*.example.com')));
    assert.ok(!matches('example.com', dns('*.example.com')));
    assert.ok(!matches('foo.bar.example.com', dns('*.example.com')));
  });

  test('partial, non-leftmost and too-broad wildcards never match', () => {
    assert.ok(!matches('baz.example.com', dns('ba*.example.com')));
    assert.ok(!matches('foo.bar.example.com', dns('foo.*.example.com')));
    assert.ok(!matches('xn--bliss-1b3c148a.example.com', dns('xn--*-1b3c148a.example.com')));
    assert.ok(!matches('example.com', dns('*.com')));
    assert.ok(!matches('com', dns('*')));
  });

  test('SAN entries that are not preferred-name syntax never match', () => {
    assert.ok(!matches('foo_bar.example.com', dns('foo_bar.example.com')));
    assert.ok(!matches('example.com', dns('example.com.')));
    assert.match(hostnameMismatch('foo_bar.example.com', [dns('foo_bar.example.com')])!, /not a valid DNS name or IP address/);
  });

  test('IP literals match iPAddress entries only, by value', () => {
    assert.ok(matches('192.0.2.1', ip('192.0.2.1')));
    assert.ok(matches('2001:db8::1', ip('2001:0db8:0:0:0:0:0:1')));
    assert.ok(matches('[::1]', ip('::1')));
    assert.ok(matches('::ffff:192.0.2.1', ip('::ffff:c000:201')));
    assert.ok(!matches('192.0.2.2', ip('192.0.2.1')));
    assert.ok(!matches('8.8.8.8', dns('8.8.8.8')), 'an IP in a dNSName entry is not an IP identity');
    assert.ok(!matches('example.com', ip('192.0.2.1')));
  });

  test('the message lists the certificate names, or says there are none', () => {
    assert.equal(hostnameMismatch('a.example.com', [dns('b.example.com'), ip('192.0.2.1')]), 'is not valid for host name a.example.com (its names: DNS:b.example.com, IP:192.0.2.1)');
    assert.equal(hostnameMismatch('192.0.2.9', undefined), 'is not valid for IP address 192.0.2.9 (it has no subjectAltName)');
  });

  test('parseIpAddress accepts canonical literals only', () => {
    assert.deepEqual(Array.from(parseIpAddress('10.0.0.1')!), [10, 0, 0, 1]);
    assert.equal(parseIpAddress('192.168.001.001'), null);
    assert.equal(parseIpAddress('0xC0A80101'), null);
    assert.equal(parseIpAddress('example.com'), null);
    assert.equal(parseIpAddress('fe80::1%eth0'), null);
  });

  test('validatePath reports HOSTNAME_MISMATCH naming the leaf, and ignores the CN', async () => {
    const root = await issue('CN=Root', { ca: true });
    const leaf = await issue('CN=www.example.com', { issuer: root, san: [{ type: 'dns', value: 'api.example.com' }] });
    const r = validatePath({ leaf: leaf.der, trustAnchors: [root.der], at: AT, hostname: 'www.example.com' });
    assert.deepEqual(r, {
      ok: false,
      code: 'HOSTNAME_MISMATCH',
      message: "certificate 'CN=www.example.com' is not valid for host name www.example.com (its names: DNS:api.example.com)",
      certificate: 'CN=www.example.com',
    });
    assert.equal(validatePath({ leaf: leaf.der, trustAnchors: [root.der], at: AT, hostname: 'api.example.com' }).ok, true);
  });
});
