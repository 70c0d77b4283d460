/** TPM attestation: enrolled attestation keys per host and console-issued single-use nonces (filled by the TPM work). */
export const attestation = {
  version: 6,
  name: 'attestation',
  sql: `SELECT 1;`,
};
