import { AsnParser } from '@peculiar/asn1-schema';
import { CertificateList, CRLReason, CRLReasons, IssuingDistributionPoint, type AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { bytesEqual, isUniversal, readChildren, readSingle, toHex } from './der.js';
import { distinguishedName, type DistinguishedName } from './distinguished-name.js';

export const CRL_EXT = {
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  authorityKeyIdentifier: '2.5.29.35',
  issuerAltName: '2.5.29.18',
  freshestCrl: '2.5.29.46',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
} as const;

const KNOWN_CRL_EXTENSIONS = new Set<string>([
  CRL_EXT.crlNumber,
  CRL_EXT.deltaCrlIndicator,
  CRL_EXT.issuingDistributionPoint,
  CRL_EXT.authorityKeyIdentifier,
  CRL_EXT.issuerAltName,
  CRL_EXT.freshestCrl,
]);
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([CRL_EXT.reasonCode, CRL_EXT.invalidityDate]);

export interface RevokedEntry {
  readonly revokedAt: Date;
  readonly reason?: string;
}

/** Serial numbers compare by value: drop the sign-padding zero octets of the DER INTEGER. */
export function serialKey(serial: Uint8Array): string {
  return toHex(serial).replace(/^(00)+(?=..)/, '');
}

/** An immutable view of one CRL, decoded once per validation call. */
export class ParsedCrl {
  readonly der: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly crlNumber?: bigint;
  readonly isDelta: boolean;
  readonly scope: { onlyUserCerts: boolean; onlyCaCerts: boolean; partial: boolean };
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  /** RFC 5280 §5 rules the CRL breaks (first one is reported), e.g. a missing or critical CRL number. */
  readonly problems: readonly string[];

  private constructor(der: Uint8Array, list: CertificateList) {
    this.der = der;
    const tbs = list.tbsCertList;
    this.issuer = distinguishedName(tbs.issuer);
    this.thisUpdate = tbs.thisUpdate.getTime();
    this.nextUpdate = tbs.nextUpdate?.getTime();
    this.signatureAlgorithm = list.signatureAlgorithm;
    this.signature = new Uint8Array(list.signature);
    const outer = readChildren(readSingle(der));
    if (outer.length !== 3) throw new Error('CertificateList must have 3 fields');
    this.tbs = outer[0].raw;
    const tbsFields = readChildren(outer[0]);
    const sigIndex = isUniversal(tbsFields[0], 2) ? 1 : 0;
    const problems: string[] = [];
    if (!tbsFields[sigIndex] || !bytesEqual(tbsFields[sigIndex].raw, outer[1].raw)) {
      problems.push('signatureAlgorithm differs from tbsCertList.signature');
    }

    let crlNumber: bigint | undefined;
    let isDelta = false;
    const scope = { onlyUserCerts: false, onlyCaCerts: false, partial: false };
    const seen = new Set<string>();
    for (const e of tbs.crlExtensions ?? []) {
      if (seen.has(e.extnID)) problems.push(`extension ${e.extnID} appears more than once`);
      seen.add(e.extnID);
      const value = new Uint8Array(e.extnValue.buffer);
      if (e.extnID === CRL_EXT.crlNumber) {
        if (e.critical) problems.push('marks the CRL number extension critical (RFC 5280 §5.2.3)');
        const int = readSingle(value);
        if (!isUniversal(int, 2) || int.value.length === 0 || int.value.length > 20 || (int.value[0] & 0x80) !== 0) {
          problems.push('has a CRL number that is not a non-negative INTEGER of at most 20 octets');
        } else {
          crlNumber = BigInt(`0x${toHex(int.value)}`);
        }
      } else if (e.extnID === CRL_EXT.deltaCrlIndicator) {
        isDelta = true;
      } else if (e.extnID === CRL_EXT.issuingDistributionPoint) {
        const idp = AsnParser.parse(value, IssuingDistributionPoint);
        scope.onlyUserCerts = idp.onlyContainsUserCerts;
        scope.onlyCaCerts = idp.onlyContainsCACerts;
        // Reason-partitioned, indirect and attribute-certificate CRLs do not cover a certificate fully.
        scope.partial = idp.onlySomeReasons !== undefined || idp.indirectCRL || idp.onlyContainsAttributeCerts;
      } else if (e.critical && !KNOWN_CRL_EXTENSIONS.has(e.extnID)) {
        problems.push(`has critical extension ${e.extnID}, which this validator does not process`);
      }
    }
    if (crlNumber === undefined && !problems.some((p) => p.includes('CRL number'))) {
      problems.push('has no CRL number extension (RFC 5280 §5.2.3 requires one)');
    }
    this.crlNumber = crlNumber;
    this.isDelta = isDelta;
    this.scope = scope;

    const revoked = new Map<string, RevokedEntry>();
    for (const entry of tbs.revokedCertificates ?? []) {
      let reason: string | undefined;
      for (const e of entry.crlEntryExtensions ?? []) {
        if (e.extnID === CRL_EXT.reasonCode) {
          reason = CRLReasons[AsnParser.parse(new Uint8Array(e.extnValue.buffer), CRLReason).reason] ?? 'unknown';
        } else if (e.critical && !KNOWN_ENTRY_EXTENSIONS.has(e.extnID)) {
          problems.push(`has an entry with critical extension ${e.extnID}, which this validator does not process`);
        }
      }
      if (reason === 'removeFromCRL') continue; // only meaningful in delta CRLs
      revoked.set(serialKey(new Uint8Array(entry.userCertificate)), { revokedAt: entry.revocationDate.getTime(), reason });
    }
    this.revoked = revoked;
    this.problems = problems;
  }

  /** Decodes a DER CRL; throws on anything that is not one. */
  static parse(der: Uint8Array): ParsedCrl {
    return new ParsedCrl(der, AsnParser.parse(der, CertificateList));
  }
}
