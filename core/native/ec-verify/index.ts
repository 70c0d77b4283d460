import { createRequire } from 'node:module';

/** 1 valid, 0 the signature does not verify (or is not canonical DER), -1 the point is not on the curve. */
type NativeVerify = (curve: 0 | 1, point: Uint8Array, message: Uint8Array, signature: Uint8Array, hash: 0 | 1 | 2) => 1 | 0 | -1;

function load(): { verify: NativeVerify | null; reason: string } {
  try {
    const addon = createRequire(import.meta.url)('./build/Release/ec_verify.node') as { verify: NativeVerify };
    return { verify: addon.verify, reason: 'loaded' };
  } catch (e) {
    // Not built (no compiler at install time) or a runtime without Node's OpenSSL (Electron's BoringSSL).
    return { verify: null, reason: (e as Error).message.split('\n')[0] };
  }
}

/**
 * The ECDSA verifier built from core/native/ec-verify at install time (`npm ci` runs
 * scripts/build-native.mjs), or null with the reason; callers then verify with node:crypto.
 */
export const nativeEcVerify = load();
