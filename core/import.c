/* SPDX-License-Identifier: ISC */
#include "core/import.h"
#include "core/b32.h"
#include "core/cidr.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const fmt_names[] = { "unknown", "twofactl", "usersfile", "google-authenticator", "uri" };

int import_format_parse(const char *s, enum import_format *f)
{
	for (unsigned i = 1; i < 5; i++)
		if (!strcmp(s, fmt_names[i])) {
			*f = (enum import_format)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

const char *import_format_name(enum import_format f)
{
	return (unsigned)f < 5 ? fmt_names[f] : "unknown";
}

enum import_format import_detect(const char *t)
{
	for (;;) {   /* blank and comment lines say nothing */
		while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
			t++;
		if (*t != '#')
			break;
		t = strchr(t, '\n');
		if (!t)
			return IMP_UNKNOWN;
	}
	if (*t == '{')
		return IMP_TWOFACTL;
	if (!strncmp(t, "otpauth://", 10))
		return IMP_URI;
	if (!strncmp(t, "HOTP", 4))
		return IMP_USERSFILE;
	{
		size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");

		if (n >= 16 && (t[n] == '\n' || t[n] == '\r' || !t[n]))
			return IMP_GA;
	}
	return IMP_UNKNOWN;
}

/* Next line of text (modified in place); NULL at the end. */
static char *next_line(char **p)
{
	char *l = *p, *nl;

	if (!l || !*l)
		return NULL;
	nl = strchr(l, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = l + strlen(l);
	}
	if (*l && l[strlen(l) - 1] == '\r')
		l[strlen(l) - 1] = '\0';
	return l;
}

static void reset_item(struct import_item *it, const char *name, int64_t now)
{
	account_init(it->a, name, now);
	sodium_memzero(it->scratch, sizeof it->scratch);
	it->nscratch = 0;
	it->skipped_pin = 0;
}

/* ---- pam_oath usersfile: TYPE USER PASSWORD SECRET [COUNTER [OTP [TIME]]] ---- */

static int usersfile_line(char *line, int64_t now, struct import_item *it)
{
	char *save = NULL, *type = strtok_r(line, " \t", &save), *user = strtok_r(NULL, " \t", &save);
	char *pass = strtok_r(NULL, " \t", &save), *secret = strtok_r(NULL, " \t", &save);
	char *counter = strtok_r(NULL, " \t", &save), *otp = strtok_r(NULL, " \t", &save);
	char *when = strtok_r(NULL, " \t", &save);
	struct factor *f;
	size_t klen = 0;
	unsigned period = 0, digits = 6;

	if (!type || !user || !pass || !secret || strncmp(type, "HOTP", 4) || !account_name_valid(user))
		return CORE_EFORMAT;
	for (char *p = type + 4; *p == '/';) {
		char *end;
		unsigned long v;

		p++;
		if (*p == 'T') {
			v = strtoul(p + 1, &end, 10);
			if (v < 1 || v > 3600)
				return CORE_EFORMAT;
			period = (unsigned)v;
		} else if (*p == 'E') {
			end = p + 1;
		} else {
			v = strtoul(p, &end, 10);
			if (v < 6 || v > 8 || end == p)
				return CORE_EFORMAT;
			digits = (unsigned)v;
		}
		p = end;
		if (*p && *p != '/')
			return CORE_EFORMAT;
	}
	reset_item(it, user, now);
	f = account_factor_add(it->a, now);
	f->type = period ? F_TOTP : F_HOTP;
	f->status = FS_ACTIVE;
	f->confirmed = now;
	f->algo = OTP_SHA1;
	f->digits = digits;
	f->period = period;
	if (sodium_hex2bin(f->key, sizeof f->key, secret, strlen(secret), NULL, &klen, NULL) || klen < 10) {
		sodium_memzero(secret, strlen(secret));
		return CORE_EFORMAT;
	}
	sodium_memzero(secret, strlen(secret));
	f->keylen = klen;
	snprintf(f->label, sizeof f->label, "imported from usersfile");
	it->skipped_pin = strcmp(pass, "-") != 0;
	if (counter) {
		char *end;
		unsigned long long c = strtoull(counter, &end, 10);

		if (*end)
			return CORE_EFORMAT;
		/* pam_oath keeps the counter of the last accepted code once one was used */
		if (f->type == F_HOTP)
			f->counter = otp ? c + 1 : c;
	}
	if (f->type == F_TOTP && when) {
		struct tm tm;
		char *end;

		memset(&tm, 0, sizeof tm);
		end = strptime(when, "%Y-%m-%dT%H:%M:%S", &tm);
		if (!end || (*end && strcmp(end, "L") && strcmp(end, "Z")))
			return CORE_EFORMAT;
		tm.tm_isdst = -1;
		{
			/* pam_oath writes local time ("L"); Z is UTC */
			time_t t = !strcmp(end, "Z") ? timegm(&tm) : mktime(&tm);

			if (t > 0) {
				f->has_step = 1;
				f->last_step = (uint64_t)t / period;
			}
		}
	}
	return CORE_OK;
}

/* ---- google-authenticator state file ---- */

static int ga_parse(char *text, const char *user, int64_t now, struct import_item *it, unsigned *bad)
{
	char *p = text, *line;
	struct factor *f;
	unsigned lineno = 0;
	int hotp = 0, have_secret = 0;
	long window = -1, step = 30;
	unsigned long long counter = 1;

	if (!user || !account_name_valid(user))
		return CORE_EINVAL;
	reset_item(it, user, now);
	f = account_factor_add(it->a, now);
	while ((line = next_line(&p))) {
		lineno++;
		*bad = lineno;
		if (!have_secret) {
			size_t klen = 0;

			if (b32_decode(line, f->key, sizeof f->key, &klen) || klen < 10)
				return CORE_EFORMAT;
			f->keylen = klen;
			sodium_memzero(line, strlen(line));
			have_secret = 1;
			continue;
		}
		if (!strncmp(line, "\" ", 2)) {
			char opt[32] = "";
			long a = 0, b = 0;
			int n = sscanf(line + 2, "%31s %ld %ld", opt, &a, &b);

			if (n < 1)
				return CORE_EFORMAT;
			if (!strcmp(opt, "TOTP_AUTH"))
				hotp = 0;
			else if (!strcmp(opt, "HOTP_COUNTER") && n >= 2 && a >= 0) {
				hotp = 1;
				counter = (unsigned long long)a;
			} else if (!strcmp(opt, "WINDOW_SIZE") && n >= 2 && a >= 1 && a <= 201)
				window = a;
			else if (!strcmp(opt, "STEP_SIZE") && n >= 2 && a >= 1 && a <= 3600)
				step = a;
			else if (!strcmp(opt, "RATE_LIMIT") && n >= 3 && a >= 1 && b >= 1) {
				it->a->rate_n = a > 16 ? 16 : (unsigned)a;
				it->a->rate_secs = b > 86400 ? 86400 : (unsigned)b;
			} else if (!strcmp(opt, "DISALLOW_REUSE")) {
				/* later fields: the time steps of used codes */
				char *q = line + 2 + strlen("DISALLOW_REUSE");

				while (*q) {
					char *end;
					unsigned long long s = strtoull(q, &end, 10);

					if (end == q)
						break;
					if (!f->has_step || s > f->last_step) {
						f->has_step = 1;
						f->last_step = s;
					}
					q = end;
				}
			} else if (strcmp(opt, "RATE_LIMIT") && strcmp(opt, "WINDOW_SIZE") &&
			           strcmp(opt, "STEP_SIZE") && strcmp(opt, "HOTP_COUNTER"))
				; /* an option of a later version: ignored */
			else
				return CORE_EFORMAT;
			continue;
		}
		if (strlen(line) == 8 && strspn(line, "0123456789") == 8) {
			if (it->nscratch < SCRATCH_MAX)
				memcpy(it->scratch[it->nscratch++], line, 9);
			sodium_memzero(line, 8);
			continue;
		}
		if (!*line)
			continue;
		return CORE_EFORMAT;
	}
	if (!have_secret)
		return CORE_EFORMAT;
	*bad = 0;
	f->type = hotp ? F_HOTP : F_TOTP;
	f->status = FS_ACTIVE;
	f->confirmed = now;
	f->algo = OTP_SHA1;
	f->digits = 6;
	f->period = hotp ? 0 : (unsigned)step;
	f->counter = hotp ? counter : 0;
	/* google's WINDOW_SIZE counts every code accepted: 17 means 8 either side */
	if (window > 0)
		f->window = hotp ? (int)(window > 100 ? 100 : window) : (int)((window - 1) / 2 > 10 ? 10 : (window - 1) / 2);
	snprintf(f->label, sizeof f->label, "imported from google-authenticator");
	return CORE_OK;
}

/* ---- otpauth:// URIs ---- */

static int unescape(const char *in, size_t n, char *out, size_t cap)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			unsigned v;

			if (i + 2 >= n || sscanf(in + i + 1, "%2x", &v) != 1)
				return CORE_EINVAL;
			c = (int)v;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0 || j + 1 >= cap)
			return CORE_EINVAL;
		out[j++] = (char)c;
	}
	out[j] = '\0';
	return CORE_OK;
}

