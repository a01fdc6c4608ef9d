/* SPDX-License-Identifier: ISC */
/* IPv4 and IPv6 addresses and CIDR ranges, kept as 128-bit IPv6 (IPv4 as
 * ::ffff:a.b.c.d), so v4-mapped v6 addresses match v4 ranges and back. */
#ifndef TWOFACTL_CIDR_H
#define TWOFACTL_CIDR_H

#include "core/core.h"

struct cidr {
	uint8_t addr[16];
	unsigned prefix;     /* 0..128, of the 128-bit form */
};

/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.1" (a /32), "::1" (a /128).
 * Host bits beyond the prefix are cleared. */
int cidr_parse(const char *s, struct cidr *out) WUR;
/* A single address, no prefix. */
int ip_parse(const char *s, uint8_t out[16]) WUR;
int cidr_contains(const struct cidr *c, const uint8_t addr[16]);
/* Canonical text: v4 ranges as a.b.c.d/n, others as RFC 5952 v6. */
void cidr_format(const struct cidr *c, char out[64]);

#endif
