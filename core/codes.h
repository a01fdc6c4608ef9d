/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_CODES_H
#define TWOFACTL_CODES_H

#include "core/core.h"

#define BACKUP_BYTES 10          /* 80 bits */
#define BACKUP_CHARS 16          /* base32 characters */
#define BACKUP_DISPLAY 20        /* xxxx-xxxx-xxxx-xxxx + NUL */
#define CODE_HASH_BYTES 32
#define CODE_MAX_INPUT 128

enum code_kind { CODE_BAD = 0, CODE_NUMERIC, CODE_BACKUP };

/* Classify what a user typed. Spaces and dashes between characters are
 * dropped (apps show "123 456", backup codes are printed with dashes); the
 * rest must be 6 to 8 ASCII digits, or 16 base32 characters in either case.
 * Anything else (signs, other scripts' digits, control characters, NULs
 * cannot reach here) is CODE_BAD. norm gets the canonical form. */
enum code_kind code_classify(const char *in, char *norm, size_t normcap);

/* A fresh random backup code: canonical (upper case) and display forms. */
int backup_generate(char norm[BACKUP_CHARS + 1], char display[BACKUP_DISPLAY]) WUR;

/* n random decimal digits (email/SMS codes, session ids), uniform. */
int digits_generate(char *out, unsigned n) WUR;

/* Keyed BLAKE2b of a canonical code bound to a context (the account's file
 * name and what the code is for), so a hash copied to another account or
 * purpose never matches. */
int code_hash(const uint8_t key[32], const char *context, const char *norm,
              uint8_t out[CODE_HASH_BYTES]) WUR;

#endif
