import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';

/** DER-encodes an @peculiar/asn1-* object. */
export function encodeDer(value: unknown): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

/** Parses DER into an @peculiar/asn1-* class; throws on malformed input (callers wrap it). */
export function decodeDer<T>(der: Uint8Array, type: new () => T): T {
  return AsnConvert.parse(der, type);
}

export function toHex(bytes: Uint8Array | ArrayBuffer): string {
  return Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('hex');
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

/** Reads PEM (any of the given labels) or raw DER; returns the DER of every block. */
export function fromPemOrDer(data: Uint8Array | string, labels: string[]): Uint8Array[] {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  if (!text.includes('-----BEGIN ')) return [typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'latin1')) : data];
  const out: Uint8Array[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (labels.includes(m[1])) out.push(new Uint8Array(Buffer.from(m[2].replace(/\s+/g, ''), 'base64')));
  }
  return out;
}
