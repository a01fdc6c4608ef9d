/* SPDX-License-Identifier: ISC */
/* The store's config file: "key = value" lines, # comments, blank lines. */
#ifndef TWOFACTL_CONFIG_H
#define TWOFACTL_CONFIG_H

#include "core/core.h"

/* fn gets each key and value, trimmed (pointers into text, which is
 * modified); non-zero from fn stops with that value. A line without '=' or
 * with an empty key is CORE_EFORMAT with *bad_line set (1-based). */
typedef int (*config_fn)(void *ctx, const char *key, const char *value);
int config_parse(char *text, size_t len, config_fn fn, void *ctx, unsigned *bad_line) WUR;

#endif