int otpauth_parse(const char *uri, struct factor *f, char *label, size_t labelcap,
                  char *issuer, size_t issuercap)
{
	const char *p, *q;
	char lab[1024], key[32], val[512], secret[512] = "";
	int hotp, has_counter = 0;

	memset(f, 0, sizeof *f);
	f->window = -1;
	f->digits = 6;
	f->period = 30;
	f->algo = OTP_SHA1;
	label[0] = issuer[0] = '\0';
	if (!strncmp(uri, "otpauth://totp/", 15))
		hotp = 0;
	else if (!strncmp(uri, "otpauth://hotp/", 15))
		hotp = 1;
	else
		return CORE_EINVAL;
	p = uri + 15;
	q = strchr(p, '?');
	if (!q || unescape(p, (size_t)(q - p), lab, sizeof lab))
		return CORE_EINVAL;
	{
		char *colon = strchr(lab, ':');
		const char *acc = colon ? colon + 1 : lab;

		while (*acc == ' ')
			acc++;
		if (colon) {
			*colon = '\0';
			if (strlen(lab) >= issuercap)
				return CORE_ERANGE;
			strcpy(issuer, lab);
		}
		if (strlen(acc) >= labelcap)
			return CORE_ERANGE;
		memmove(label, acc, strlen(acc) + 1);
	}
	for (p = q + 1; *p;) {
		const char *amp = strchr(p, '&'), *eq;
		size_t n = amp ? (size_t)(amp - p) : strlen(p);

		eq = memchr(p, '=', n);
		if (!eq || (size_t)(eq - p) >= sizeof key)
			return CORE_EINVAL;
		memcpy(key, p, (size_t)(eq - p));
		key[eq - p] = '\0';
		if (unescape(eq + 1, n - (size_t)(eq - p) - 1, val, sizeof val))
			return CORE_EINVAL;
		if (!strcasecmp(key, "secret")) {
			memcpy(secret, val, sizeof secret);
		} else if (!strcasecmp(key, "issuer")) {
			/* a colon separates issuer and account in the label: an issuer
			 * with one would make the URI ambiguous */
			if (strlen(val) >= issuercap || strchr(val, ':'))
				return CORE_ERANGE;
			strcpy(issuer, val);
		} else if (!strcasecmp(key, "algorithm")) {
			if (otp_algo_parse(val, &f->algo))
				return CORE_EINVAL;
		} else if (!strcasecmp(key, "digits")) {
			if (strcmp(val, "6") && strcmp(val, "8"))
				return CORE_EINVAL;
			f->digits = (unsigned)(val[0] - '0');
		} else if (!strcasecmp(key, "period")) {
			char *end;
			unsigned long v = strtoul(val, &end, 10);

			if (*end || v < 1 || v > 3600)
				return CORE_EINVAL;
			f->period = (unsigned)v;
		} else if (!strcasecmp(key, "counter")) {
			char *end;
			unsigned long long v = strtoull(val, &end, 10);

			if (*end || !*val)
				return CORE_EINVAL;
			f->counter = v;
			has_counter = 1;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	sodium_memzero(val, sizeof val);
	{
		size_t klen = 0;
		int r = b32_decode(secret, f->key, sizeof f->key, &klen);

		sodium_memzero(secret, sizeof secret);
		if (r || klen < 10)
			return CORE_EINVAL;
		f->keylen = klen;
	}
	if (hotp && !has_counter)
		return CORE_EINVAL;
	f->type = hotp ? F_HOTP : F_TOTP;
	if (hotp)
		f->period = 0;
	return CORE_OK;
}

/* ---- twofactl export ---- */

static const char *jstr(json_object *o, const char *k)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
	       ? json_object_get_string(v) : NULL;
}

static int64_t jint(json_object *o, const char *k, int64_t def)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int)
	       ? json_object_get_int64(v) : def;
}

