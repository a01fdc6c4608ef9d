/* SPDX-License-Identifier: ISC */
/* WebAuthn: challenges, client data, authenticator data, attestation
 * objects, and the checks of registrations and assertions. Signatures and
 * attestations are checked with libfido2 (loaded on first use). */
#ifndef TWOFACTL_WEBAUTHN_H
#define TWOFACTL_WEBAUTHN_H

#include "core/core.h"
#include "core/record.h"

#define WA_ES256 (-7)
#define WA_EDDSA (-8)
#define WA_RS256 (-257)

int wa_alg_parse(const char *s, int *cose) WUR;     /* ES256, EdDSA, RS256 */
const char *wa_alg_name(int cose);
/* The public key formats accepted: ES256 the uncompressed point (65 bytes,
 * or 64 without the 04), EdDSA 32 bytes, RS256 the modulus (256 bytes) and
 * exponent (3 bytes). */
int wa_pubkey_valid(int cose, const uint8_t *pub, size_t len);

/* webauthn.user_verification */
enum wa_uv { WA_UV_DISCOURAGED = 0, WA_UV_PREFERRED, WA_UV_REQUIRED };
int wa_uv_parse(const char *s, enum wa_uv *uv) WUR;
const char *wa_uv_name(enum wa_uv uv);

/* ---- challenges (kept in the account record, hashed, used once) ---- */

/* A fresh challenge of purpose p valid until now + ttl: its random bytes
 * go to out, its SHA-256 into the account. Expired challenges are dropped;
 * when the table is full the oldest open one makes room. */
void wa_challenge_issue(struct account *a, enum wa_purpose p, int64_t now, int64_t ttl,
                        uint8_t out[WA_CHALLENGE_BYTES]);

enum wa_ch_result { WA_CH_OK = 0, WA_CH_UNKNOWN, WA_CH_EXPIRED, WA_CH_PURPOSE };
/* Take the challenge ch out of the account whatever the verdict (single
 * use: a failed ceremony cannot be tried again with it), and say whether
 * it was open, of the purpose wanted and unexpired. Also drops expired
 * challenges. */
enum wa_ch_result wa_challenge_take(struct account *a, const uint8_t *ch, size_t len,
                                    enum wa_purpose want, int64_t now);
const char *wa_ch_result_text(enum wa_ch_result r);

/* The account's user handle, made (random) on first use. */
void wa_user_handle(struct account *a);

/* ---- client data (clientDataJSON) ---- */

#define WA_ORIGIN_MAX 255

struct wa_client_data {
	char type[32];
	uint8_t challenge[64];
	size_t challenge_len;
	char origin[WA_ORIGIN_MAX + 1];
	int cross_origin;
};

/* Parse clientDataJSON: a JSON object with string type, challenge
 * (base64url) and origin, and an optional boolean crossOrigin. */
int wa_client_data_parse(const uint8_t *json, size_t len, struct wa_client_data *cd) WUR;

/* origins: the configured list, comma-separated (spaces around commas
 * allowed). Each is https://HOST[:PORT] or http://localhost[:PORT]. */
int wa_origins_valid(const char *origins);
/* A relying party id: a domain name such as example.org (lower case
 * letters, digits, dots and dashes; no scheme, port or path). */
int wa_rp_id_valid(const char *rp_id);
int wa_origin_allowed(const char *origins, const char *origin);

/* type, origin and crossOrigin of parsed client data: NULL when they are
 * right for a ceremony of type want ("webauthn.create", "webauthn.get"),
 * otherwise why not. (The challenge is checked by wa_challenge_take.) */
const char *wa_client_data_check(const struct wa_client_data *cd, const char *want, const char *origins);

/* ---- authenticator data ---- */

#define WA_FLAG_UP 0x01
#define WA_FLAG_UV 0x04
#define WA_FLAG_AT 0x40
#define WA_FLAG_ED 0x80

struct wa_authdata {
	uint8_t rp_hash[32];
	uint8_t flags;
	uint32_t count;
};

int wa_authdata_parse(const uint8_t *p, size_t len, struct wa_authdata *ad) WUR;
/* rpIdHash == SHA-256(rp_id), user present, user verified when uv says
 * required: NULL, otherwise why not. */
const char *wa_authdata_check(const struct wa_authdata *ad, const char *rp_id, enum wa_uv uv);

/* ---- attestation objects ---- */

/* The three parts of an attestation object (a CBOR map): fmt, attStmt as
 * its CBOR encoding, authData as its bytes. Pointers into the input. The
 * map is only split here, with bounds and depth checked; libfido2 parses
 * the parts (wa_cred_parse). */
struct wa_attobj {
	char fmt[32];
	const uint8_t *attstmt;
	size_t attstmt_len;
	const uint8_t *authdata;
	size_t authdata_len;
};

int wa_attobj_split(const uint8_t *p, size_t len, struct wa_attobj *ao) WUR;

/* A credential made by a registration. */
struct wa_cred {
	uint8_t id[WA_CRED_MAX];
	size_t idlen;
	int cose;
	uint8_t pub[WA_PUB_MAX];
	size_t publen;
	uint32_t count;
};

/* Parse and check a registration with libfido2's credential API: the
 * authenticator data (with its attested credential: id, COSE key of
 * ES256, EdDSA or RS256), the relying party, user presence (and user
 * verification when uv_required), and for fmt "packed" the attestation
 * signature (x5c: fido_cred_verify; self attestation: fido_cred_verify_self).
 * fmt "none" carries no signature. Returns CORE_OK, CORE_EINVAL for a
 * registration that is refused (err says why), CORE_ECRYPTO when libfido2
 * cannot be loaded. */
int wa_cred_parse(const struct wa_attobj *ao, const uint8_t cdh[32], const char *rp_id, int uv_required,
                  struct wa_cred *out, char *err, size_t errlen) WUR;

/* Verify one assertion: the signature over authenticator data and client
 * data hash, the relying party id hash, user presence (and verification
 * when uv_required). *count gets the authenticator's signature counter.
 * err gets libfido2's word on failure. */
int wa_verify(int cose, const uint8_t *pub, size_t publen, const char *rp_id,
              const uint8_t *authdata, size_t authlen, const uint8_t cdh[32],
              const uint8_t *sig, size_t siglen, int uv_required, uint32_t *count,
              char *err, size_t errlen) WUR;

#endif
