import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { AT, dnsName, issue, makeCrl, simplePki, toPem, type TestCert } from './test-pki.js';
import { validatePath } from './validate-path.js';

/**
 * The same chains through validatePath and `openssl verify`: both must accept or reject, and
 * for a rejection OpenSSL must give the matching reason.
 */
interface Scenario {
  name: string;
  leaf: TestCert;
  intermediates: TestCert[];
  root: TestCert;
  crls?: Uint8Array[];
  at?: Date;
  hostname?: string;
  purpose?: 'serverAuth';
  /** Expected validatePath code (undefined: success) and OpenSSL's error text for it. */
  code?: string;
  openssl?: string;
}

describe('agreement with openssl verify', () => {
  let dir: string;
  const scenarios: Scenario[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldroot-path-'));
    const { root, intermediate, leaf } = await simplePki();
    const chain = { leaf, intermediates: [intermediate], root };
    const revoked = await makeCrl(intermediate, { revoked: [{ serial: leaf.cert.serialNumber }] });
    const clean = await makeCrl(intermediate);
    const rootCrl = await makeCrl(root);
    const stale = await makeCrl(intermediate, { thisUpdate: new Date('2025-10-01T00:00:00Z'), nextUpdate: new Date('2025-11-01T00:00:00Z') });
    const client = await issue('CN=client', { issuer: intermediate, eku: ['1.3.6.1.5.5.7.3.2'], san: [{ type: 'dns', value: 'leaf.example.com' }] });
    const ica0 = await issue('CN=ICA pathlen 0', { ca: { pathLen: 0 }, issuer: root });
    const sub = await issue('CN=Sub CA', { ca: true, issuer: ica0 });
    const deep = await issue('CN=deep', { issuer: sub, san: [{ type: 'dns', value: 'leaf.example.com' }] });
    const ncRoot = await issue('CN=NC Root', { ca: true, nameConstraints: { permitted: [dnsName('example.org')] } });
    const ncLeaf = await issue('CN=nc leaf', { issuer: ncRoot, san: [{ type: 'dns', value: 'leaf.example.com' }] });
    const notCa = await issue('CN=Not a CA', { issuer: root, keyUsage: x509.KeyUsageFlags.digitalSignature });
    const underNotCa = await issue('CN=under', { issuer: notCa, san: [{ type: 'dns', value: 'leaf.example.com' }] });
    scenarios.push(
      { name: 'valid chain, server purpose, host name', ...chain, purpose: 'serverAuth', hostname: 'leaf.example.com' },
      { name: 'expired leaf', ...chain, at: new Date('2027-02-01T00:00:00Z'), code: 'EXPIRED', openssl: 'certificate has expired' },
      { name: 'leaf not yet valid', ...chain, at: new Date('2024-06-01T00:00:00Z'), code: 'NOT_YET_VALID', openssl: 'certificate is not yet valid' },
      { name: 'host name mismatch', ...chain, hostname: 'other.example.com', code: 'HOSTNAME_MISMATCH', openssl: 'hostname mismatch' },
      { name: 'clientAuth leaf for a server', leaf: client, intermediates: [intermediate], root, purpose: 'serverAuth', code: 'EXTENDED_KEY_USAGE', openssl: 'unsuitable certificate purpose' },
      { name: 'CRLs for the whole chain, not revoked', ...chain, crls: [clean, rootCrl] },
      { name: 'revoked leaf', ...chain, crls: [revoked, rootCrl], code: 'REVOKED', openssl: 'certificate revoked' },
      { name: 'stale CRL', ...chain, crls: [stale, rootCrl], code: 'CRL_EXPIRED', openssl: 'CRL has expired' },
      { name: 'pathLenConstraint exceeded', leaf: deep, intermediates: [ica0, sub], root, code: 'PATH_LENGTH_EXCEEDED', openssl: 'path length constraint exceeded' },
      { name: 'name constraints violated', leaf: ncLeaf, intermediates: [], root: ncRoot, code: 'NAME_CONSTRAINTS', openssl: 'permitted subtree violation' },
      { name: 'issuer is not a CA', leaf: underNotCa, intermediates: [notCa], root, code: 'NOT_A_CA', openssl: 'invalid CA certificate' },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('each scenario gets the same verdict (and the same reason) from both', () => {
    assert.equal(scenarios.length, 11);
    for (const [i, s] of scenarios.entries()) {
      const at = s.at ?? AT;
      const requireCrl = s.crls !== undefined;
      const ours = validatePath({
        leaf: s.leaf.der,
        intermediates: s.intermediates.map((c) => c.der),
        trustAnchors: [s.root.der],
        crls: s.crls,
        requireCrl,
        at,
        hostname: s.hostname,
        purpose: s.purpose,
      });
      const file = (name: string, text: string) => {
        const p = join(dir, `${i}-${name}.pem`);
        writeFileSync(p, text);
        return p;
      };
      const args = ['verify', '-attime', String(Math.floor(at.getTime() / 1000)), '-CAfile', file('root', toPem(s.root.der, 'CERTIFICATE'))];
      if (s.intermediates.length > 0) args.push('-untrusted', file('untrusted', s.intermediates.map((c) => toPem(c.der, 'CERTIFICATE')).join('')));
      if (s.crls) args.push('-crl_check_all', '-CRLfile', file('crls', s.crls.map((c) => toPem(c, 'X509 CRL')).join('')));
      if (s.purpose) args.push('-purpose', 'sslserver');
      if (s.hostname) args.push('-verify_hostname', s.hostname);
      args.push(file('leaf', toPem(s.leaf.der, 'CERTIFICATE')));
      const o = spawnSync('openssl', args, { encoding: 'utf8' });
      const output = `${o.stdout}${o.stderr}`;
      assert.equal(ours.ok ? undefined : ours.code, s.code, `${s.name}: validatePath said ${JSON.stringify(ours.ok ? 'ok' : ours.message)}`);
      assert.equal(o.status === 0, s.code === undefined, `${s.name}: openssl said ${output}`);
      if (s.openssl) assert.match(output, new RegExp(s.openssl, 'i'), `${s.name}: openssl gave another reason: ${output}`);
    }
  });
});
