import { spawnSync } from 'node:child_process';

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the system openssl: the independent check of everything Coldroot signs. */
export function openssl(args: string[], input?: string | Uint8Array): OpensslResult {
  const r = spawnSync('openssl', args, { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Makes a key and a PKCS#10 request with openssl (P-256 unless `keyAlg` says otherwise). */
export function opensslCsr(dir: string, name: string, subject: string, sans?: string, extra: string[] = [], keyAlg: string[] = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']): { key: string; csr: string } {
  const key = `${dir}/${name}.key`;
  const csr = `${dir}/${name}.csr`;
  const args = ['req', '-new', ...keyAlg, '-nodes', '-keyout', key, '-out', csr, '-subj', subject, ...(sans ? ['-addext', `subjectAltName=${sans}`] : []), ...extra];
  const r = openssl(args);
  if (r.code !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { key, csr };
}
