import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnSerializer } from '@peculiar/asn1-schema';
import * as asn1 from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { AT, issue, type TestCert } from './test-pki.js';
import { validatePath } from './validate-path.js';

const P1 = '1.3.6.1.4.1.99999.1';
const P2 = '1.3.6.1.4.1.99999.2';
const ANY_POLICY = '2.5.29.32.0';

const int = (n: number) => new Uint8Array([n]).buffer;
const policies = (...ids: string[]) =>
  new x509.Extension(asn1.id_ce_certificatePolicies, false, AsnSerializer.serialize(new asn1.CertificatePolicies(ids.map((policyIdentifier) => new asn1.PolicyInformation({ policyIdentifier })))));
const requireExplicit = (skip: number, critical = true) =>
  new x509.Extension(asn1.id_ce_policyConstraints, critical, AsnSerializer.serialize(new asn1.PolicyConstraints({ requireExplicitPolicy: int(skip) })));
const mapping = (issuerDomainPolicy: string, subjectDomainPolicy: string) =>
  new x509.Extension(asn1.id_ce_policyMappings, true, AsnSerializer.serialize(new asn1.PolicyMappings([Object.assign(new asn1.PolicyMapping(), { issuerDomainPolicy, subjectDomainPolicy })])));

describe('certificate policies (RFC 5280 §6.1.3 (d)–(f), §6.1.4)', () => {
  let root: TestCert;
  before(async () => {
    root = await issue('CN=Root', { ca: true });
  });
  const outcome = (leaf: TestCert, ica: TestCert) => {
    const r = validatePath({ leaf: leaf.der, intermediates: [ica.der], trustAnchors: [root.der], at: AT });
    return r.ok ? 'ok' : `${r.code}: ${r.message}`;
  };

  test('without requireExplicitPolicy, policies never fail a path', async () => {
    const ica = await issue('CN=ICA', { ca: true, issuer: root, extensions: [policies(P1)] });
    assert.equal(outcome(await issue('CN=leaf', { issuer: ica }), ica), 'ok');
  });

  test('requireExplicitPolicy 0 demands a policy common to the rest of the path', async () => {
    const ica = await issue('CN=ICA', { ca: true, issuer: root, extensions: [policies(P1), requireExplicit(0)] });
    assert.equal(outcome(await issue('CN=leaf', { issuer: ica, extensions: [policies(P1)] }), ica), 'ok');
    assert.equal(
      outcome(await issue('CN=leaf', { issuer: ica, extensions: [policies(P2)] }), ica),
      "POLICY: 'CN=ICA' requires an explicit certificate policy, but no policy is valid down to certificate 'CN=leaf'",
    );
    assert.match(outcome(await issue('CN=leaf', { issuer: ica }), ica), /^POLICY: /);
  });

  test('anyPolicy in the issuer accepts any leaf policy; mappings translate policies', async () => {
    const anyIca = await issue('CN=ICA', { ca: true, issuer: root, extensions: [policies(ANY_POLICY), requireExplicit(0)] });
    assert.equal(outcome(await issue('CN=leaf', { issuer: anyIca, extensions: [policies(P2)] }), anyIca), 'ok');
    const mapIca = await issue('CN=ICA', { ca: true, issuer: root, extensions: [policies(P1), mapping(P1, P2), requireExplicit(0)] });
    assert.equal(outcome(await issue('CN=leaf', { issuer: mapIca, extensions: [policies(P2)] }), mapIca), 'ok');
    assert.match(outcome(await issue('CN=leaf', { issuer: mapIca, extensions: [policies(P1)] }), mapIca), /^POLICY: /);
  });

  test('a non-critical policyConstraints extension is a profile violation', async () => {
    const ica = await issue('CN=ICA', { ca: true, issuer: root, extensions: [policies(P1), requireExplicit(0, false)] });
    assert.equal(outcome(await issue('CN=leaf', { issuer: ica, extensions: [policies(P1)] }), ica), "PROFILE_VIOLATION: certificate 'CN=ICA' marks policyConstraints non-critical");
  });
});