/* An integer field within [lo, hi] (def when absent); anything else, a
 * non-integer included, is a malformed entry. */
static int jrange(json_object *o, const char *k, int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v) || json_object_is_type(v, json_type_null)) {
		*out = def;
		return CORE_OK;
	}
	if (!json_object_is_type(v, json_type_int))
		return CORE_ERANGE;
	errno = 0;
	*out = json_object_get_int64(v);
	if (errno || *out < lo || *out > hi)
		return CORE_ERANGE;
	return CORE_OK;
}

static int copy_field(char *dst, size_t cap, const char *v, int (*valid)(const char *))
{
	if (!v)
		return CORE_OK;
	if ((valid && *v && !valid(v)) || core_strlcpy(dst, v, cap))
		return CORE_EFORMAT;
	return CORE_OK;
}

static int export_account(json_object *o, int64_t now, struct import_item *it)
{
	json_object *fs = NULL, *wl = NULL, *svc = NULL;
	const char *name = jstr(o, "name");

	if (!json_object_is_type(o, json_type_object) || !name || !account_name_valid(name))
		return CORE_EFORMAT;
	reset_item(it, name, now);
	if (copy_field(it->a->email, sizeof it->a->email, jstr(o, "email"), email_valid) ||
	    copy_field(it->a->phone, sizeof it->a->phone, jstr(o, "phone"), phone_valid) ||
	    copy_field(it->a->org, sizeof it->a->org, jstr(o, "org"), account_name_valid) ||
	    copy_field(it->a->lang, sizeof it->a->lang, jstr(o, "lang"), lang_valid) ||
	    copy_field(it->a->pwhash, sizeof it->a->pwhash, jstr(o, "password"), NULL))
		return CORE_EFORMAT;
	if (json_object_object_get_ex(o, "service", &svc))
		it->a->service = json_object_get_boolean(svc);
	if (jstr(o, "2fa") && switch_parse(jstr(o, "2fa"), &it->a->twofa))
		return CORE_EFORMAT;
	if (jrange(o, "created", now, 0, RECORD_TIME_MAX, &it->a->created))
		return CORE_ERANGE;
	if (json_object_object_get_ex(o, "factors", &fs) && json_object_is_type(fs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(fs); i++) {
			json_object *fo = json_object_array_get_idx(fs, i);
			const char *type = jstr(fo, "type"), *secret = jstr(fo, "secret"), *st = jstr(fo, "status");
			struct factor *f = account_factor_add(it->a, now);
			size_t klen = 0;

			if (!f || !type || factor_type_parse(type, &f->type))
				return CORE_EFORMAT;
			f->status = st && !strcmp(st, "pending") ? FS_PENDING : FS_ACTIVE;
			if (copy_field(f->label, sizeof f->label, jstr(fo, "label"), NULL))
				return CORE_EFORMAT;
			if (jrange(fo, "created", now, 0, RECORD_TIME_MAX, &f->created) ||
			    jrange(fo, "confirmed", 0, 0, RECORD_TIME_MAX, &f->confirmed))
				return CORE_ERANGE;
			if (f->type == F_TOTP || f->type == F_HOTP) {
				const char *algo = jstr(fo, "algorithm");

				if (!secret) {
					account_factor_del(it->a, f->id);   /* exported without secrets */
					continue;
				}
				if ((algo && otp_algo_parse(algo, &f->algo)) ||
				    b32_decode(secret, f->key, sizeof f->key, &klen) || klen < 10)
					return CORE_EFORMAT;
				f->keylen = klen;
				{
					int64_t digits, period, counter, window, step;

					if (jrange(fo, "digits", 6, 6, 8, &digits) || (digits != 6 && digits != 8) ||
					    jrange(fo, "period", 30, 1, 3600, &period) ||
					    jrange(fo, "counter", 0, 0, INT64_MAX, &counter) ||
					    jrange(fo, "window", -1, -1, 100, &window) ||
					    jrange(fo, "last_step", -1, -1, RECORD_TIME_MAX, &step))
						return CORE_ERANGE;
					f->digits = (unsigned)digits;
					f->period = f->type == F_TOTP ? (unsigned)period : 0;
					f->counter = (uint64_t)counter;
					f->window = (int)window;
					if (step >= 0) {
						f->has_step = 1;
						f->last_step = (uint64_t)step;
					}
				}
			}
		}
	}
	if (json_object_object_get_ex(o, "whitelist", &wl) && json_object_is_type(wl, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(wl) && i < ACCT_MAX_WHITELIST; i++) {
			json_object *e = json_object_array_get_idx(wl, i);
			const char *net = jstr(e, "net");

			if (!net || cidr_parse(net, &it->a->wl[it->a->nwl].net))
				return CORE_EFORMAT;
			if (jrange(e, "created", now, 0, RECORD_TIME_MAX, &it->a->wl[it->a->nwl].created) ||
			    jrange(e, "expires", 0, 0, RECORD_TIME_MAX, &it->a->wl[it->a->nwl].expires))
				return CORE_ERANGE;
			if (copy_field(it->a->wl[it->a->nwl].note, LABEL_MAX + 1, jstr(e, "note"), NULL))
				return CORE_EFORMAT;
			it->a->nwl++;
		}
	}
	return CORE_OK;
}

