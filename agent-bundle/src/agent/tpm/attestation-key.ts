import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isColdrootError } from '../../../../core/errors.js';
import { DEFAULT_AK_HANDLE, EK_HANDLE, hex32, tpm2, withTempDir } from './tpm2-tools.js';

export interface AttestationKey {
  handle: number;
  /** SubjectPublicKeyInfo, PEM. */
  akPublic: string;
  /** TPM name (nameAlg || digest of TPMT_PUBLIC), hex. */
  akName: string;
  /** True when this call created the key. */
  created: boolean;
}

async function readAk(tcti: string, handle: number, dir: string): Promise<Omit<AttestationKey, 'created'>> {
  await tpm2(tcti, 'tpm2_readpublic', ['-c', hex32(handle), '-f', 'pem', '-o', join(dir, 'ak.pem'), '-n', join(dir, 'ak.name')]);
  return { handle, akPublic: await readFile(join(dir, 'ak.pem'), 'utf8'), akName: (await readFile(join(dir, 'ak.name'))).toString('hex') };
}

/**
 * Returns the attestation key at `handle`, creating it first when the handle is empty: an ECC P-256
 * restricted signing key (ECDSA/SHA-256) made under the endorsement key at 0x81010001 with
 * tpm2_createak, then made persistent with tpm2_evictcontrol. Idempotent.
 */
export async function ensureAttestationKey(tcti: string, handle: number = DEFAULT_AK_HANDLE): Promise<AttestationKey> {
  return withTempDir(async (dir) => {
    try {
      return { ...(await readAk(tcti, handle, dir)), created: false };
    } catch (e) {
      if (!isColdrootError(e) || e.code !== 'TPM_COMMAND_FAILED') throw e;
    }
    const ctx = join(dir, 'ak.ctx');
    await tpm2(tcti, 'tpm2_createak', ['-C', hex32(EK_HANDLE), '-c', ctx, '-G', 'ecc', '-g', 'sha256', '-s', 'ecdsa', '-u', join(dir, 'ak.pub'), '-n', join(dir, 'ak.name')]);
    await tpm2(tcti, 'tpm2_evictcontrol', ['-C', 'o', '-c', ctx, hex32(handle)]);
    return { ...(await readAk(tcti, handle, dir)), created: true };
  });
}
