/* SPDX-License-Identifier: ISC */
/* Contact details as people type them, into the forms that are stored:
 * phone numbers in E.164, email domains in their ASCII (IDNA2008) form. */
#ifndef TWOFACTL_CONTACT_H
#define TWOFACTL_CONTACT_H

#include "core/core.h"

#include <stddef.h>

enum phone_err {
	PHONE_OK = 0,
	PHONE_NO_PLUS,      /* no country code: does not start with + */
	PHONE_00,           /* 00 instead of + */
	PHONE_CHAR,         /* something else than digits, blanks, - . ( ) */
	PHONE_LENGTH,       /* not 8 to 15 digits, or a leading 0 after + */
};

/* "+420 601 234 567", "+1 (555) 010-0199", "+44 (0)20 7946 0000",
 * "+31.6.1234.5678" -> "+420601234567": blanks, dashes, dots and
 * parentheses dropped, a trunk "(0)" too; + and 8 to 15 digits. */
enum phone_err phone_normalize(const char *in, char *out, size_t cap) WUR;

/* "jan@bücher.example" -> "jan@xn--bcher-kva.example" (UTF-8 in; an
 * ASCII address is only checked). The part before @ must be ASCII.
 * CORE_EINVAL for anything that is not an address, CORE_ECRYPTO when
 * libidn2 (loaded on first use) is missing. */
int email_normalize(const char *in, char *out, size_t cap) WUR;

/* The address with its domain in Unicode, for people: "jan@bücher.example";
 * a copy of the address when it has no xn-- label or cannot be decoded. */
void email_display(const char *ascii, char *out, size_t cap);

#endif
