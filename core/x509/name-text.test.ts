import assert from 'node:assert/strict';
import { test } from 'node:test';
import 'reflect-metadata';
import { Name } from '@peculiar/x509';
import { derOid, derSequence, derTlv } from './der-writer.js';
import { nameToText } from './name-text.js';

const set = (...atvs: Uint8Array[]) => derTlv(0x31, Buffer.concat(atvs));
const atv = (oid: string, tag: number, value: Buffer) => derSequence([derOid(oid), derTlv(tag, value)]);

test('nameToText prints exactly what @peculiar/x509 prints, for strings', () => {
  for (const dn of ['CN=www.example.com', 'CN=Example Root CA, O=Example Inc., C=US', 'CN=a\\,b, OU=x+CN=y', 'E=ops@example.com, DC=example, DC=com', 'CN=Zoë Ünïcode, O=Ærø', 'CN= leading, O=trailing ', '2.5.4.5=12345, CN=serial holder', 'T=Title, SN=Surname, G=Given, L=Town, ST=State']) {
    const der = new Uint8Array(new Name(dn).toArrayBuffer());
    assert.equal(nameToText(der), new Name(der).toString(), dn);
  }
});

test('nameToText matches @peculiar/x509 for unusual value types and control characters', () => {
  const names = [
    derSequence([set(atv('2.5.4.3', 0x1e, Buffer.from('\u0000B\u0000M\u0000P', 'latin1')))]), // BMPString
    derSequence([set(atv('2.5.4.3', 0x14, Buffer.from('teletex', 'latin1')))]),
    derSequence([set(atv('2.5.4.3', 0x0c, Buffer.from('tab\there', 'utf8')))]),
    derSequence([set(derSequence([derOid('2.5.4.45'), derTlv(0x03, Buffer.from([0, 1, 2]))]))]), // BIT STRING value
    derSequence([set(atv('1.3.6.1.4.1.99999.1', 0x13, Buffer.from('private', 'latin1')))]),
  ];
  for (const der of names) assert.equal(nameToText(der), new Name(der).toString(), Buffer.from(der).toString('hex'));
});