static int export_parse(const char *text, int64_t now, struct import_item *it, import_fn fn, void *ctx,
                        unsigned *bad)
{
	json_object *root = json_tokener_parse(text), *accs = NULL;
	const char *fmt;
	int ret = CORE_EFORMAT;

	*bad = 1;
	if (!root)
		return CORE_EFORMAT;
	fmt = jstr(root, "format");
	if (!fmt || strcmp(fmt, "twofactl-export") || jint(root, "version", 0) != 1 ||
	    !json_object_object_get_ex(root, "accounts", &accs) || !json_object_is_type(accs, json_type_array))
		goto out;
	for (size_t i = 0; i < json_object_array_length(accs); i++) {
		*bad = (unsigned)i + 1;   /* the account's position */
		if ((ret = export_account(json_object_array_get_idx(accs, i), now, it)))
			goto out;
		if ((ret = fn(ctx, it)))
			goto out;
	}
	*bad = 0;
	ret = CORE_OK;
out:
	/* wipe the secrets json-c parsed */
	if (accs && json_object_is_type(accs, json_type_array))
		for (size_t i = 0; i < json_object_array_length(accs); i++) {
			json_object *fs = NULL;

			if (json_object_object_get_ex(json_object_array_get_idx(accs, i), "factors", &fs) &&
			    json_object_is_type(fs, json_type_array))
				for (size_t j = 0; j < json_object_array_length(fs); j++) {
					json_object *sec = NULL;

					if (json_object_object_get_ex(json_object_array_get_idx(fs, j), "secret", &sec) &&
					    json_object_is_type(sec, json_type_string))
						sodium_memzero((char *)json_object_get_string(sec),
						               (size_t)json_object_get_string_len(sec));
				}
		}
	json_object_put(root);
	return ret;
}

