// The fast TBS template must produce exactly the bytes of the library-built path, for every variant.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyObject } from '../keys/software-key-store.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { encodeTbsCertificate, signatureAlgorithmDer } from '../x509/certificate-builder.js';
import { buildCsr } from '../x509/csr-builder.js';
import type { SubjectAltNames } from '../x509/extensions.js';
import { readCsr } from '../x509/csr.js';
import { parseDistinguishedName } from '../x509/distinguished-name.js';
import { commonNamesOf } from '../x509/name-text.js';
import { certificateTemplate } from './certificate-template.js';
import { renderTbs } from './template-render.js';
import { applyProfile, validityWindow, type IssuerFacts } from './profiles/apply-profile.js';
import { builtinProfile } from './profiles/builtin-profiles.js';
import { randomSerial } from './serial-number.js';

test('template TBS is byte-identical to encodeTbsCertificate(applyProfile(...)) across profiles, keys and SANs', async () => {
  const now = new Date('2026-06-01T08:30:15.250Z');
  const issuerSigner = new SoftwareSigner(generateKeyObject('ecdsa-p384'), 'ecdsa-p384', 'software:issuer');
  const issuerName = parseDistinguishedName('CN=Template Issuing CA,O=Tests').der;
  const facts: IssuerFacts[] = [
    { keyIdentifier: new Uint8Array(20).fill(7), notAfter: new Date('2030-01-01T00:00:00Z'), pathLen: 0, crlUrl: 'http://crl.example/a.crl', ocspUrl: 'http://ocsp.example', caIssuersUrl: 'http://ca.example/a.cer' },
    { keyIdentifier: new Uint8Array(20).fill(9), notAfter: new Date('2026-07-01T00:00:00Z'), pathLen: null },
  ];
  const requests: Array<{ alg: 'ecdsa-p256' | 'rsa-3072' | 'ecdsa-p384' | 'ed25519'; subject: string; sans: SubjectAltNames }> = [
    { alg: 'ecdsa-p256', subject: 'CN=a.example,O=Org', sans: { dns: ['a.example', 'www.a.example'], ip: ['192.0.2.4', '2001:db8::1', '::1', 'fe80::1:2'] } },
    { alg: 'rsa-3072', subject: 'CN=b.example', sans: { dns: ['b.example'] } },
    { alg: 'ecdsa-p384', subject: 'CN=device-0042,OU=Fleet', sans: {} },
    { alg: 'ed25519', subject: 'CN=c.example', sans: { dns: ['c.example'], email: ['ops@example.com'], uri: ['spiffe://example/c'] } },
  ];
  let compared = 0;
  for (const profileName of ['tls-server', 'tls-client', 'device-management', 'emergency', 'code-signing', 'ocsp-signing']) {
    const profile = builtinProfile(profileName);
    for (const issuer of facts) {
      const alg = signatureAlgorithmDer(issuerSigner);
      const window = validityWindow(profile, issuer, now);
      const template = certificateTemplate(profile, issuer, issuerName, window, alg);
      for (const r of requests) {
        const subjectKey = new SoftwareSigner(generateKeyObject(r.alg), r.alg, 'software:s');
        const csr = readCsr(await buildCsr(subjectKey, r.subject, r.sans));
        const req = { subject: csr.subject, commonNames: commonNamesOf(csr.subject), keyType: csr.keyType, keyIdentifier: csr.keyIdentifier, sans: csr.sans, requestsCa: csr.requestsCa };
        let plan;
        try {
          plan = applyProfile(profile, req, issuer, now);
        } catch {
          continue; // the profile refuses this request; nothing to compare
        }
        const serial = randomSerial();
        const expected = encodeTbsCertificate({ serial: serial.bytes, issuer: issuerName, subject: csr.subjectDer, notBefore: plan.notBefore, notAfter: plan.notAfter, spki: csr.spki, extensions: plan.extensions }, alg);
        assert.deepEqual(Buffer.from(renderTbs(template, serial.bytes, csr.subjectDer, csr.spki, req)), Buffer.from(expected), `${profileName} ${r.alg} ${r.subject}`);
        compared++;
      }
    }
  }
  assert.ok(compared >= 20, `compared ${compared} variants`);
});
