/**
 * Two small PKIs for canary tests: the old chain under root A and the new chain under root B,
 * each root → intermediate → leaf for 127.0.0.1/localhost, P-256, made in-process with node:crypto
 * keys and @peculiar/x509. Dates are pinned and span the real clock, because real TLS clients
 * check validity against it. Used by tests only.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyLike = Parameters<typeof x509.SubjectKeyIdentifierExtension.create>[0];

const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2036-01-01T00:00:00Z');
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

interface Issued {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
  name: string;
}

export interface TestChain {
  /** PEM of the root, for clients' trust stores. */
  rootPem: string;
  /** PEM leaf then intermediate: what the server sends. */
  certPem: string;
  /** PKCS#8 PEM of the leaf's key. */
  keyPem: string;
}

let serial = 0x2000;

async function issue(name: string, issuer: Issued | null, kind: 'root' | 'intermediate' | 'leaf'): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const signer = issuer ?? { keys, name };
  const extensions: x509.Extension[] = [
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as CryptoKeyLike),
    await x509.AuthorityKeyIdentifierExtension.create(signer.keys.publicKey as unknown as CryptoKeyLike),
  ];
  if (kind === 'leaf') {
    extensions.push(
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1'], false),
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }], false),
    );
  } else {
    extensions.push(
      new x509.BasicConstraintsExtension(true, kind === 'root' ? 1 : 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${(serial++).toString(16).padStart(14, '0')}`,
    subject: name,
    issuer: signer.name,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    publicKey: keys.publicKey as unknown as CryptoKeyLike,
    signingKey: signer.keys.privateKey as unknown as CryptoKeyLike,
    signingAlgorithm: SIGN,
    extensions,
  });
  return { cert, keys, name };
}

async function keyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** root → intermediate → leaf named after `label` ('A', 'B'). */
export async function makeTestChain(label: string): Promise<TestChain> {
  const root = await issue(`CN=Coldroot Canary Test Root ${label}`, null, 'root');
  const intermediate = await issue(`CN=Coldroot Canary Test Issuing ${label}`, root, 'intermediate');
  const leaf = await issue(`CN=localhost ${label}`, intermediate, 'leaf');
  return {
    rootPem: root.cert.toString('pem') + '\n',
    certPem: `${leaf.cert.toString('pem')}\n${intermediate.cert.toString('pem')}\n`,
    keyPem: await keyPem(leaf.keys),
  };
}

/** The old chain under root A and the new chain under root B. */
export async function makeCanaryPkis(): Promise<{ old: TestChain; next: TestChain }> {
  const [old, next] = await Promise.all([makeTestChain('A'), makeTestChain('B')]);
  return { old, next };
}
