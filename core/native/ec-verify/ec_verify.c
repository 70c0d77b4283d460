/*
 * ECDSA P-256 / P-384 verification straight from a public point, through the OpenSSL that Node
 * itself exports. node:crypto must build an EVP_PKEY through OpenSSL 3's decoder chain for every
 * new key (~100-250 us); a batch of certificate requests has a new key per request, so that cost,
 * not the verification (~45 us), decided the issuance rate. Here the point is decoded onto a
 * per-thread EC_KEY whose group is built once, and ECDSA_do_verify runs on the curve's own
 * implementation.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <string.h>

/* One key object per curve and thread: worker threads call in concurrently. */
static __thread EC_KEY *keys[2];

static EC_KEY *key_for(int curve) {
  if (!keys[curve]) keys[curve] = EC_KEY_new_by_curve_name(curve == 0 ? NID_X9_62_prime256v1 : NID_secp384r1);
  return keys[curve];
}

static int buffer_arg(napi_env env, napi_value v, const unsigned char **data, size_t *len) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  size_t length, offset;
  void *base;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &base, &ab, &offset) != napi_ok || type != napi_uint8_array) return 0;
  *data = base;
  *len = length;
  return 1;
}

/*
 * verify(curve, point, message, signature, hash) -> 1 | 0 | -1
 *   curve: 0 = P-256, 1 = P-384; point: the uncompressed or compressed public point;
 *   message: the signed bytes; signature: DER ECDSA-Sig-Value; hash: 0 = SHA-256, 1 = SHA-384, 2 = SHA-512.
 * Returns 1 when the signature verifies, 0 when it does not (or is not canonical DER), -1 when the
 * point is not a point on the curve. Throws only on a programming error (wrong argument types).
 */
static napi_value verify(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t curve = -1, hash = -1;
  const unsigned char *point, *msg, *sig;
  size_t point_len, msg_len, sig_len;
  if (argc != 5 || napi_get_value_int32(env, argv[0], &curve) != napi_ok || (curve != 0 && curve != 1) ||
      !buffer_arg(env, argv[1], &point, &point_len) || !buffer_arg(env, argv[2], &msg, &msg_len) ||
      !buffer_arg(env, argv[3], &sig, &sig_len) || napi_get_value_int32(env, argv[4], &hash) != napi_ok || hash < 0 || hash > 2) {
    napi_throw_type_error(env, NULL, "verify(curve 0|1, point, message, signature, hash 0|1|2) takes Uint8Arrays");
    return NULL;
  }
  int ok = 0;
  EC_KEY *key = key_for(curve);
  if (!key) {
    napi_throw_error(env, NULL, "OpenSSL could not create the curve");
    return NULL;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const EVP_MD *md = hash == 0 ? EVP_sha256() : hash == 1 ? EVP_sha384() : EVP_sha512();
  ECDSA_SIG *s = NULL;
  const unsigned char *p = sig;
  /* o2i checks the point lies on the curve; d2i must consume the whole signature (no trailing bytes). */
  if (!o2i_ECPublicKey(&key, &point, (long)point_len)) {
    ok = -1;
  } else if (EVP_Digest(msg, msg_len, digest, &digest_len, md, NULL) &&
      (s = d2i_ECDSA_SIG(NULL, &p, (long)sig_len)) != NULL && p == sig + sig_len) {
    /* Reject non-canonical DER: re-encoding must give the same bytes. */
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(s, &der);
    if (der_len == (int)sig_len && memcmp(der, sig, sig_len) == 0) ok = ECDSA_do_verify(digest, (int)digest_len, s, key) == 1;
    OPENSSL_free(der);
  }
  ECDSA_SIG_free(s);
  napi_value result;
  napi_create_int32(env, ok, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "verify", NAPI_AUTO_LENGTH, verify, NULL, &fn);
  napi_set_named_property(env, exports, "verify", fn);
  return exports;
}
