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
/* A range so broad that whitelisting it by mistake would open a large part
 * of the Internet: one holding every IPv4 address (0.0.0.0/0, ::/0, ::/80,
 * ::ffff:0:0/96 ...), an IPv4 range shorter than /8, or an IPv6 range
 * shorter than /16 (2000::/3 is every global unicast address). */
#define CIDR_V4_MIN_PREFIX 8
#define CIDR_V6_MIN_PREFIX 16
int cidr_too_broad(const struct cidr *c);
int cidr_covers_all_v4(const struct cidr *c);
/* Canonical text: v4 ranges as a.b.c.d/n, others as RFC 5952 v6. */
void cidr_format(const struct cidr *c, char out[64]);

#endif
