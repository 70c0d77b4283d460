import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ColdrootError } from '../../../../core/errors.js';

export interface MetricsEndpoint {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** `listen` is HOST:PORT on loopback (the config schema enforces it; checked again here). */
export async function startMetricsEndpoint(listen: string, render: () => string | Promise<string>): Promise<MetricsEndpoint> {
  const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(listen);
  const host = m?.[1] === 'localhost' ? '127.0.0.1' : m?.[1];
  if (!m || !host || !(host.startsWith('127.') || host === '::1')) {
    throw new ColdrootError('METRICS_LISTEN_NOT_LOOPBACK', `prometheus.listen ${listen} is not a loopback address`, 'Use 127.0.0.1:PORT; scrape it through node_exporter or a local proxy');
  }
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    Promise.resolve().then(render).then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    server,
    url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
