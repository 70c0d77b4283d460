import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { writeFileAtomic, type DurableFs } from '../state/atomic-file.js';
import type { AgentLog } from '../state/agent-event.js';
import { sha256Hex, tlsProbe } from './tls-probe.js';

export interface ServiceActivation {
  name: string;
  /** Where the service reads its certificate and key; the agent writes the active material there atomically (cert file = leaf + chain). */
  certPath: string;
  keyPath: string;
  reload: { command: string[] } | { signal: 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2'; pidFile: string };
  healthCheck?: { host: string; port: number; servername?: string; timeoutMs?: number };
}

/** The certificate material a service is given. */
export interface ServiceMaterial {
  /** Leaf then chain, PEM. */
  certChainPem: string;
  keyPem: string;
  certificateDer: Uint8Array;
}

export interface ActivationOptions {
  /** Waits between health-check attempts; injectable so tests do not wait on the wall clock. */
  sleep?: (ms: number) => Promise<void>;
  /** Pause between health-check attempts (default 250 ms); attempts = timeoutMs / this. */
  retryIntervalMs?: number;
  /** Limit on a reload command (default 30 s). */
  reloadTimeoutMs?: number;
  log?: AgentLog;
  fs?: DurableFs;
}

export type ActivationResult =
  | { ok: true; activated: string[] }
  | { ok: false; service: string; code: string; message: string; restored: string[] };

interface SavedFiles { cert: Buffer | null; key: Buffer | null }

const run = promisify(execFile);
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function installFiles(s: ServiceActivation, cert: string | Buffer | null, key: string | Buffer | null, fs?: DurableFs): Promise<void> {
  // Key first: a service that reloads on its own between the two writes then fails to load a mismatched pair rather than serving a stale key.
  if (key === null) await rm(s.keyPath, { force: true });
  else await writeFileAtomic(s.keyPath, key, { mode: 0o600, fs });
  if (cert === null) await rm(s.certPath, { force: true });
  else await writeFileAtomic(s.certPath, cert, { mode: 0o644, fs });
}

/** Asks the service to reload its certificate: runs the command, or signals the pid in the pid file. */
export async function reloadService(s: ServiceActivation, timeoutMs = 30_000): Promise<void> {
  if ('command' in s.reload) {
    const [cmd, ...args] = s.reload.command;
    try {
      await run(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL' });
    } catch (e) {
      const x = e as NodeJS.ErrnoException & { stderr?: string; killed?: boolean; code?: string | number };
      const why = x.killed ? `did not finish within ${timeoutMs} ms` : `failed (${x.code ?? 'error'}): ${(x.stderr ?? x.message).trim().slice(0, 300)}`;
      throw new Error(`reload command '${s.reload.command.join(' ')}' ${why}`);
    }
    return;
  }
  const text = (await readOrNull(s.reload.pidFile))?.toString('utf8').trim() ?? '';
  const pid = Number(text);
  if (!/^\d+$/.test(text) || pid <= 1) throw new Error(`pid file ${s.reload.pidFile} holds no process id (${JSON.stringify(text.slice(0, 20))})`);
  try {
    process.kill(pid, s.reload.signal);
  } catch (e) {
    throw new Error(`cannot send ${s.reload.signal} to pid ${pid} from ${s.reload.pidFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** TLS handshakes against the service until it presents the expected certificate, within its timeout. */
export async function checkServiceHealth(s: ServiceActivation, expectedDer: Uint8Array, opts: ActivationOptions = {}): Promise<{ ok: true; attempts: number } | { ok: false; reason: string }> {
  const hc = s.healthCheck;
  if (!hc) return { ok: true, attempts: 0 };
  const timeoutMs = hc.timeoutMs ?? 10_000;
  const interval = opts.retryIntervalMs ?? 250;
  const sleep = opts.sleep ?? defaultSleep;
  const attempts = Math.max(1, Math.ceil(timeoutMs / interval));
  const expected = sha256Hex(expectedDer);
  let last = '';
  for (let i = 1; i <= attempts; i++) {
    const r = await tlsProbe({ host: hc.host, port: hc.port, servername: hc.servername, timeoutMs: Math.min(timeoutMs, 5000) });
    if (r.ok && r.fingerprintSha256 === expected) return { ok: true, attempts: i };
    last = r.ok ? `it still presents certificate ${r.fingerprintSha256.slice(0, 16)}…, not the new ${expected.slice(0, 16)}…` : r.reason;
    if (i < attempts) await sleep(interval);
  }
  return { ok: false, reason: `health check on ${hc.host}:${hc.port} failed after ${attempts} attempts: ${last}` };
}

/**
 * What a failed activation puts back for a service: its files as found, except a file that
 * already holds the new material. Only an activation cut short (SIGKILL between two services,
 * then resumed) leaves such a file, and the bytes it replaced are those of the generation active
 * before the rotation, so that generation's material goes back instead (none before: kept as found).
 */
async function filesToRestore(s: ServiceActivation, next: ServiceMaterial, previous: ServiceMaterial | null): Promise<SavedFiles> {
  const cert = await readOrNull(s.certPath);
  const key = await readOrNull(s.keyPath);
  return {
    cert: previous && cert?.equals(Buffer.from(next.certChainPem)) ? Buffer.from(previous.certChainPem) : cert,
    key: previous && key?.equals(Buffer.from(next.keyPem)) ? Buffer.from(previous.keyPem) : key,
  };
}

/**
 * Gives the new certificate to each service in turn (so at most one is reloading at a time):
 * install the files, reload, and check over TLS that the service presents the new certificate.
 * When a service fails, it and every service already switched get their old files back (see
 * filesToRestore; `previous` is the material of the generation active before the rotation) and
 * are reloaded again, and the failing service and reason are reported.
 */
export async function activateServices(services: ServiceActivation[], m: ServiceMaterial, previous: ServiceMaterial | null, opts: ActivationOptions = {}): Promise<ActivationResult> {
  const log = opts.log ?? (() => undefined);
  const done: Array<{ s: ServiceActivation; saved: SavedFiles }> = [];
  for (const s of services) {
    const saved = await filesToRestore(s, m, previous);
    done.push({ s, saved });
    let failure: string | null = null;
    let code = 'SERVICE_RELOAD_FAILED';
    try {
      await installFiles(s, m.certChainPem, m.keyPem, opts.fs);
      log({ event: 'service.reload', level: 'info', service: s.name });
      await reloadService(s, opts.reloadTimeoutMs);
      const h = await checkServiceHealth(s, m.certificateDer, opts);
      if (!h.ok) {
        code = 'SERVICE_HEALTH_CHECK_FAILED';
        failure = h.reason;
      } else log({ event: 'service.healthy', level: 'info', service: s.name, attempts: h.attempts });
    } catch (e) {
      failure = (e as Error).message;
    }
    if (failure !== null) {
      log({ event: 'service.activation-failed', level: 'error', service: s.name, code, reason: failure });
      const restored = await restoreServices(done.reverse(), opts);
      return { ok: false, service: s.name, code, message: `Service '${s.name}': ${failure}`, restored };
    }
  }
  return { ok: true, activated: services.map((s) => s.name) };
}

async function restoreServices(list: Array<{ s: ServiceActivation; saved: SavedFiles }>, opts: ActivationOptions): Promise<string[]> {
  const log = opts.log ?? (() => undefined);
  const restored: string[] = [];
  for (const { s, saved } of list) {
    try {
      await installFiles(s, saved.cert, saved.key, opts.fs);
      await reloadService(s, opts.reloadTimeoutMs);
      restored.push(s.name);
      log({ event: 'service.restored', level: 'warn', service: s.name });
    } catch (e) {
      log({ event: 'service.restore-failed', level: 'error', service: s.name, reason: (e as Error).message });
    }
  }
  return restored;
}
