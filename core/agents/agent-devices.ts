import { readFileSync } from 'node:fs';
import { ColdrootError } from '../errors.js';

/** One host to package an agent for. */
export interface AgentDevice {
  /** The host name: the bootstrap certificate's CN and DNS name, the agent's `host`. */
  host: string;
  /** Extra subjectAltNames for the bootstrap certificate (the profile allows DNS and URI names). */
  dns?: string[];
  uri?: string[];
}

export const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const MAX_DEVICES = 10_000;

/** Checks a device list: at least one, host names valid and unique. */
export function checkDevices(devices: AgentDevice[], source = 'devices'): AgentDevice[] {
  if (!devices.length) throw new ColdrootError('AGENT_DEVICES_EMPTY', `${source} names no device`, 'Give --host NAME, or a devices file with one host per line (CSV with a host column, or JSON)');
  if (devices.length > MAX_DEVICES) throw new ColdrootError('AGENT_DEVICES_TOO_MANY', `${source} names ${devices.length} devices; one call packages at most ${MAX_DEVICES}`, 'Split the list');
  const seen = new Set<string>();
  for (const [i, d] of devices.entries()) {
    if (typeof d.host !== 'string' || !HOST_NAME.test(d.host) || d.host.length > 253) {
      throw new ColdrootError('AGENT_DEVICE_INVALID', `${source}: device ${i + 1} has host ${JSON.stringify(d.host)}, which is not a DNS host name`, 'Use names such as web-01.fleet.example');
    }
    const key = d.host.toLowerCase();
    if (seen.has(key)) throw new ColdrootError('AGENT_DEVICE_DUPLICATE', `${source}: host '${d.host}' is listed twice`, 'Each host gets one package; remove the duplicate');
    seen.add(key);
  }
  return devices;
}

function fromJson(text: string, source: string): AgentDevice[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ColdrootError('AGENT_DEVICES_INVALID', `${source} is not valid JSON: ${(e as Error).message}`, 'Write a JSON array such as [{"host": "web-01.example"}]');
  }
  const list = Array.isArray(v) ? v : (v as { devices?: unknown })?.devices;
  if (!Array.isArray(list)) throw new ColdrootError('AGENT_DEVICES_INVALID', `${source} holds no array of devices`, 'Write [{"host": "web-01.example", "dns": ["…"]}] or {"devices": […]}');
  return list.map((d, i) => {
    if (typeof d === 'string') return { host: d };
    if (!d || typeof d !== 'object') throw new ColdrootError('AGENT_DEVICES_INVALID', `${source}: entry ${i + 1} is not a host name or an object`, 'Each entry is "host" or {"host": …}');
    const extra = Object.keys(d).filter((k) => !['host', 'dns', 'uri'].includes(k));
    if (extra.length) throw new ColdrootError('AGENT_DEVICES_INVALID', `${source}: entry ${i + 1} has unknown key ${extra[0]}`, 'A device has host, and optionally dns and uri (arrays of names)');
    const o = d as { host: unknown; dns?: unknown; uri?: unknown };
    for (const k of ['dns', 'uri'] as const) {
      if (o[k] !== undefined && (!Array.isArray(o[k]) || !(o[k] as unknown[]).every((x) => typeof x === 'string'))) {
        throw new ColdrootError('AGENT_DEVICES_INVALID', `${source}: entry ${i + 1}: ${k} must be an array of strings`, `Write "${k}": ["…"]`);
      }
    }
    return { host: o.host as string, ...(o.dns ? { dns: o.dns as string[] } : {}), ...(o.uri ? { uri: o.uri as string[] } : {}) };
  });
}

/** CSV: a header naming a `host` column (optional `dns` and `uri` columns, several names separated by ';'). */
function fromCsv(text: string, source: string): AgentDevice[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) return [];
  const header = lines[0].split(',').map((h) => h.trim().toLowerCase());
  const col = (n: string) => header.indexOf(n);
  if (col('host') < 0) throw new ColdrootError('AGENT_DEVICES_INVALID', `${source}: the first line must be a header with a 'host' column (found: ${lines[0]})`, 'Start the file with: host,dns,uri');
  const unknown = header.filter((h) => !['host', 'dns', 'uri'].includes(h));
  if (unknown.length) throw new ColdrootError('AGENT_DEVICES_INVALID', `${source}: unknown column '${unknown[0]}'`, 'Columns are host, and optionally dns and uri');
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== header.length) throw new ColdrootError('AGENT_DEVICES_INVALID', `${source}: line ${i + 2} has ${cells.length} fields; the header has ${header.length}`, "Separate several names inside a field with ';'");
    const list = (n: string) => (col(n) >= 0 && cells[col(n)] ? cells[col(n)].split(';').map((x) => x.trim()).filter(Boolean) : undefined);
    const dns = list('dns');
    const uri = list('uri');
    return { host: cells[col('host')], ...(dns ? { dns } : {}), ...(uri ? { uri } : {}) };
  });
}

/** Reads a devices file: JSON (an array, or {devices: [...]}) when it starts with '[' or '{', else CSV. */
export function readDevicesFile(path: string): AgentDevice[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ColdrootError('FILE_NOT_FOUND', `Cannot read devices file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Check the path');
  }
  const t = text.trimStart();
  return checkDevices(t.startsWith('[') || t.startsWith('{') ? fromJson(t, path) : fromCsv(t, path), path);
}
