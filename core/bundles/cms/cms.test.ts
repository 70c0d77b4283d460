import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { KeyAlgorithm } from '../../keys/key-algorithm.js';
import { generateKeyObject } from '../../keys/software-key-store.js';
import { SoftwareSigner } from '../../keys/software-signer.js';
import { fromPemOrDer } from '../../x509/asn1.js';
import { buildCsr } from '../../x509/csr-builder.js';
import { readChildren, readTlv, tlvBytes } from '../../x509/der-reader.js';
import { makeBundleTestKit, TEST_PASSPHRASE, type BundleTestKit } from '../testing/bundle-test-kit.js';
import { signDetached, type SigningIdentity } from './cms-sign.js';
import { verifyDetached } from './cms-verify.js';

let kit: BundleTestKit;
const identities = new Map<KeyAlgorithm, SigningIdentity>();
const content = new TextEncoder().encode('{"type":"metrics"}\n');

before(async () => {
  kit = await makeBundleTestKit();
  for (const alg of ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'ed25519'] as const) {
    const signer = new SoftwareSigner(generateKeyObject(alg), alg, `software:cms-${alg}`);
    const c = await kit.svc.issueCertificate({ caId: kit.deviceCa.id, secret: { passphrase: TEST_PASSPHRASE }, profile: 'bundle-signing', csr: await buildCsr(signer, `CN=cms ${alg}`) });
    identities.set(alg, { signer, certificate: fromPemOrDer(c.certificatePem, ['CERTIFICATE'])[0], chain: [fromPemOrDer(kit.deviceCa.certificatePem!, ['CERTIFICATE'])[0]] });
  }
});
after(() => kit.close());

/** The SignedData's exact bytes inside ContentInfo, and a way to put edited ones back. */
function edit(p7s: Uint8Array, change: (sd: SignedData) => void): Uint8Array {
  const top = readTlv(p7s);
  const [, explicit] = readChildren(p7s, top);
  const inner = readChildren(p7s, explicit)[0];
  const sd = AsnConvert.parse(tlvBytes(p7s, inner), SignedData);
  change(sd);
  const body = new Uint8Array(AsnConvert.serialize(sd));
  // Lengths change with the content; re-wrap from scratch.
  const wrap = (tag: number, b: Uint8Array) => {
    const len = b.length < 128 ? [b.length] : b.length < 256 ? [0x81, b.length] : [0x82, b.length >> 8, b.length & 0xff];
    return Uint8Array.from([tag, ...len, ...b]);
  };
  const oid = tlvBytes(p7s, readChildren(p7s, top)[0]);
  return wrap(0x30, Uint8Array.from([...oid, ...wrap(0xa0, body)]));
}

describe('detached CMS SignedData', () => {
  test('signs and verifies with ECDSA P-256, P-384 and RSA-3072, carrying the chain', async () => {
    for (const [alg, digest] of [['ecdsa-p256', 'sha256'], ['ecdsa-p384', 'sha384'], ['rsa-3072', 'sha256']] as const) {
      const id = identities.get(alg)!;
      const at = new Date('2026-03-02T10:00:00.456Z');
      const v = verifyDetached(await signDetached(content, id, at), content);
      assert.ok(v.ok, `${alg}: ${!v.ok && v.message}`);
      assert.deepEqual(v.signerCertificate, id.certificate);
      assert.equal(v.certificates.length, 2);
      assert.equal(v.digest, digest);
      assert.equal(v.signingTime?.toISOString(), '2026-03-02T10:00:00.000Z');
    }
  });

  test('Ed25519 follows RFC 8419 (SHA-512 digest) and verifies here', async () => {
    const v = verifyDetached(await signDetached(content, identities.get('ed25519')!, new Date()), content);
    assert.ok(v.ok && v.digest === 'sha512');
  });

  test('altered content, signature, signer or structure each fail with their reason', async () => {
    const id = identities.get('ecdsa-p256')!;
    const p7s = await signDetached(content, id, new Date());
    const fails = (r: ReturnType<typeof verifyDetached>, message: RegExp) => assert.ok(!r.ok && message.test(r.message), JSON.stringify(r));
    fails(verifyDetached(p7s, new TextEncoder().encode('{"type":"metrics!"}\n')), /messageDigest does not match/);
    const sig = Buffer.from(p7s);
    sig[sig.length - 5] ^= 0x40;
    fails(verifyDetached(sig, content), /does not verify|not a DER/);
    fails(verifyDetached(p7s.subarray(0, p7s.length - 1), content), /not a DER CMS/);
    fails(verifyDetached(Buffer.concat([p7s, Buffer.from([0])]), content), /not a DER CMS/);
    fails(verifyDetached(edit(p7s, (sd) => { sd.certificates = undefined; }), content), /not in the SignedData/);
    fails(verifyDetached(edit(p7s, (sd) => { sd.digestAlgorithms[0].algorithm = '2.16.840.1.101.3.4.2.2'; }), content), /digestAlgorithms must name exactly/);
    fails(verifyDetached(edit(p7s, (sd) => { sd.version = 3; }), content), /SignedData version 3/);
    fails(verifyDetached(edit(p7s, (sd) => { sd.signerInfos[0].signatureAlgorithm.algorithm = '1.2.840.10045.4.3.3'; }), content), /hashes with sha384/);
    fails(verifyDetached(edit(p7s, (sd) => { sd.signerInfos[0].signedAttrs = sd.signerInfos[0].signedAttrs!.filter((a) => a.attrType !== '1.2.840.113549.1.9.4'); }), content), /messageDigest attribute is missing|does not verify/);
    assert.ok(verifyDetached(edit(p7s, () => undefined), content).ok, 'the editing helper itself keeps a good signature good');
  });

  test('a signer whose key does not match its certificate is refused before anything is written', async () => {
    const a = identities.get('ecdsa-p256')!;
    const forged = await signDetached(content, { ...a, signer: new SoftwareSigner(generateKeyObject('ecdsa-p256'), 'ecdsa-p256', 'software:other') }, new Date()).catch((e: Error) => e);
    assert.ok(forged instanceof Error && /does not verify/.test(forged.message), 'the signer refuses to emit a signature its certificate cannot verify');
  });
});
