/* SPDX-License-Identifier: ISC */
/* WebAuthn assertions checked with libfido2 (loaded on first use). */
#ifndef TWOFACTL_WEBAUTHN_H
#define TWOFACTL_WEBAUTHN_H

#include "core/core.h"

#define WA_ES256 (-7)
#define WA_EDDSA (-8)
#define WA_RS256 (-257)

int wa_alg_parse(const char *s, int *cose) WUR;     /* ES256, EdDSA, RS256 */
const char *wa_alg_name(int cose);
/* The public key formats accepted: ES256 the uncompressed point (65 bytes,
 * or 64 without the 04), EdDSA 32 bytes, RS256 the modulus (256 bytes) and
 * exponent (3 bytes). */
int wa_pubkey_valid(int cose, const uint8_t *pub, size_t len);

/* Verify one assertion: the signature over authenticator data and client
 * data hash, the relying party id hash, user presence. *count gets the
 * authenticator's signature counter. err gets libfido2's word on failure. */
int wa_verify(int cose, const uint8_t *pub, size_t publen, const char *rp_id,
              const uint8_t *authdata, size_t authlen, const uint8_t cdh[32],
              const uint8_t *sig, size_t siglen, uint32_t *count, char *err, size_t errlen) WUR;

#endif
