/* SPDX-License-Identifier: ISC */
#include "core/contact.h"
#include "core/record.h"

#include <pthread.h>
#include <dlfcn.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

enum phone_err phone_normalize(const char *in, char *out, size_t cap)
{
	size_t n = 0, digits = 0;
	const char *p = in;

	while (*p == ' ')
		p++;
	if (p[0] == '0' && p[1] == '0')
		return PHONE_00;
	if (*p != '+')
		return strspn(p, "0123456789 -.()") == strlen(p) ? PHONE_NO_PLUS : PHONE_CHAR;
	if (cap < 17)
		return PHONE_LENGTH;
	out[n++] = '+';
	for (p++; *p; p++) {
		if (!strncmp(p, "(0)", 3) && digits) {   /* +44 (0)20: the trunk prefix is not dialled */
			p += 2;
			continue;
		}
		if (*p >= '0' && *p <= '9') {
			if (++digits > 15)
				return PHONE_LENGTH;
			out[n++] = *p;
		} else if (!strchr(" -.()", *p)) {
			return PHONE_CHAR;
		}
	}
	out[n] = '\0';
	if (digits < 8 || out[1] == '0')
		return PHONE_LENGTH;
	return PHONE_OK;
}

/* libidn2 is loaded when an address with a non-ASCII domain is seen. */
static struct {
	void *h;
	int (*to_ascii)(const char *, char **, int);
	int (*to_unicode)(const char *, char **, int);
	void (*release)(void *);
} idn;

static int idn_load_locked(void)
{
	if (idn.h)
		return CORE_OK;
	if (!(idn.h = dlopen("libidn2.so.0", RTLD_NOW | RTLD_LOCAL)))
		return CORE_ECRYPTO;
	*(void **)(&idn.to_ascii) = dlsym(idn.h, "idn2_to_ascii_8z");
	*(void **)(&idn.to_unicode) = dlsym(idn.h, "idn2_to_unicode_8z8z");
	*(void **)(&idn.release) = dlsym(idn.h, "idn2_free");
	if (!idn.to_ascii || !idn.to_unicode || !idn.release) {
		dlclose(idn.h);
		idn.h = NULL;
		return CORE_ECRYPTO;
	}
	return CORE_OK;
}

/* Loaded once, whichever thread asks first (a handle per thread is allowed). */
static int idn_load(void)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int rc;

	pthread_mutex_lock(&mu);
	rc = idn_load_locked();
	pthread_mutex_unlock(&mu);
	return rc;
}

static int ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

int email_normalize(const char *in, char *out, size_t cap)
{
	const char *at = strrchr(in, '@');
	size_t local, len = strlen(in);
	char *dom = NULL;
	int ret;

	if (!at || len > 1024)
		return CORE_EINVAL;
	local = (size_t)(at - in);
	if (ascii(in, len)) {
		if (!email_valid(in) || core_strlcpy(out, in, cap))
			return CORE_EINVAL;
		return CORE_OK;
	}
	if (!ascii(in, local))   /* SMTPUTF8 mailboxes: not every server takes them */
		return CORE_EINVAL;
	if ((ret = idn_load()))
		return ret;
	if (idn.to_ascii(at + 1, &dom, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK || !dom)
		return CORE_EINVAL;
	ret = CORE_EINVAL;
	if (local + 1 + strlen(dom) < cap) {
		memcpy(out, in, local + 1);
		memcpy(out + local + 1, dom, strlen(dom) + 1);
		ret = email_valid(out) ? CORE_OK : CORE_EINVAL;
	}
	idn.release(dom);
	return ret;
}

void email_display(const char *ascii_addr, char *out, size_t cap)
{
	const char *at = strrchr(ascii_addr, '@');
	char *dom = NULL;

	if (core_strlcpy(out, ascii_addr, cap))
		out[0] = '\0';
	if (!at || (strncmp(at + 1, "xn--", 4) && !strstr(at + 1, ".xn--")) || idn_load())
		return;
	if (idn.to_unicode(at + 1, &dom, 0) == IDN2_OK && dom) {
		size_t local = (size_t)(at - ascii_addr) + 1;

		if (local + strlen(dom) < cap) {
			memcpy(out, ascii_addr, local);
			memcpy(out + local, dom, strlen(dom) + 1);
		}
		idn.release(dom);
	}
}
