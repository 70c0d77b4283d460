import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ColdrootError } from '../../../../core/errors.js';
import type { KeyAlgorithm } from '../../../../core/keys/key-algorithm.js';
import { SoftwareSigner } from '../../../../core/keys/software-signer.js';
import { describeCertificate, readCertificates } from '../../../../core/x509/certificate-info.js';
import type { StateLayout } from '../state/state-layout.js';

/** A certificate with its key as the agent holds them: what signs its bundles and proofs. */
export interface AgentCredential {
  kind: 'management' | 'bootstrap';
  certificate: Uint8Array;
  /** CA certificates above `certificate`, issuer first (the root may be among them). */
  chain: Uint8Array[];
  key: KeyObject;
  notBefore: Date;
  notAfter: Date;
  fingerprintSha256: string;
}

export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && d?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  if (key.asymmetricKeyType === 'ec' && d?.namedCurve === 'secp384r1') return 'ecdsa-p384';
  if (key.asymmetricKeyType === 'rsa' && d?.modulusLength === 3072) return 'rsa-3072';
  if (key.asymmetricKeyType === 'rsa' && d?.modulusLength === 4096) return 'rsa-4096';
  throw new ColdrootError('AGENT_KEY_UNSUPPORTED', `Key type ${key.asymmetricKeyType} ${d?.namedCurve ?? d?.modulusLength ?? ''} cannot sign agent bundles`, 'Issue the agent a P-256, P-384, RSA-3072 or RSA-4096 key', 'failure');
}

export function signerOf(c: AgentCredential): SoftwareSigner {
  return new SoftwareSigner(c.key, keyAlgorithmOf(c.key), `file:${c.kind}`);
}

export function validAt(c: AgentCredential, now: Date): boolean {
  return now.getTime() >= c.notBefore.getTime() && now.getTime() < c.notAfter.getTime();
}

/**
 * Reads a certificate file (leaf first; further blocks are its chain), an optional chain file and
 * a PEM key. Returns null when the certificate or key file does not exist.
 */
export async function readCredential(kind: AgentCredential['kind'], certPath: string, keyPath: string, chainPath?: string): Promise<AgentCredential | null> {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = await readFile(certPath, 'utf8');
    keyPem = await readFile(keyPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const [certificate, ...rest] = readCertificates(certPem);
  if (!certificate) throw new ColdrootError('AGENT_CERTIFICATE_INVALID', `${certPath} holds no certificate`, `Reinstall the agent package, or remove ${certPath}`, 'failure');
  let chain = rest;
  if (chainPath) {
    try {
      chain = [...rest, ...readCertificates(await readFile(chainPath, 'utf8'))];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const info = describeCertificate(certificate);
  return {
    kind, certificate, chain, key: createPrivateKey(keyPem),
    notBefore: new Date(info.notBefore), notAfter: new Date(info.notAfter), fingerprintSha256: info.fingerprintSha256,
  };
}

export function readBootstrapCredential(layout: StateLayout): Promise<AgentCredential | null> {
  return readCredential('bootstrap', layout.bootstrapCert, layout.bootstrapKey);
}
