import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnParser } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { distinguishedName } from './distinguished-name.js';
import type { GeneralNameValue } from './general-names.js';
import { parseIpAddress } from './ip-address.js';
import {
  constrainedNames,
  nameConstraintsProblem,
  nameConstraintViolation,
  parseNameConstraints,
  type NameConstraintsValue,
} from './name-constraints.js';
import { AT, dirName, dnsName, emailName, ipName, issue, nameConstraintsExtension, type TestCert } from './test-pki.js';
import { validatePath } from './validate-path.js';

const dn = (text: string) => distinguishedName(AsnParser.parse(new x509.Name(text).toArrayBuffer(), Name));
const dns = (value: string): GeneralNameValue => ({ kind: 'dns', value });
const email = (value: string): GeneralNameValue => ({ kind: 'email', value });
const ipv = (text: string): GeneralNameValue => ({ kind: 'ip', bytes: parseIpAddress(text)! });
const ipc = (addr: string, mask: string): GeneralNameValue => ({
  kind: 'ip',
  bytes: new Uint8Array([...parseIpAddress(addr)!, ...parseIpAddress(mask)!]),
});
const check = (nc: NameConstraintsValue, ...names: GeneralNameValue[]) => nameConstraintViolation(nc, names, { remaining: 1000 });

