/* SPDX-License-Identifier: ISC */
/* lib/handle.c — the handle: open, close, the last failure, secrets. */
#include "lib/internal.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tf_status_word(tf_status st)
{
	switch (st) {
	case TF_OK: return "ok";
	case TF_REJECTED: return "rejected";
	case TF_USAGE: return "usage";
	case TF_NOENT: return "not_found";
	case TF_LOCKED: return "locked";
	case TF_STORE: return "store";
	case TF_DELIVERY: return "delivery";
	case TF_BUSY: return "busy";
	case TF_NEED_CODE: return "code_needed";
	case TF_NEED_ENROL: return "enrolment_needed";
	}
	return "error";
}

tf_status tf_fail(tf *h, tf_status st, const char *word, const char *fmt, ...)
{
	va_list ap;

	h->word = word ? word : tf_status_word(st);
	va_start(ap, fmt);
	vsnprintf(h->msg, sizeof h->msg, fmt, ap);
	va_end(ap);
	return st;
}

static tf_status status_of_store(int st)
{
	switch (st) {
	case ST_OK: return TF_OK;
	case ST_ENOENT: return TF_NOENT;
	case ST_EXIST: return TF_USAGE;
	case ST_BUSY: return TF_BUSY;
	case ST_INVAL: return TF_USAGE;
	default: return TF_STORE;
	}
}

tf_status tf_fail_store(tf *h, int st)
{
	return tf_fail(h, status_of_store(st), NULL, "%s", h->s ? store_error(h->s) : "store error");
}

void tf_clear(tf *h)
{
	h->word = NULL;
	h->msg[0] = '\0';
}

tf_status tf_open(tf **out, const struct tf_options *o)
{
	char err[512];
	tf *h;
	int st;

	*out = NULL;
	if (sodium_init() < 0)
		return TF_STORE;
	if (!(h = calloc(1, sizeof *h)))
		return TF_STORE;
	*out = h;
	if (!o || !o->dir || !o->clock)
		return tf_fail(h, TF_USAGE, NULL, "tf_open needs a directory and a clock");
	h->clock = o->clock;
	h->clock_ctx = o->clock_ctx;
	h->role = o->role == TF_ROLE_NONE ? TF_ROLE_ADMIN : o->role;
	h->caller_uid = o->caller_uid;
	if ((st = store_open(o->dir, &h->s, err, sizeof err)))
		return tf_fail(h, status_of_store(st), NULL, "%s", err);
	if (o->lock_timeout)
		store_set_lock_timeout(h->s, (int)o->lock_timeout);
	return TF_OK;
}

tf_status tf_create(tf **out, const struct tf_options *o, const char *key_file,
                    const char *pass_file)
{
	char err[512];
	int st;

	*out = NULL;
	if (sodium_init() < 0)
		return TF_STORE;
	if (o && o->dir && (st = store_create(o->dir, key_file, pass_file, err, sizeof err))) {
		tf_status ret = tf_open(out, NULL);   /* a handle to carry the message */

		if (*out)
			ret = tf_fail(*out, status_of_store(st), NULL, "%s", err);
		return ret;
	}
	return tf_open(out, o);
}

void tf_close(tf **h)
{
	if (!h || !*h)
		return;
	store_close((*h)->s);
	sodium_memzero((*h)->msg, sizeof (*h)->msg);
	free(*h);
	*h = NULL;
}

const char *tf_error_word(const tf *h)
{
	return h && h->word ? h->word : "ok";
}

const char *tf_error_message(const tf *h)
{
	return h ? h->msg : "out of memory";
}

int64_t tf_now(const tf *h)
{
	return h->clock(h->clock_ctx);
}

void tf_secret_free(tf_secret **s)
{
	if (!s || !*s)
		return;
	if ((*s)->text)
		sodium_free((*s)->text);
	sodium_free(*s);
	*s = NULL;
}
