import { protocol, session } from 'electron';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

export const CONSOLE_SCHEME = 'coldroot';
export const CONSOLE_ORIGIN = 'coldroot://console';
/** The same policy the browser host sends: own scripts and styles only, no network, never framed. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2' };

/** Is this URL one of the console's own pages (coldroot://console/…)? Everything else is remote content. */
export function isConsoleUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${CONSOLE_SCHEME}:` && u.host === 'console';
  } catch {
    return false;
  }
}

/** Serves the built renderer from disk as coldroot://console/…, with the CSP on every response. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(CONSOLE_SCHEME, async (request) => {
    const url = new URL(request.url);
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(rendererDir, rel));
    if (url.host !== 'console' || !file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      return new Response('not part of the console', { status: 404, headers: { 'Content-Type': 'text/plain', 'Content-Security-Policy': CONSOLE_CSP } });
    }
    // Read from disk here rather than through net.fetch: that would pass the session's request filter, which lets only coldroot://console through.
    return new Response(await readFile(file), {
      status: 200,
      headers: { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CONSOLE_CSP, 'X-Content-Type-Options': 'nosniff' },
    });
  });
}

/**
 * No remote content and no permissions: every request that is not the console's own is cancelled,
 * every permission (camera, notifications, …) is refused, and the CSP rides on every response.
 */
export function hardenSession(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isConsoleUrl(details.url) && !details.url.startsWith('devtools://') }));
  s.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONSOLE_CSP] } }));
}