describe('name constraints (RFC 5280 §4.2.1.10)', () => {
  test('dNSName: a constraint covers the name and its subdomains, by whole labels', () => {
    const nc = { permitted: [dns('example.com')], excluded: [dns('bad.example.com')] };
    assert.equal(check(nc, dns('example.com')), null);
    assert.equal(check(nc, dns('foo.bar.example.com')), null);
    assert.equal(check(nc, dns('notexample.com')), 'name DNS:notexample.com is not in any permitted subtree');
    assert.equal(check(nc, dns('x.bad.example.com')), 'name DNS:x.bad.example.com is in the excluded subtree DNS:bad.example.com');
  });

  test('wildcard SANs must lie wholly inside permitted subtrees and must not touch excluded ones', () => {
    assert.equal(check({ permitted: [dns('example.com')], excluded: [] }, dns('*.example.com')), null);
    assert.match(check({ permitted: [dns('foo.example.com')], excluded: [] }, dns('*.example.com'))!, /not in any permitted subtree/);
    assert.match(check({ permitted: [], excluded: [dns('bar.example.com')] }, dns('*.example.com'))!, /excluded subtree DNS:bar.example.com/);
    assert.equal(check({ permitted: [], excluded: [dns('a.b.example.com')] }, dns('*.example.com')), null);
  });

  test('iPAddress: address within network/mask, families never mix', () => {
    const nc = { permitted: [ipc('192.0.2.0', '255.255.255.0')], excluded: [ipc('192.0.2.128', '255.255.255.128')] };
    assert.equal(check(nc, ipv('192.0.2.1')), null);
    assert.equal(check(nc, ipv('192.0.3.1')), 'name IP:192.0.3.1 is not in any permitted subtree');
    assert.equal(check(nc, ipv('192.0.2.200')), 'name IP:192.0.2.200 is in the excluded subtree IP:192.0.2.128/25');
    assert.equal(check(nc, ipv('::ffff:192.0.2.1')), 'name IP:::ffff:c000:201 is not in any permitted subtree');
  });

  test('rfc822Name: mailbox, host and domain forms; asterisks are literal', () => {
    assert.equal(check({ permitted: [email('foo@example.com')], excluded: [] }, email('foo@EXAMPLE.com')), null);
    assert.match(check({ permitted: [email('foo@example.com')], excluded: [] }, email('Foo@example.com'))!, /not in any permitted/);
    assert.equal(check({ permitted: [email('example.com')], excluded: [] }, email('any@example.com')), null);
    assert.match(check({ permitted: [email('example.com')], excluded: [] }, email('any@sub.example.com'))!, /not in any permitted/);
    assert.equal(check({ permitted: [email('.example.com')], excluded: [] }, email('any@sub.example.com')), null);
    assert.match(check({ permitted: [email('*@example.com')], excluded: [] }, email('user@example.com'))!, /not in any permitted/);
    assert.equal(check({ permitted: [email('*@example.com')], excluded: [] }, email('*@example.com')), null);
  });

  test('directoryName: the constraint is an RDN prefix, compared case-insensitively', () => {
    const nc = { permitted: [{ kind: 'dn', name: dn('O=Acme, C=NL') } as GeneralNameValue], excluded: [] };
    assert.equal(check(nc, { kind: 'dn', name: dn('O=ACME, C=nl, CN=device 1') }), null);
    assert.match(check(nc, { kind: 'dn', name: dn('O=Other, C=NL, CN=x') })!, /not in any permitted subtree/);
  });

  test('names that cannot be checked fail instead of passing: malformed SANs and unsupported name forms', () => {
    assert.match(check({ permitted: [dns('example.com')], excluded: [] }, dns('.example.com'))!, /cannot be checked/);
    assert.match(check({ permitted: [ipc('192.0.2.0', '255.255.255.0')], excluded: [] }, { kind: 'ip', bytes: new Uint8Array(8) })!, /cannot be checked/);
    assert.match(check({ permitted: [email('example.com')], excluded: [] }, email('a@b@example.com'))!, /cannot be checked/);
    assert.match(check({ permitted: [], excluded: [{ kind: 'other', typeId: '1.2.3' }] }, { kind: 'other', typeId: '1.2.3' })!, /cannot be checked/);
  });

  test('constraints on one name form leave other forms alone', () => {
    const nc = { permitted: [ipc('192.0.2.0', '255.255.255.0')], excluded: [{ kind: 'other', typeId: '1.2.3' } as GeneralNameValue] };
    assert.equal(check(nc, dns('anything.example')), null);
  });

  test('invalid constraints are reported: wildcards and leading dots in dNSName, bad masks, bad mailboxes', () => {
    assert.equal(nameConstraintsProblem({ permitted: [dns('*.example.com')], excluded: [] }), "invalid dNSName constraint '*.example.com'");
    assert.equal(nameConstraintsProblem({ permitted: [dns('.example.com')], excluded: [] }), "invalid dNSName constraint '.example.com'");
    assert.match(nameConstraintsProblem({ permitted: [], excluded: [ipc('192.0.2.0', '255.0.255.0')] })!, /invalid iPAddress constraint/);
    assert.match(nameConstraintsProblem({ permitted: [ipv('192.0.2.1')], excluded: [] })!, /4 octets/);
    assert.equal(nameConstraintsProblem({ permitted: [email('a@b@example.com')], excluded: [] }), "invalid rfc822Name constraint 'a@b@example.com'");
    assert.equal(nameConstraintsProblem({ permitted: [dns('')], excluded: [] }), null, 'an empty dNSName constraint means "all names"');
  });

  test('parseNameConstraints keeps raw masks and rejects empty or bounded subtrees', () => {
    const ext = nameConstraintsExtension({ permitted: [dnsName('example.com'), ipName('10.0.0.0/8')], excluded: [emailName('x@example.com')] });
    const nc = parseNameConstraints(new Uint8Array(ext.value));
    assert.deepEqual(nc.permitted[0], dns('example.com'));
    assert.deepEqual(Array.from((nc.permitted[1] as { bytes: Uint8Array }).bytes), [10, 0, 0, 0, 255, 0, 0, 0]);
    assert.deepEqual(nc.excluded, [email('x@example.com')]);
    assert.throws(() => parseNameConstraints(new Uint8Array([0x30, 0x00])), /neither permitted nor excluded/);
    assert.throws(() => parseNameConstraints(new Uint8Array([0x30, 0x02, 0xa0, 0x00])), /GeneralSubtrees is empty/);
    // GeneralSubtree with maximum [1] 2
    const bounded = new Uint8Array([0x30, 0x0c, 0xa0, 0x0a, 0x30, 0x08, 0x82, 0x03, 0x61, 0x2e, 0x62, 0x81, 0x01, 0x02]);
    assert.throws(() => parseNameConstraints(bounded), /minimum\/maximum/);
  });

  test('constrainedNames: SANs, the subject DN and its emailAddress attributes, never the CN', () => {
    const subject = dn('CN=host.example.com, E=ops@example.com');
    const names = constrainedNames(subject, [dns('a.example.com')]);
    assert.deepEqual(names, [dns('a.example.com'), { kind: 'dn', name: subject }, email('ops@example.com')]);
    assert.deepEqual(constrainedNames(dn('CN=host.example.com'), undefined).map((n) => n.kind), ['dn']);
  });
});

