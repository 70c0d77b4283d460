import { isAbsolute } from 'node:path';
import { ColdrootError } from '../errors.js';

/**
 * A PKCS#11 URI (RFC 7512), restricted to the attributes Coldroot acts on.
 *
 * Parsing is strict: an attribute we do not act on is rejected rather than silently ignored,
 * because ignoring e.g. `slot-description` would select a key the operator did not mean.
 * `pin-value` and `pin-source` are rejected too: PINs are never stored, so a URI (which ends up
 * in the inventory and the audit trail) must not carry one. The PIN is passed separately.
 */
export interface Pkcs11Uri {
  /** CKA_LABEL of the token (token label). */
  token?: string;
  manufacturer?: string;
  model?: string;
  serial?: string;
  /** Decimal slot ID, as RFC 7512 writes it. */
  slotId?: string;
  /** CKA_LABEL of the object. */
  object?: string;
  /** CKA_ID of the object. */
  id?: Uint8Array;
  type?: Pkcs11ObjectType;
  /** Query attribute: absolute path of the PKCS#11 library. */
  modulePath?: string;
}

export const PKCS11_OBJECT_TYPES = ['public', 'private', 'cert', 'secret-key', 'data'] as const;
export type Pkcs11ObjectType = (typeof PKCS11_OBJECT_TYPES)[number];

const PATH_ATTRS = ['token', 'manufacturer', 'model', 'serial', 'slot-id', 'object', 'id', 'type'] as const;
const QUERY_ATTRS = ['module-path'] as const;
/** Defined by RFC 7512 but not acted on by Coldroot; named separately for a clearer rejection. */
const RFC_UNSUPPORTED = ['library-manufacturer', 'library-description', 'library-version', 'slot-description', 'slot-manufacturer', 'module-name'];
const PIN_ATTRS = ['pin-value', 'pin-source'];

// RFC 7512 section 2.3: characters allowed unencoded in path and query values.
const UNRESERVED = /[A-Za-z0-9\-._~]/;
const PATH_RES = new Set([':', '[', ']', '@', '!', '$', "'", '(', ')', '*', '+', ',', '=', '&']);
const QUERY_RES = new Set([':', '[', ']', '@', '!', '$', "'", '(', ')', '*', '+', ',', '=', '/', '?', '|']);

const HINT = `Write it as pkcs11:token=<token label>;object=<key label>;id=%01%02;type=private?module-path=/path/to/module.so (percent-encode other characters); supported path attributes: ${PATH_ATTRS.join(', ')}; query: ${QUERY_ATTRS.join(', ')}`;

function invalid(uri: string, inputName: string, why: string): ColdrootError {
  return new ColdrootError('PKCS11_URI_INVALID', `Invalid PKCS#11 URI '${redactPins(uri)}' for ${inputName}: ${why}`, HINT);
}

/** Error messages name the URI; a PIN in it must not reach a log. */
function redactPins(uri: string): string {
  return uri.replace(/((?:^|[?&;])pin-(?:value|source)=)[^&;]*/g, '$1<redacted>');
}

function decodeBytes(raw: string, allowed: Set<string>, fail: (why: string) => ColdrootError, attr: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw fail(`bad percent-encoding '${raw.slice(i, i + 3)}' in '${attr}'`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (UNRESERVED.test(ch) || allowed.has(ch)) {
      out.push(ch.charCodeAt(0));
    } else {
      const enc = Buffer.from(ch, 'utf8').toString('hex').toUpperCase().replace(/(..)/g, '%$1');
      throw fail(`character '${ch}' in '${attr}' must be percent-encoded as ${enc}`);
    }
  }
  return Uint8Array.from(out);
}

function decodeText(raw: string, allowed: Set<string>, fail: (why: string) => ColdrootError, attr: string): string {
  const bytes = decodeBytes(raw, allowed, fail, attr);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw fail(`'${attr}' is not valid UTF-8 after percent-decoding`);
  }
}

