import 'reflect-metadata';
import { OctetString } from '@peculiar/asn1-schema';
import {
  AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CRLDistributionPoints,
  DistributionPoint, DistributionPointName, ExtendedKeyUsage, Extension, GeneralName, GeneralSubtree, GeneralSubtrees,
  KeyIdentifier, KeyUsage, KeyUsageFlags, NameConstraints, SubjectAlternativeName, SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier, id_ce_basicConstraints, id_ce_cRLDistributionPoints, id_ce_extKeyUsage,
  id_ce_keyUsage, id_ce_nameConstraints, id_ce_subjectAltName, id_ce_subjectKeyIdentifier, id_pe_authorityInfoAccess,
} from '@peculiar/asn1-x509';
import { encodeDer } from './asn1.js';
import { DER_NULL } from './der-writer.js';

import { EKU_OIDS, type KeyUsageName } from './key-purposes.js';



const OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const AD_OCSP = '1.3.6.1.5.5.7.48.1';
const AD_CA_ISSUERS = '1.3.6.1.5.5.7.48.2';

function ext(extnID: string, critical: boolean, value: Uint8Array): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(value) });
}

export function basicConstraintsExtension(ca: boolean, pathLen?: number | null): Extension {
  const bc = new BasicConstraints({ cA: ca });
  if (ca && pathLen !== undefined && pathLen !== null) bc.pathLenConstraint = pathLen;
  return ext(id_ce_basicConstraints, true, encodeDer(bc));
}

export function keyUsageExtension(usages: readonly KeyUsageName[]): Extension {
  let flags = 0;
  for (const u of usages) flags |= KeyUsageFlags[u as keyof typeof KeyUsageFlags];
  return ext(id_ce_keyUsage, true, encodeDer(new KeyUsage(flags)));
}

export function extendedKeyUsageExtension(names: readonly string[]): Extension {
  const oids = names.map((n) => (EKU_OIDS as Record<string, string>)[n] ?? n);
  return ext(id_ce_extKeyUsage, false, encodeDer(new ExtendedKeyUsage(oids)));
}

export function subjectKeyIdentifierExtension(keyId: Uint8Array): Extension {
  return ext(id_ce_subjectKeyIdentifier, false, encodeDer(new SubjectKeyIdentifier(keyId)));
}

export function authorityKeyIdentifierExtension(keyId: Uint8Array): Extension {
  return ext(id_ce_authorityKeyIdentifier, false, encodeDer(new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId) })));
}

export interface SubjectAltNames {
  dns?: string[];
  ip?: string[];
  email?: string[];
  uri?: string[];
}

export function generalNames(names: SubjectAltNames): GeneralName[] {
  return [
    ...(names.dns ?? []).map((dNSName) => new GeneralName({ dNSName })),
    ...(names.ip ?? []).map((iPAddress) => new GeneralName({ iPAddress })),
    ...(names.email ?? []).map((rfc822Name) => new GeneralName({ rfc822Name })),
    ...(names.uri ?? []).map((uniformResourceIdentifier) => new GeneralName({ uniformResourceIdentifier })),
  ];
}

/** Critical when the subject is empty (RFC 5280 §4.2.1.6). */
export function subjectAltNameExtension(names: SubjectAltNames, critical: boolean): Extension {
  return ext(id_ce_subjectAltName, critical, encodeDer(new SubjectAlternativeName(generalNames(names))));
}

export function crlDistributionPointsExtension(url: string): Extension {
  const dp = new DistributionPoint({ distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: url })] }) });
  return ext(id_ce_cRLDistributionPoints, false, encodeDer(new CRLDistributionPoints([dp])));
}

export function authorityInfoAccessExtension(ocspUrl?: string | null, caIssuersUrl?: string | null): Extension {
  const items: AccessDescription[] = [];
  if (ocspUrl) items.push(new AccessDescription({ accessMethod: AD_OCSP, accessLocation: new GeneralName({ uniformResourceIdentifier: ocspUrl }) }));
  if (caIssuersUrl) items.push(new AccessDescription({ accessMethod: AD_CA_ISSUERS, accessLocation: new GeneralName({ uniformResourceIdentifier: caIssuersUrl }) }));
  return ext(id_pe_authorityInfoAccess, false, encodeDer(new AuthorityInfoAccessSyntax(items)));
}

export interface NameConstraintsSpec {
  permitted?: SubjectAltNames;
  excluded?: SubjectAltNames;
}

export function nameConstraintsExtension(spec: NameConstraintsSpec): Extension {
  const subtrees = (n?: SubjectAltNames) => {
    const names = n ? generalNames(n) : [];
    return names.length ? new GeneralSubtrees(names.map((base) => new GeneralSubtree({ base }))) : undefined;
  };
  return ext(id_ce_nameConstraints, true, encodeDer(new NameConstraints({ permittedSubtrees: subtrees(spec.permitted), excludedSubtrees: subtrees(spec.excluded) })));
}

/** id-pkix-ocsp-nocheck: a delegated OCSP responder's own status is not checked (RFC 6960 §4.2.2.2.1). */
export function ocspNoCheckExtension(): Extension {
  return ext(OCSP_NOCHECK, false, DER_NULL);
}
