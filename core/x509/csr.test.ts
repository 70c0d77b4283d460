import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import 'reflect-metadata';
import { Pkcs10CertificateRequest, SubjectAlternativeNameExtension } from '@peculiar/x509';
import type { ColdrootError } from '../errors.js';
import { readCsr } from './csr.js';

const dir = mkdtempSync(join(tmpdir(), 'coldroot-csr-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function opensslCsr(name: string, keyArgs: string[], subj: string, extra: string[] = []): Buffer {
  execFileSync('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`), '-subj', subj, ...extra], { stdio: 'pipe' });
  return readFileSync(join(dir, `${name}.csr`));
}

test('readCsr agrees with @peculiar/x509 on subject, key and SANs for openssl requests of every key type', async () => {
  const cases = [
    ['p256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ecdsa-p256'],
    ['p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], 'ecdsa-p384'],
    ['rsa', ['-newkey', 'rsa:2048'], 'rsa-2048'],
    ['ed', ['-newkey', 'ed25519'], 'ed25519'],
  ] as const;
  for (const [name, keyArgs, type] of cases) {
    const pem = opensslCsr(name, [...keyArgs], '/CN=host.example/O=Example Org/C=DE', ['-addext', 'subjectAltName=DNS:host.example,IP:192.0.2.1,IP:2001:db8::7,email:ops@example.com,URI:https://host.example/']);
    const csr = readCsr(pem, name);
    const ref = new Pkcs10CertificateRequest(pem.toString());
    assert.equal(csr.keyType, type);
    assert.equal(csr.subject, ref.subject);
    assert.equal(await ref.verify(), true);
    const refNames = ref.getExtension('2.5.29.17') as unknown as SubjectAlternativeNameExtension;
    const want = new SubjectAlternativeNameExtension(refNames.rawData).names.items.map((n) => `${n.type}:${n.value}`).sort();
    const got = [...(csr.sans.dns ?? []).map((v) => `dns:${v}`), ...(csr.sans.ip ?? []).map((v) => `ip:${v}`), ...(csr.sans.email ?? []).map((v) => `email:${v}`), ...(csr.sans.uri ?? []).map((v) => `url:${v}`)].sort();
    assert.deepEqual(got, want);
    assert.equal(csr.requestsCa, false);
  }
});

test('readCsr notices a CA request, and refuses tampered and truncated requests with their codes', () => {
  const pem = opensslCsr('ca', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=wants-ca', ['-addext', 'basicConstraints=critical,CA:TRUE']);
  assert.equal(readCsr(pem).requestsCa, true);
  const der = Buffer.from(pem.toString().replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  const flipped = Buffer.from(der);
  flipped[40] ^= 0x01; // inside the subject
  assert.throws(() => readCsr(flipped, 'flipped'), (e: ColdrootError) => e.code === 'CSR_SIGNATURE_INVALID' || e.code === 'CSR_INVALID');
  assert.throws(() => readCsr(der.subarray(0, der.length - 10), 'cut'), (e: ColdrootError) => e.code === 'CSR_INVALID' && /CSR cut is not a valid PKCS#10 request/.test(e.message));
  assert.throws(() => readCsr('hello', 'text'), (e: ColdrootError) => e.code === 'CSR_INVALID');
});
