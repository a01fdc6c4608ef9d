/* SPDX-License-Identifier: ISC */
/* core/input — what people type and front ends pass, checked with no library
 * at all: twofactl and pam_twofactl.so (which links only this file of core/)
 * share one definition of a code's shape and of the audit names. */
#ifndef TWOFACTL_INPUT_H
#define TWOFACTL_INPUT_H

#include <stddef.h>

#define BACKUP_CHARS 16          /* base32 characters */
#define CODE_MAX_INPUT 128

enum code_kind { CODE_BAD = 0, CODE_NUMERIC, CODE_BACKUP };

/* Classify what a user typed. Spaces and dashes between characters are
 * dropped (apps show "123 456", backup codes are printed with dashes); the
 * rest must be 6 to 8 ASCII digits, or 16 base32 characters in either case.
 * Anything else (signs, other scripts' digits, control characters, NULs
 * cannot reach here) is CODE_BAD. norm gets the canonical form (wiped when
 * CODE_BAD). */
enum code_kind code_classify(const char *in, char *norm, size_t normcap);

/* What front ends name themselves and their remote peer in the audit log
 * (a PAM service, PAM_RHOST): a service is 1 to 64 of A-Z a-z 0-9 . _ @ + -,
 * a host name or address 1 to 255 of A-Z a-z 0-9 . - : _ %. */
#define SERVICE_NAME_MAX 64
#define RHOST_MAX 255
int service_name_valid(const char *s);
int rhost_valid(const char *s);

#endif
