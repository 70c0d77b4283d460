import assert from 'node:assert/strict';
import { test } from 'node:test';
import 'reflect-metadata';
import { Name } from '@peculiar/x509';
import { nameToText } from './name-text.js';

test('nameToText prints exactly what @peculiar/x509 prints', () => {
  for (const dn of ['CN=www.example.com', 'CN=Example Root CA, O=Example Inc., C=US', 'CN=a\\,b, OU=x+CN=y', 'E=ops@example.com, DC=example, DC=com', 'CN=Zoë Ünïcode, O=Ærø', 'CN= leading, O=trailing ', '2.5.4.5=12345, CN=serial holder', 'T=Title, SN=Surname, G=Given, L=Town, ST=State']) {
    const der = new Uint8Array(new Name(dn).toArrayBuffer());
    assert.equal(nameToText(der), new Name(der).toString(), dn);
  }
});