describe('name constraints along a chain', () => {
  let root: TestCert;
  before(async () => {
    root = await issue('CN=Constrained Root', {
      ca: true,
      nameConstraints: { permitted: [dnsName('example.com'), dirName('CN=Constrained Root'), dirName('O=Acme')], excluded: [dnsName('secret.example.com')] },
    });
  });

  test('a leaf inside the permitted subtree validates', async () => {
    const leaf = await issue('O=Acme, CN=www', { issuer: root, san: [{ type: 'dns', value: 'www.example.com' }] });
    assert.equal(validatePath({ leaf: leaf.der, trustAnchors: [root.der], at: AT }).ok, true);
  });

  test("the anchor's constraints apply, naming the leaf, the issuer and the name", async () => {
    const leaf = await issue('O=Acme, CN=www', { issuer: root, san: [{ type: 'dns', value: 'www.example.org' }] });
    assert.deepEqual(validatePath({ leaf: leaf.der, trustAnchors: [root.der], at: AT }), {
      ok: false,
      code: 'NAME_CONSTRAINTS',
      message: "certificate 'O=Acme, CN=www' violates the name constraints of 'CN=Constrained Root': name DNS:www.example.org is not in any permitted subtree",
      certificate: 'O=Acme, CN=www',
    });
  });

  test('excluded subtrees win over permitted ones', async () => {
    const leaf = await issue('O=Acme, CN=s', { issuer: root, san: [{ type: 'dns', value: 'db.secret.example.com' }] });
    const r = validatePath({ leaf: leaf.der, trustAnchors: [root.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.code, 'NAME_CONSTRAINTS');
  });

  test('directoryName constraints apply to the subject', async () => {
    const leaf = await issue('O=Other, CN=www', { issuer: root, san: [{ type: 'dns', value: 'www.example.com' }] });
    const r = validatePath({ leaf: leaf.der, trustAnchors: [root.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.message, "certificate 'O=Other, CN=www' violates the name constraints of 'CN=Constrained Root': name DirName:O=Other, CN=www is not in any permitted subtree");
  });

  test('self-issued intermediates are exempt, the leaf is not', async () => {
    const rolled = await issue('CN=Constrained Root', { ca: true, issuer: root, san: [{ type: 'dns', value: 'ca.example.net' }] });
    const good = await issue('O=Acme, CN=a', { issuer: rolled, san: [{ type: 'dns', value: 'a.example.com' }] });
    assert.equal(validatePath({ leaf: good.der, intermediates: [rolled.der], trustAnchors: [root.der], at: AT }).ok, true);
    const r = validatePath({ leaf: rolled.der, trustAnchors: [root.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.code, 'NAME_CONSTRAINTS');
  });

  test('an intermediate constraint narrows, never widens, the root constraint', async () => {
    const ica = await issue('O=Acme, CN=ICA', { ca: true, issuer: root, nameConstraints: { permitted: [dnsName('example.com'), dnsName('example.net')] } });
    const leaf = await issue('O=Acme, CN=n', { issuer: ica, san: [{ type: 'dns', value: 'n.example.net' }] });
    const r = validatePath({ leaf: leaf.der, intermediates: [ica.der], trustAnchors: [root.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.code, 'NAME_CONSTRAINTS');
  });

  test('unusable constraint syntax fails the CA that carries it', async () => {
    const bad = await issue('CN=Bad NC Root', { ca: true, nameConstraints: { permitted: [dnsName('.example.com')] } });
    const leaf = await issue('CN=x', { issuer: bad, san: [{ type: 'dns', value: 'x.example.com' }] });
    const r = validatePath({ leaf: leaf.der, trustAnchors: [bad.der], at: AT });
    assert.deepEqual(r.ok ? 'ok' : [r.code, r.certificate], ['NAME_CONSTRAINTS', 'CN=Bad NC Root']);
  });

  test('nameConstraints on an end-entity certificate is a profile violation', async () => {
    const leaf = await issue('CN=ee', { issuer: root, san: [{ type: 'dns', value: 'ee.example.com' }], extensions: [nameConstraintsExtension({ permitted: [dnsName('example.com')] })] });
    const r = validatePath({ leaf: leaf.der, trustAnchors: [root.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.message, "certificate 'CN=ee' carries nameConstraints without being a CA");
  });
});