int import_parse(enum import_format f, const char *text, const char *user, int64_t now,
                 struct import_item *it, import_fn fn, void *ctx, unsigned *bad_line)
{
	size_t n = strlen(text);
	char *buf = malloc(n + 1), *p, *line;
	unsigned lineno = 0;
	int ret = CORE_OK;

	*bad_line = 0;
	if (!buf)
		return CORE_ENOMEM;
	memcpy(buf, text, n + 1);
	p = buf;
	switch (f) {
	case IMP_TWOFACTL:
		ret = export_parse(buf, now, it, fn, ctx, bad_line);
		break;
	case IMP_GA:
		ret = ga_parse(buf, user, now, it, bad_line);
		if (ret == CORE_OK)
			ret = fn(ctx, it);
		break;
	case IMP_USERSFILE:
		while ((line = next_line(&p))) {
			lineno++;
			while (*line == ' ' || *line == '\t')
				line++;
			if (!*line || *line == '#')
				continue;
			if ((ret = usersfile_line(line, now, it))) {
				*bad_line = lineno;
				break;
			}
			if ((ret = fn(ctx, it)))
				break;
		}
		break;
	case IMP_URI:
		while ((line = next_line(&p))) {
			char label[256], issuer[256];
			struct factor fac;
			struct factor *nf;
			const char *name;

			lineno++;
			while (*line == ' ' || *line == '\t')
				line++;
			if (!*line || *line == '#')
				continue;
			if (otpauth_parse(line, &fac, label, sizeof label, issuer, sizeof issuer)) {
				*bad_line = lineno;
				ret = CORE_EFORMAT;
				break;
			}
			name = user ? user : label;
			if (!account_name_valid(name)) {
				*bad_line = lineno;
				ret = CORE_EINVAL;
				sodium_memzero(&fac, sizeof fac);
				break;
			}
			reset_item(it, name, now);
			nf = account_factor_add(it->a, now);
			fac.id = nf->id;
			fac.status = FS_ACTIVE;
			fac.created = fac.confirmed = now;
			snprintf(fac.label, sizeof fac.label, "%.64s", issuer[0] ? issuer : "imported");
			*nf = fac;
			sodium_memzero(&fac, sizeof fac);
			if ((ret = fn(ctx, it)))
				break;
		}
		break;
	default:
		ret = CORE_EINVAL;
	}
	sodium_memzero(buf, n);
	free(buf);
	return ret;
}
