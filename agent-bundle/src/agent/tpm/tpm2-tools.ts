import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColdrootError } from '../../../../core/errors.js';

/** The EK handle TCG's provisioning guidance reserves for the RSA EK (swtpm_setup makes it there). */
export const EK_HANDLE = 0x81010001;
/** NV index of the RSA 2048 EK certificate (TCG EK Credential Profile). */
export const EK_CERT_NV_INDEX = 0x01c00002;
/** Where the agent keeps its attestation key, next to the EK in the owner's persistent range. */
export const DEFAULT_AK_HANDLE = 0x81010002;

const TIMEOUT_MS = 30_000;
export const hex32 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

// Without a resource manager the TPM runs one command at a time and keeps transient objects
// until flushed: commands for one TCTI are queued, and each is followed by a flush.
const queues = new Map<string, Promise<unknown>>();

function run(tcti: string, tool: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { env: { ...process.env, TPM2TOOLS_TCTI: tcti }, timeout: TIMEOUT_MS, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new ColdrootError(missing ? 'TPM_TOOLS_MISSING' : 'TPM_COMMAND_FAILED',
        missing ? `${tool} is not installed` : `${tool} ${args.join(' ')} failed (TCTI ${tcti}): ${(stderr || err.message).trim().split('\n').slice(-3).join(' | ')}`,
        missing ? 'Install tpm2-tools (apt install tpm2-tools)' : 'Check that the TPM (or swtpm) answers at the configured TCTI: tpm2_getcap properties-fixed', 'failure'));
    });
  });
}

/**
 * Runs one tpm2-tools command against `tcti` (e.g. "swtpm:host=127.0.0.1,port=2321" or
 * "device:/dev/tpmrm0"), then flushes transient objects and sessions. Returns stdout.
 */
export function tpm2(tcti: string, tool: string, args: string[]): Promise<string> {
  const previous = queues.get(tcti) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async () => {
    try {
      return await run(tcti, tool, args);
    } finally {
      await run(tcti, 'tpm2_flushcontext', ['-t']).catch(() => undefined);
      await run(tcti, 'tpm2_flushcontext', ['-s']).catch(() => undefined);
    }
  });
  queues.set(tcti, next);
  return next;
}

/** A private temporary folder for the files tpm2-tools reads and writes; removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'coldroot-tpm-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
