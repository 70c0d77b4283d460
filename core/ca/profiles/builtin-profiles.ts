import { ColdrootError } from '../../errors.js';
import { parseProfile, type CertificateProfile } from './certificate-profile.js';

const STRONG_KEYS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096', 'ed25519'];
const LEAF_KEYS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096', 'ed25519'];
const TLS_KEYS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'];

const definitions = [
  { name: 'root-ca', description: 'Self-signed root CA', kind: 'ca', validity: { default: '7305d', max: '9132d' }, pathLength: null, keyUsage: ['keyCertSign', 'cRLSign'], allowedKeyTypes: STRONG_KEYS },
  { name: 'intermediate-ca', description: 'Intermediate CA (pathLength 0: issues leaves only)', kind: 'ca', validity: { default: '3652d', max: '5479d' }, pathLength: 0, keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'], allowedKeyTypes: STRONG_KEYS },
  { name: 'tls-server', description: 'TLS server (CA/Browser Forum baseline)', kind: 'leaf', validity: { default: '90d', max: '397d' }, keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsage: ['serverAuth'], subjectAltName: { required: true, types: ['dns', 'ip'] }, commonNameMustBeSan: true, allowedKeyTypes: TLS_KEYS },
  { name: 'tls-client', description: 'TLS client authentication', kind: 'leaf', validity: { default: '365d', max: '825d' }, keyUsage: ['digitalSignature'], extendedKeyUsage: ['clientAuth'], subjectAltName: { required: false, types: ['dns', 'email', 'uri'] }, allowedKeyTypes: LEAF_KEYS },
  { name: 'device-management', description: 'Device management identity for the Coldroot agent (365 days): serverAuth and clientAuth for the device\'s own TLS, emailProtection because the agent signs bundles (CMS) that openssl cms -verify checks', kind: 'leaf', validity: { default: '365d', max: '365d' }, keyUsage: ['digitalSignature'], extendedKeyUsage: ['serverAuth', 'clientAuth', 'emailProtection'], subjectAltName: { required: false, types: ['dns', 'ip', 'uri'] }, allowedKeyTypes: LEAF_KEYS },
  { name: 'device-bootstrap', description: 'Bootstrap credential shipped in an agent package (3 years): authenticates enrolment and the recovery of an expired management certificate, nothing else', kind: 'leaf', validity: { default: '1095d', max: '1826d' }, keyUsage: ['digitalSignature'], extendedKeyUsage: ['clientAuth', 'emailProtection'], subjectAltName: { required: false, types: ['dns', 'uri'] }, allowedKeyTypes: LEAF_KEYS },
  { name: 'emergency', description: 'Short-lived emergency TLS certificate while a full renewal is pending', kind: 'leaf', validity: { default: '24h', max: '7d' }, keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsage: ['serverAuth', 'clientAuth'], subjectAltName: { required: true, types: ['dns', 'ip'] }, commonNameMustBeSan: true, allowedKeyTypes: TLS_KEYS, emergency: true },
  { name: 'ocsp-signing', description: 'Delegated OCSP responder', kind: 'leaf', validity: { default: '30d', max: '90d' }, keyUsage: ['digitalSignature'], extendedKeyUsage: ['ocspSigning'], ocspNoCheck: true, allowedKeyTypes: STRONG_KEYS },
  { name: 'bundle-signing', description: 'Signs bundles that cross the air gap (CMS); emailProtection so openssl cms -verify accepts it', kind: 'leaf', validity: { default: '365d', max: '825d' }, keyUsage: ['digitalSignature'], extendedKeyUsage: ['emailProtection'], allowedKeyTypes: STRONG_KEYS },
  { name: 'code-signing', description: 'Code signing', kind: 'leaf', validity: { default: '365d', max: '1095d' }, keyUsage: ['digitalSignature'], extendedKeyUsage: ['codeSigning'], allowedKeyTypes: ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096'] },
];

export const BUILTIN_PROFILES: ReadonlyMap<string, CertificateProfile> = new Map(
  definitions.map((d) => [d.name, parseProfile(d, `built-in ${d.name}`)]),
);

export function builtinProfile(name: string): CertificateProfile {
  const p = BUILTIN_PROFILES.get(name);
  if (!p) {
    throw new ColdrootError('UNKNOWN_PROFILE', `Unknown certificate profile '${name}'`, `Use one of: ${[...BUILTIN_PROFILES.keys()].join(', ')}, or --profile-file FILE for a custom profile`);
  }
  return p;
}
