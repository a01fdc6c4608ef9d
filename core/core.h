/* SPDX-License-Identifier: ISC */
/* core/ — the pure domain of twofactl: no stdio, no getenv, no time().
 * Time comes in as an argument; functions return an error enum. */
#ifndef TWOFACTL_CORE_H
#define TWOFACTL_CORE_H

#include <stddef.h>
#include <stdint.h>

#define WUR __attribute__((warn_unused_result))

enum core_err {
	CORE_OK = 0,
	CORE_EINVAL,   /* malformed input */
	CORE_ERANGE,   /* a value out of its allowed range */
	CORE_ENOMEM,
	CORE_ECRYPTO,  /* a library primitive failed */
	CORE_EFORMAT,  /* a record that does not parse or has a wrong version */
	CORE_EFULL,    /* a fixed-size table is full */
};

const char *core_strerror(enum core_err e);

/* Copy a NUL-terminated string into a fixed buffer; CORE_ERANGE if it does not fit. */
int core_strlcpy(char *dst, const char *src, size_t size) WUR;

/* One line of text a person may be shown (labels, notes, reasons, issuers):
 * no C0 or C1 control, no DEL, and none of the Unicode characters that
 * reorder or break what a terminal shows: the bidirectional embeddings,
 * overrides and isolates (U+202A-202E, U+2066-2069) and the line and
 * paragraph separators (U+2028, U+2029). 1 when s is such a line. */
int core_text_line_ok(const char *s);

#endif