export function parsePkcs11Uri(uri: string, inputName = '--key'): Pkcs11Uri {
  const fail = (why: string) => invalid(uri, inputName, why);
  if (!/^pkcs11:/i.test(uri)) throw fail("it must start with 'pkcs11:'");
  const rest = uri.slice('pkcs11:'.length);
  if (rest.includes('#')) throw fail("a fragment ('#') is not allowed; percent-encode '#' as %23");
  const q = rest.indexOf('?');
  const path = q === -1 ? rest : rest.slice(0, q);
  const query = q === -1 ? null : rest.slice(q + 1);

  const result: Pkcs11Uri = {};
  const seen = new Set<string>();
  const split = (part: string, sep: string, where: 'path' | 'query') => {
    if (part === '') return [];
    return part.split(sep).map((attr) => {
      if (attr === '') throw fail(`empty attribute in the ${where} (doubled or trailing '${sep}')`);
      const eq = attr.indexOf('=');
      if (eq <= 0) throw fail(`attribute '${attr}' in the ${where} has no name=value form`);
      const name = attr.slice(0, eq);
      const value = attr.slice(eq + 1);
      if (PIN_ATTRS.includes(name)) {
        throw new ColdrootError(
          'PKCS11_URI_INVALID',
          `PKCS#11 URI '${redactPins(uri)}' for ${inputName} carries '${name}'; Coldroot never takes a PIN from a URI`,
          `Remove '${name}' from the URI and give the PIN when asked; PINs are never stored`,
        );
      }
      const known: readonly string[] = where === 'path' ? PATH_ATTRS : QUERY_ATTRS;
      if (!known.includes(name)) {
        const otherPart = where === 'path' ? QUERY_ATTRS : PATH_ATTRS;
        if ((otherPart as readonly string[]).includes(name)) throw fail(`'${name}' belongs in the ${where === 'path' ? 'query (after ?)' : 'path (before ?)'}`);
        if (RFC_UNSUPPORTED.includes(name)) throw fail(`attribute '${name}' is not supported`);
        throw fail(`unknown attribute '${name}'`);
      }
      if (seen.has(name)) throw fail(`attribute '${name}' appears more than once`);
      seen.add(name);
      if (value === '') throw fail(`attribute '${name}' is empty`);
      return [name, value] as const;
    });
  };

  for (const [name, value] of split(path, ';', 'path')) {
    switch (name) {
      case 'id':
        result.id = decodeBytes(value, PATH_RES, fail, name);
        break;
      case 'slot-id':
        if (!/^[0-9]+$/.test(value)) throw fail(`slot-id '${value}' is not a decimal number`);
        result.slotId = BigInt(value).toString();
        break;
      case 'type': {
        const t = decodeText(value, PATH_RES, fail, name);
        if (!(PKCS11_OBJECT_TYPES as readonly string[]).includes(t)) throw fail(`type '${t}' is not one of ${PKCS11_OBJECT_TYPES.join(', ')}`);
        result.type = t as Pkcs11ObjectType;
        break;
      }
      default:
        result[name as 'token' | 'manufacturer' | 'model' | 'serial' | 'object'] = decodeText(value, PATH_RES, fail, name);
    }
  }
  if (query !== null) {
    for (const [, value] of split(query, '&', 'query')) {
      const p = decodeText(value, QUERY_RES, fail, 'module-path');
      if (!isAbsolute(p)) throw fail(`module-path '${p}' is not an absolute path`);
      result.modulePath = p;
    }
  }
  return result;
}

function encode(bytes: Uint8Array, allowed: Set<string>): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && (UNRESERVED.test(ch) || allowed.has(ch)) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Formats in a fixed attribute order, so one key always has one URI. */
export function formatPkcs11Uri(u: Pkcs11Uri): string {
  // '&' is legal in a path value but reads like a query separator; encode it anyway.
  const pathAllowed = new Set([...PATH_RES].filter((c) => c !== '&'));
  const parts: string[] = [];
  const text = (name: string, v: string | undefined) => {
    if (v === '') throw new TypeError(`PKCS#11 URI attribute '${name}' cannot be empty`);
    if (v !== undefined) parts.push(`${name}=${encode(utf8(v), pathAllowed)}`);
  };
  text('token', u.token);
  text('manufacturer', u.manufacturer);
  text('model', u.model);
  text('serial', u.serial);
  if (u.slotId !== undefined && !/^[0-9]+$/.test(u.slotId)) throw new TypeError(`PKCS#11 URI slot-id '${u.slotId}' is not a decimal number`);
  if (u.slotId !== undefined) parts.push(`slot-id=${u.slotId}`);
  text('object', u.object);
  if (u.id !== undefined && u.id.length === 0) throw new TypeError("PKCS#11 URI attribute 'id' cannot be empty");
  // CKA_ID is binary: every byte encoded, as RFC 7512's examples do.
  if (u.id !== undefined) parts.push(`id=${Array.from(u.id, (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')}`);
  text('type', u.type);
  let uri = `pkcs11:${parts.join(';')}`;
  if (u.modulePath !== undefined) uri += `?module-path=${encode(utf8(u.modulePath), QUERY_RES)}`;
  return uri;
}
