import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fromPemOrDer } from '../x509/asn1.js';
import { decodeEvidence, encodeEvidence } from './attestation-evidence.js';
import { parseQuote, parseSignature, quoteQualifyingData, verifyQuote } from './tpm-quote.js';

// A quote captured from swtpm (fixtures/tpm/README.md).
const fx = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/tpm/${name}`, import.meta.url)));
const quote = fx('quote.msg');
const signature = fx('quote.sig');
const ak = fromPemOrDer(fx('ak.pem'), ['PUBLIC KEY'])[0];
const nonce = new Uint8Array(Buffer.from(new TextDecoder().decode(fx('nonce.hex')).trim(), 'hex'));
const csr = fx('csr.bin');
const expected = quoteQualifyingData(nonce, csr);

describe('TPMS_ATTEST and TPMT_SIGNATURE from swtpm', () => {
  test('the quote parses: magic, quote type, extraData = SHA-256(nonce || SHA-256(CSR)), one sha256 PCR selection', () => {
    const q = parseQuote(quote);
    assert.ok(q.ok, q.ok ? '' : q.message);
    assert.deepEqual(Buffer.from(q.value.extraData), Buffer.from(expected));
    assert.equal(q.value.qualifiedSigner.length, 34);
    assert.deepEqual(q.value.pcrSelections.map((s) => [s.hash, [...s.select]]), [[0x000b, [1, 0, 0]]]);
    assert.equal(q.value.pcrDigest.length, 32);
  });

  test('the signature parses as ECDSA/SHA-256 and the quote verifies with the AK', () => {
    const s = parseSignature(signature);
    assert.ok(s.ok);
    assert.equal(s.value.scheme, 'ecdsa');
    assert.equal(s.value.hash, 'sha256');
    const v = verifyQuote(quote, signature, ak, expected);
    assert.ok(v.ok, v.ok ? '' : v.message);
  });

  test('a flipped byte in the signer name, the extraData, the clock or the PCR digest fails the signature', () => {
    for (const at of [20, 44, 60, quote.length - 1]) {
      const forged = Uint8Array.from(quote);
      forged[at] ^= 1;
      const v = verifyQuote(forged, signature, ak, expected);
      assert.equal(v.ok ? 'ok' : v.reason, 'signature', `byte ${at}`);
    }
  });

  test('a flipped byte in the signature fails it', () => {
    const forged = Uint8Array.from(signature);
    forged[10] ^= 0x80;
    const v = verifyQuote(quote, forged, ak, expected);
    assert.deepEqual(v.ok ? null : [v.reason, v.message], ['signature', 'the quote signature (ecdsa, sha256) does not verify with the enrolled attestation key']);
  });

  test('another nonce or another CSR: the signature holds but extraData does not match', () => {
    const other = quoteQualifyingData(nonce, Uint8Array.from([...csr, 0]));
    const v = verifyQuote(quote, signature, ak, other);
    assert.equal(v.ok, false);
    if (!v.ok) {
      assert.equal(v.reason, 'extra-data');
      assert.equal(v.message, `the quote's extraData is ${Buffer.from(expected).toString('hex')}, but SHA-256(nonce || SHA-256(CSR)) is ${Buffer.from(other).toString('hex')}: the quote was made for another nonce or another CSR`);
    }
  });

  test('another key does not verify the quote', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const v = verifyQuote(quote, signature, new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })), expected);
    assert.equal(v.ok ? null : v.reason, 'signature');
  });

  test('structure errors are named: wrong magic, wrong type, truncation, trailing bytes', () => {
    const bad = (mutate: (b: Uint8Array) => Uint8Array) => { const r = parseQuote(mutate(Uint8Array.from(quote))); return r.ok ? 'ok' : r.message; };
    assert.equal(bad((b) => { b[0] = 0; return b; }), 'the quote starts with 0x00544347, not TPM_GENERATED_VALUE 0xff544347: the TPM did not produce it');
    assert.equal(bad((b) => { b[5] = 0x17; return b; }), 'the attestation has type 0x8017, not TPM_ST_ATTEST_QUOTE 0x8018');
    assert.match(bad((b) => b.subarray(0, 100)), /^the quote \(TPMS_ATTEST\) ends at byte 100, inside a field at \d+ that needs \d+ bytes$/);
    assert.equal(bad((b) => Uint8Array.from([...b, 0])), 'the quote (TPMS_ATTEST) has 1 bytes after its last field');
    const s = parseSignature(Uint8Array.from([0x00, 0x19, 0x00, 0x0b]));
    assert.equal(s.ok ? 'ok' : s.message, 'the quote signature has algorithm 0x19; Coldroot accepts ECDSA (0x18), RSASSA (0x14) and RSAPSS (0x16)');
    const sha1 = parseSignature(Uint8Array.from([0x00, 0x18, 0x00, 0x04]));
    assert.equal(sha1.ok ? 'ok' : sha1.message, 'the quote signature uses hash algorithm 0x4; Coldroot accepts SHA-256, SHA-384 and SHA-512');
  });

  test('an RSASSA TPMT_SIGNATURE verifies with an RSA key (the other form TPMs use)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const raw = sign('sha256', quote, privateKey);
    const tpmt = Buffer.concat([Buffer.from([0x00, 0x14, 0x00, 0x0b, raw.length >> 8, raw.length & 255]), raw]);
    assert.ok(verifyQuote(quote, tpmt, new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })), expected).ok);
    const ecdsa = verifyQuote(quote, signature, new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })), expected);
    assert.equal(ecdsa.ok ? '' : ecdsa.message, 'the quote is signed with ECDSA, but the enrolled attestation key is rsa');
  });

  test('evidence round-trips, and strict decoding names the field', () => {
    const ek = Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]);
    const blob = encodeEvidence({ nonce, quote, signature, ekCertificate: ek });
    const d = decodeEvidence(blob);
    assert.ok(d.ok);
    assert.deepEqual([d.value.nonce, d.value.quote, d.value.signature, d.value.ekCertificate].map((b) => Buffer.from(b).toString('hex')), [nonce, quote, signature, ek].map((b) => Buffer.from(b).toString('hex')));
    const extra = JSON.parse(new TextDecoder().decode(blob));
    extra.pcrs = 'x';
    const r = decodeEvidence(new TextEncoder().encode(JSON.stringify(extra)));
    assert.match(r.ok ? '' : r.message, /^the attestation \(coldroot\.tpm-attestation\.v1\): \(top level\): Unrecognized key/);
    const r2 = decodeEvidence(Uint8Array.from([1, 2, 3]));
    assert.match(r2.ok ? '' : r2.message, /^the attestation is not UTF-8 JSON/);
  });
});
