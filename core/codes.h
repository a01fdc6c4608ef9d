/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_CODES_H
#define TWOFACTL_CODES_H

#include "core/core.h"
#include "core/input.h"   /* code_classify: what a code looks like */

#define BACKUP_BYTES 10          /* 80 bits */
#define BACKUP_DISPLAY 20        /* xxxx-xxxx-xxxx-xxxx + NUL */
#define CODE_HASH_BYTES 32

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
