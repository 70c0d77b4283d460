import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TpmEnrolment } from '../../../../core/bundles/payloads/renewal-request.js';
import { ColdrootError } from '../../../../core/errors.js';
import { toPem } from '../../../../core/x509/asn1.js';
import { readTlv } from '../../../../core/x509/der-reader.js';
import { ensureAttestationKey } from './attestation-key.js';
import { DEFAULT_AK_HANDLE, EK_CERT_NV_INDEX, hex32, tpm2, withTempDir } from './tpm2-tools.js';

/** The EK certificate (DER) from its NV index; NV areas may be padded, so only the DER structure is kept. */
export async function readEkCertificate(tcti: string, nvIndex: number = EK_CERT_NV_INDEX): Promise<Uint8Array> {
  return withTempDir(async (dir) => {
    await tpm2(tcti, 'tpm2_nvread', [hex32(nvIndex), '-o', join(dir, 'ek.der')]);
    const raw = new Uint8Array(await readFile(join(dir, 'ek.der')));
    try {
      return raw.slice(0, readTlv(raw).end);
    } catch (e) {
      throw new ColdrootError('TPM_EK_CERTIFICATE_INVALID', `NV index ${hex32(nvIndex)} does not hold a DER certificate: ${(e as Error).message}`,
        'The TPM has no EK certificate there; some vendors ship it on the web instead (see docs/tpm-attestation.md)', 'failure');
    }
  });
}

/**
 * What a renewal request's `tpm` block carries to enrol this TPM (renewalRequestFile's `tpm`):
 * the EK certificate and the attestation key, created on first use.
 */
export async function tpmEnrolment(tcti: string, opts: { akHandle?: number } = {}): Promise<TpmEnrolment> {
  const ek = await readEkCertificate(tcti);
  const ak = await ensureAttestationKey(tcti, opts.akHandle ?? DEFAULT_AK_HANDLE);
  return { ekCertificate: toPem(ek, 'CERTIFICATE'), akPublic: ak.akPublic, akName: ak.akName };
}
