import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Throw-away software TPMs for tests. Each swtpm has its own state folder, and each local CA (the
 * stand-in for a TPM vendor, which issues the EK certificates) its own config and state folder:
 * swtpm_setup runs with --config pointing at a per-test swtpm_setup.conf, so nothing global
 * (/etc/swtpm*, /var/lib/swtpm-localca, ~/.config) is read or written. The TPM listens on
 * loopback ports chosen free at start; stop() kills exactly the process this helper started.
 */

const TOOLS = ['swtpm', 'swtpm_setup', 'swtpm_localca', 'tpm2_quote', 'tpm2_createak', 'tpm2_checkquote'];

export function swtpmAvailable(): { ok: true } | { ok: false; reason: string } {
  for (const t of TOOLS) {
    const r = spawnSync('which', [t], { encoding: 'utf8' });
    if (r.status !== 0) return { ok: false, reason: `${t} is not on PATH; apt install swtpm swtpm-tools tpm2-tools` };
  }
  return { ok: true };
}

/** A vendor stand-in: swtpm's local CA with its own folders. Its root and issuing certificates appear after the first TPM is made. */
export interface SwtpmLocalCa {
  dir: string;
  setupConf: string;
  /** PEM: the local CA's root, then its issuing certificate (what `coldroot tpm add-vendor-root` takes). */
  vendorCertificatesPem(): string;
  cleanup(): void;
}

export function createSwtpmLocalCa(): SwtpmLocalCa {
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-swtpm-ca-'));
  const state = join(dir, 'ca');
  mkdirSync(state);
  const caConf = join(dir, 'swtpm-localca.conf');
  const caOptions = join(dir, 'swtpm-localca.options');
  const setupConf = join(dir, 'swtpm_setup.conf');
  writeFileSync(caConf, `statedir = ${state}\nsigningkey = ${state}/signkey.pem\nissuercert = ${state}/issuercert.pem\ncertserial = ${state}/certserial\n`);
  writeFileSync(caOptions, '--platform-manufacturer Coldroot\n--platform-version 2.1\n--platform-model test\n');
  writeFileSync(setupConf, `create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = ${caConf}\ncreate_certs_tool_options = ${caOptions}\nactive_pcr_banks = sha256\n`);
  return {
    dir, setupConf,
    vendorCertificatesPem: () => readFileSync(join(state, 'swtpm-localca-rootca-cert.pem'), 'utf8') + readFileSync(join(state, 'issuercert.pem'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Swtpm {
  /** TPM2TOOLS_TCTI value for this TPM. */
  tcti: string;
  port: number;
  stateDir: string;
  ca: SwtpmLocalCa;
  /** Stops the TPM process (state stays until cleanup). */
  stop(): Promise<void>;
  /** Stops it and removes its folders (and its CA's when the TPM made its own). */
  cleanup(): Promise<void>;
}

function listenOn(port: number): Promise<(() => Promise<void>) | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => resolve(() => new Promise((r) => s.close(() => r()))));
  });
}

/** Two consecutive free loopback ports: the swtpm TCTI talks to the server on P and to the control channel on P+1. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const a = await listenOn(base);
    if (!a) continue;
    const b = await listenOn(base + 1);
    await a();
    if (!b) continue;
    await b();
    return base;
  }
  throw new Error('no two consecutive free loopback ports found in 50 tries');
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** Manufactures a TPM 2.0 (EK + EK certificate + platform certificate) and serves it on loopback. */
export async function startSwtpm(opts: { ca?: SwtpmLocalCa } = {}): Promise<Swtpm> {
  const ca = opts.ca ?? createSwtpmLocalCa();
  const stateDir = mkdtempSync(join(tmpdir(), 'coldroot-swtpm-'));
  // Asynchronous, so that several TPMs of one test can be manufactured side by side (swtpm_localca locks its own state).
  const setup = await new Promise<{ status: number | null; output: string }>((resolve) => {
    const p = spawn('swtpm_setup', ['--tpm2', '--tpmstate', stateDir, '--create-ek-cert', '--create-platform-cert', '--config', ca.setupConf, '--overwrite'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout!.on('data', (d) => { output += String(d); });
    p.stderr!.on('data', (d) => { output += String(d); });
    p.once('error', (e) => resolve({ status: null, output: e.message }));
    p.once('close', (status) => resolve({ status, output }));
  });
  if (setup.status !== 0) {
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error(`swtpm_setup failed (exit ${setup.status}): ${setup.output}`);
  }
  const port = await freePortPair();
  const server = { port };
  const ctrl = { port: port + 1 };
  const child: ChildProcess = spawn('swtpm', ['socket', '--tpm2', '--tpmstate', `dir=${stateDir}`,
    '--server', `type=tcp,port=${server.port},bindaddr=127.0.0.1`, '--ctrl', `type=tcp,port=${ctrl.port},bindaddr=127.0.0.1`, '--flags', 'not-need-init,startup-clear'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => { exited = true; r(); }));
  // swtpm binds within milliseconds; poll its port a bounded number of times (2 s at most).
  let listening = false;
  for (let i = 0; i < 200 && !exited && !listening; i++) {
    listening = await connects(server.port);
    if (!listening) await new Promise((r) => setTimeout(r, 10));
  }
  if (!listening) {
    child.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error(`swtpm did not listen on 127.0.0.1:${server.port}: ${stderr}`);
  }
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await exit;
    }
  };
  return {
    tcti: `swtpm:host=127.0.0.1,port=${server.port}`, port: server.port, stateDir, ca, stop,
    async cleanup() {
      await stop();
      rmSync(stateDir, { recursive: true, force: true });
      if (!opts.ca) ca.cleanup();
    },
  };
}
