import { randomBytes } from 'node:crypto';
import { KeyType, ObjectClass, type IKeyPair } from 'graphene-pk11';
import { ColdrootError } from '../errors.js';
import { keyAlgorithmInfo, type KeyAlgorithm } from './key-algorithm.js';
import { pkcs11Failure } from './pkcs11-module.js';
import { signerForKeyPair, type Pkcs11Signer } from './pkcs11-signer.js';
import { acquireTokenSession, type TokenSession } from './pkcs11-token-session.js';

const CKK_EC_EDWARDS = 0x40;
const MECH = {
  CKM_RSA_PKCS_KEY_PAIR_GEN: 0x0,
  CKM_RSA_PKCS: 0x1,
  CKM_EC_KEY_PAIR_GEN: 0x1040,
  CKM_ECDSA: 0x1041,
  CKM_EC_EDWARDS_KEY_PAIR_GEN: 0x1055,
  CKM_EDDSA: 0x1057,
} as const;
type MechName = keyof typeof MECH;

interface KeygenPlan {
  generate: MechName;
  sign: MechName;
  keyType: number;
  publicAttrs: Record<string, unknown>;
}

function plan(alg: KeyAlgorithm): KeygenPlan {
  const info = keyAlgorithmInfo(alg);
  switch (info.family) {
    case 'rsa':
      return {
        generate: 'CKM_RSA_PKCS_KEY_PAIR_GEN',
        sign: 'CKM_RSA_PKCS', // over a DigestInfo built in Node, see pkcs11-signer.ts
        keyType: KeyType.RSA,
        publicAttrs: { modulusBits: info.modulusBits, publicExponent: Buffer.from([0x01, 0x00, 0x01]) },
      };
    case 'ec':
      return {
        generate: 'CKM_EC_KEY_PAIR_GEN',
        sign: 'CKM_ECDSA',
        keyType: KeyType.EC,
        publicAttrs: { paramsEC: Buffer.from(alg === 'ecdsa-p256' ? '06082a8648ce3d030107' : '06052b81040022', 'hex') },
      };
    case 'ed25519':
      return { generate: 'CKM_EC_EDWARDS_KEY_PAIR_GEN', sign: 'CKM_EDDSA', keyType: CKK_EC_EDWARDS, publicAttrs: { paramsEC: Buffer.from('06032b6570', 'hex') } };
  }
}

function requireMechanisms(token: TokenSession, alg: KeyAlgorithm, p: KeygenPlan): void {
  const slot = token.session.slot;
  const supported = new Set(slot.lib.C_GetMechanismList(slot.handle));
  const missing = [p.generate, p.sign].filter((m) => !supported.has(MECH[m]));
  if (missing.length) {
    throw new ColdrootError(
      'PKCS11_ALGORITHM_UNSUPPORTED',
      `Token '${token.token.label}' (module ${token.modulePath}) does not support ${missing.join(' and ')}, needed for ${alg} keys`,
      `Choose another --algorithm, or list what the token supports with: pkcs11-tool --module ${token.modulePath} --token-label '${token.token.label}' -M`,
    );
  }
}

/**
 * Generates a key pair on the token: the private half is sensitive and never extractable, so it
 * never exists outside the HSM. A label already on the token is refused: a second object under one
 * label makes `object=` URIs ambiguous and invites signing with the wrong key.
 */
export async function generatePkcs11Key(opts: { modulePath: string; tokenLabel: string; pin: string; label: string; algorithm: KeyAlgorithm }): Promise<Pkcs11Signer> {
  const { label, algorithm } = opts;
  if (label.trim() === '' || label !== label.trim()) {
    throw new ColdrootError('PKCS11_KEY_LABEL_INVALID', `Key label '${label}' is empty or has leading/trailing spaces`, 'Give a label such as root-ca-2026');
  }
  const p = plan(algorithm);
  const match = { token: opts.tokenLabel };
  const token = await acquireTokenSession(opts.modulePath, match, opts.pin);
  try {
    const pair = await token.queue.run((): IKeyPair => {
      requireMechanisms(token, algorithm, p);
      // Checked and generated in one queue turn, so two generations in this process cannot both pass.
      if (token.session.find({ label }).length > 0) {
        throw new ColdrootError(
          'PKCS11_KEY_LABEL_EXISTS',
          `Token '${token.token.label}' already holds an object labelled '${label}'`,
          `Choose another key label; Coldroot never reuses one (see them with: pkcs11-tool --module ${token.modulePath} --token-label '${token.token.label}' --login --list-objects)`,
        );
      }
      const id = randomBytes(20);
      const common = { token: true, label, id, keyType: p.keyType };
      try {
        return token.session.generateKeyPair(
          MECH[p.generate],
          { ...common, class: ObjectClass.PUBLIC_KEY, private: false, verify: true, encrypt: false, wrap: false, ...p.publicAttrs },
          { ...common, class: ObjectClass.PRIVATE_KEY, private: true, sensitive: true, extractable: false, sign: true, decrypt: false, unwrap: false, derive: false },
        );
      } catch (e) {
        throw pkcs11Failure(`Generating a ${algorithm} key labelled '${label}' on token '${token.token.label}'`, e);
      }
    });
    try {
      return await signerForKeyPair(token, match, pair.privateKey, pair.publicKey);
    } catch (e) {
      // A pair that fails its own check must not stay behind under the label.
      await token.queue.run(() => {
        for (const o of [pair.privateKey, pair.publicKey]) try { o.destroy(); } catch { /* best effort */ }
      });
      throw e;
    }
  } catch (e) {
    await token.release();
    throw e;
  }
}
