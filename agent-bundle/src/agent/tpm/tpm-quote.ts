import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeEvidence } from '../../../../core/attestation/attestation-evidence.js';
import { quoteQualifyingData } from '../../../../core/attestation/tpm-quote.js';
import { ColdrootError } from '../../../../core/errors.js';
import { readEkCertificate } from './tpm-enrolment.js';
import { DEFAULT_AK_HANDLE, hex32, tpm2, withTempDir } from './tpm2-tools.js';

/** The proof renewalRequestFile takes for a 'tpm-attestation' request. */
export interface TpmAttestationProof {
  kind: 'tpm-attestation';
  /** coldroot.tpm-attestation.v1 JSON (core/attestation/attestation-evidence.ts), UTF-8. */
  attestation: Uint8Array;
}

/** PCRs the quote covers. The console does not judge PCR values (docs/tpm-attestation.md); a quote must select some. */
const PCRS = 'sha256:0';

/**
 * Quotes with the attestation key over SHA-256(nonce || SHA-256(CSR DER)), the nonce being the
 * console's attestationNonce from the last renewal bundle, and packs quote, signature, nonce and EK
 * certificate as the request's proof.
 */
export async function tpmQuote(tcti: string, input: { nonceHex: string; csrDer: Uint8Array; akHandle?: number }): Promise<TpmAttestationProof> {
  if (!/^[0-9a-f]{64}$/.test(input.nonceHex)) throw new ColdrootError('TPM_NONCE_INVALID', `The attestation nonce '${input.nonceHex.slice(0, 80)}' is not 32 bytes of lower-case hex`, 'Use the attestationNonce of the last renewal bundle\'s instructions');
  const nonce = new Uint8Array(Buffer.from(input.nonceHex, 'hex'));
  const qualifying = Buffer.from(quoteQualifyingData(nonce, input.csrDer)).toString('hex');
  const { quote, signature } = await withTempDir(async (dir) => {
    const m = join(dir, 'quote.msg');
    const s = join(dir, 'quote.sig');
    await tpm2(tcti, 'tpm2_quote', ['-c', hex32(input.akHandle ?? DEFAULT_AK_HANDLE), '-l', PCRS, '-q', qualifying, '-g', 'sha256', '-m', m, '-s', s]);
    return { quote: new Uint8Array(await readFile(m)), signature: new Uint8Array(await readFile(s)) };
  });
  const ekCertificate = await readEkCertificate(tcti);
  return { kind: 'tpm-attestation', attestation: encodeEvidence({ nonce, quote, signature, ekCertificate }) };
}
