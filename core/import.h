/* SPDX-License-Identifier: ISC */
/* Parsers for what other tools leave behind: pam_oath usersfiles
 * (oath-toolkit), google-authenticator-libpam state files, otpauth:// URI
 * lists, and twofactl's own export. Pure: text in, accounts out. */
#ifndef TWOFACTL_IMPORT_H
#define TWOFACTL_IMPORT_H

#include "core/record.h"

enum import_format { IMP_UNKNOWN = 0, IMP_TWOFACTL, IMP_USERSFILE, IMP_GA, IMP_URI };

int import_format_parse(const char *s, enum import_format *f) WUR;
const char *import_format_name(enum import_format f);
enum import_format import_detect(const char *text);

#define SCRATCH_MAX ACCT_MAX_BACKUP

/* One account found in the input. a is filled (account_init'd); scratch
 * holds google-authenticator emergency codes (secrets: wiped after the
 * callback). */
struct import_item {
	struct account *a;
	char scratch[SCRATCH_MAX][9];
	unsigned nscratch;
	int skipped_pin;        /* a usersfile PIN that is not carried over */
};

typedef int (*import_fn)(void *ctx, struct import_item *it);

/* Calls fn once per account; user names the account where the format does
 * not (google-authenticator; URIs without one). On a malformed input
 * *bad_line gets the line (1-based) and CORE_EFORMAT is returned. fn
 * returning non-zero stops the parse with that value. */
int import_parse(enum import_format f, const char *text, const char *user, int64_t now,
                 struct import_item *it, import_fn fn, void *ctx, unsigned *bad_line) WUR;

/* otpauth://totp|hotp/LABEL?secret=...: one factor; label gets the account
 * part of the label (after "Issuer:"), issuer the issuer. */
int otpauth_parse(const char *uri, struct factor *f, char *label, size_t labelcap,
                  char *issuer, size_t issuercap) WUR;

#endif
