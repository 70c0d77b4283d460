import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { ColdrootError } from '../errors.js';
import type { ConsoleDispatcher } from './dispatcher.js';
import type { StagingArea } from './staging-area.js';

/** The console's pages may load only their own scripts and styles, talk only to this host, and never be framed. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
export const SESSION_COOKIE = 'coldroot_session';
export const TOKEN_HEADER = 'x-coldroot-token';
export const CALL_HEADER = 'x-coldroot-call';
const MAX_JSON_BYTES = 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1']);

export interface BrowserHostOptions {
  dispatcher: ConsoleDispatcher;
  staging: StagingArea;
  /** The built renderer (index.html and assets/). */
  rendererDir: string;
  /** Interface to bind: loopback only (127.0.0.1, the default, or ::1). */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** For tests; a fresh random token otherwise. */
  token?: string;
}

export interface BrowserHost {
  /** The address to open once: it carries the session token, which the page trades for a cookie. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.json': 'application/json' };

/** Refuses any interface but loopback: the console holds CA keys' front door and has no TLS. */
export function assertLoopback(host: string): void {
  if (!LOOPBACK.has(host)) {
    const why = isIP(host) ? 'is not a loopback address' : 'is not an IP address (names can resolve anywhere)';
    throw new ColdrootError('NON_LOOPBACK_BIND', `Refusing to serve the console on ${host}: it ${why}`, 'The console serves 127.0.0.1 (or ::1) only; reach it from another machine through an SSH tunnel if you must');
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return v.join('=');
  }
  return null;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Content-Security-Policy': CONSOLE_CSP, 'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store', ...extra,
  });
  res.end(body);
}

function refuse(res: ServerResponse, status: number, code: string, message: string, hint: string): void {
  send(res, status, JSON.stringify({ ok: false, error: { code, message, hint } }), 'application/json');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_JSON_BYTES) throw new ColdrootError('REQUEST_TOO_LARGE', `The request body exceeds ${MAX_JSON_BYTES} bytes`, 'Send bundles through the upload, not inside an operation');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new ColdrootError('REQUEST_INVALID', 'The request body is not JSON', 'Send the operation input as a JSON object');
  }
}

/**
 * Serves the built console and the API on a loopback port for one session. Every request must
 * name this host (Host header: DNS-rebinding guard) and carry the session's random token, either
 * as the cookie the first page load sets (from ?token= in the printed URL) or in a header for
 * scripts; every API call must come from this origin (Origin header: cross-site guard) as JSON.
 */
export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const host = opts.host ?? '127.0.0.1';
  assertLoopback(host);
  const token = opts.token ?? randomBytes(32).toString('base64url');
  let port = 0;
  const hostNames = () => (host === '::1' ? [`[::1]:${port}`, `localhost:${port}`] : [`127.0.0.1:${port}`, `localhost:${port}`]);
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) refuse(res, e instanceof ColdrootError ? 400 : 500, e instanceof ColdrootError ? e.code : 'INTERNAL_ERROR', (e as Error).message, e instanceof ColdrootError ? e.hint : 'This is a Coldroot fault');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    if (!hostNames().includes(req.headers.host ?? '')) {
      return refuse(res, 421, 'HOST_REFUSED', `This console answers only to ${hostNames().join(' or ')}, not '${req.headers.host ?? ''}'`, 'Open the URL coldroot serve printed');
    }
    const offered = url.searchParams.get('token');
    if (req.method === 'GET' && url.pathname === '/' && offered !== null) {
      if (!sameSecret(offered, token)) return refuse(res, 401, 'TOKEN_INVALID', 'The session token in the address is not this session\'s', 'Open the URL the running coldroot serve printed');
      // Trade the token in the address for a cookie, and take it out of the address bar and history.
      res.writeHead(303, { Location: '/', 'Set-Cookie': `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      return void res.end();
    }
    const presented = (req.headers[TOKEN_HEADER] as string | undefined) ?? cookieToken(req);
    if (!presented || !sameSecret(presented, token)) {
      return refuse(res, 401, 'TOKEN_REQUIRED', 'This request carries no valid session token', 'Open the URL coldroot serve printed (it carries the token once); scripts send it in the X-Coldroot-Token header');
    }
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return refuse(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} ${url.pathname}: the API takes POST only`, 'POST a JSON object');
      const origin = req.headers.origin;
      if (!origin || !hostNames().map((h) => `http://${h}`).includes(origin)) {
        return refuse(res, 403, 'ORIGIN_REFUSED', `API calls are accepted from this console's own pages only, not from origin '${origin ?? '(none)'}'`, 'Use the console page; scripts send Origin: http://' + hostNames()[0]);
      }
      const op = url.pathname.slice('/api/'.length);
      if (op === 'stage') {
        if (req.headers['content-type'] !== 'application/octet-stream') return refuse(res, 415, 'CONTENT_TYPE', 'Uploads are application/octet-stream', 'Send the file bytes as the body');
        const staged = await opts.staging.stage(url.searchParams.get('name') ?? 'bundle', req);
        return send(res, 200, JSON.stringify({ ok: true, value: staged }), 'application/json');
      }
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(res, 415, 'CONTENT_TYPE', 'Operations take application/json', 'Send the input as a JSON object');
      const input = await readJson(req);
      const callId = req.headers[CALL_HEADER] as string | undefined;
      const result = await opts.dispatcher.dispatch(op, input, callId && /^[A-Za-z0-9-]{1,64}$/.test(callId) ? callId : undefined);
      return send(res, 200, JSON.stringify(result), 'application/json');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not served`, 'GET the console page');
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(opts.rendererDir, rel));
    if (!file.startsWith(opts.rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      return refuse(res, 404, 'NOT_FOUND', `${url.pathname} is not part of the console`, 'Open /');
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size, 'Content-Security-Policy': CONSOLE_CSP,
      'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY', 'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': rel.startsWith('assets/') ? 'private, max-age=31536000, immutable' : 'no-store',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new ColdrootError('PORT_IN_USE', `Port ${opts.port} on ${host} is in use`, 'Choose another --port, or leave it out to pick a free one')
      : e));
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  const origin = `http://${hostNames()[0]}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
