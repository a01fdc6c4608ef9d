/* SPDX-License-Identifier: ISC */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int is_v4(const uint8_t a[16])
{
	return memcmp(a, v4_prefix, 12) == 0;
}

int ip_parse(const char *s, uint8_t out[16])
{
	struct in_addr v4;

	if (strlen(s) > 45 || !*s)
		return CORE_EINVAL;
	if (strchr(s, ':'))
		return inet_pton(AF_INET6, s, out) == 1 ? CORE_OK : CORE_EINVAL;
	if (inet_pton(AF_INET, s, &v4) != 1)
		return CORE_EINVAL;
	memcpy(out, v4_prefix, 12);
	memcpy(out + 12, &v4, 4);
	return CORE_OK;
}

int cidr_parse(const char *s, struct cidr *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	unsigned plen, max;
	int v4;

	memset(out, 0, sizeof *out);
	if (strlen(s) >= sizeof buf)
		return CORE_EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	if (slash)
		buf[slash - s] = '\0';
	if (ip_parse(buf, out->addr))
		return CORE_EINVAL;
	v4 = !strchr(buf, ':');
	max = v4 ? 32 : 128;
	if (slash) {
		const char *p = slash + 1;

		if (!*p || strlen(p) > 3 || (p[0] == '0' && p[1]))
			return CORE_EINVAL;
		plen = 0;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return CORE_EINVAL;
			plen = plen * 10 + (unsigned)(*p - '0');
		}
		if (plen > max)
			return CORE_ERANGE;
	} else {
		plen = max;
	}
	out->prefix = v4 ? plen + 96 : plen;
	for (unsigned bit = out->prefix; bit < 128; bit++)
		out->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return CORE_OK;
}

int cidr_contains(const struct cidr *c, const uint8_t addr[16])
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, addr, full))
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff00u >> rest);
		if ((c->addr[full] & mask) != (addr[full] & mask))
			return 0;
	}
	return 1;
}

static const uint8_t v4_mapped[16] = { [10] = 0xff, [11] = 0xff };   /* ::ffff:0.0.0.0 */

int cidr_covers_all_v4(const struct cidr *c)
{
	return c->prefix <= 96 && cidr_contains(c, v4_mapped);
}

int cidr_too_broad(const struct cidr *c)
{
	if (cidr_covers_all_v4(c))
		return 1;
	if (c->prefix >= 96 && !memcmp(c->addr, v4_mapped, 12))
		return c->prefix - 96 < CIDR_V4_MIN_PREFIX;  /* an IPv4 range */
	return c->prefix < CIDR_V6_MIN_PREFIX;
}

void cidr_format(const struct cidr *c, char out[64])
{
	char a[INET6_ADDRSTRLEN];

	if (is_v4(c->addr) && c->prefix >= 96) {
		inet_ntop(AF_INET, c->addr + 12, a, sizeof a);
		snprintf(out, 64, "%s/%u", a, c->prefix - 96);
	} else {
		inet_ntop(AF_INET6, c->addr, a, sizeof a);
		snprintf(out, 64, "%s/%u", a, c->prefix);
	}
}
