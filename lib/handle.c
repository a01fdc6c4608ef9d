/* SPDX-License-Identifier: ISC */
/* lib/handle.c — the handle: open, close, the last failure, secrets. */
#include "lib/internal.h"
#include "core/input.h"

#include <liboath/oath.h>
#include <pthread.h>
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
	if (h->on_error)
		h->on_error(h->error_ctx, st, h->word, h->msg);
	return st;
}

tf_status tf_status_of_store(int st)
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
	return tf_fail(h, tf_status_of_store(st), NULL, "%s", h->s ? store_error(h->s) : "store error");
}

/* libsodium and liboath once per process, whichever thread opens first. */
static int libs_ok;

static void libs_init(void)
{
	libs_ok = sodium_init() >= 0 && oath_init() == OATH_OK;
}

static int libs_ready(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, libs_init);
	return libs_ok;
}

tf_status tf_open(tf **out, const struct tf_options *o)
{
	char err[512];
	struct store_env env;
	tf *h;
	int st;

	*out = NULL;
	if (!libs_ready())
		return TF_STORE;
	if (!(h = calloc(1, sizeof *h)))
		return TF_STORE;
	*out = h;
	if (o) {
		h->on_error = o->on_error;
		h->error_ctx = o->error_ctx;
	}
	if (!o || !o->dir || !o->clock)
		return tf_fail(h, TF_USAGE, NULL, "tf_open needs a directory and a clock");
	h->on_error = o->on_error;
	h->error_ctx = o->error_ctx;
	h->clock = o->clock;
	h->clock_ctx = o->clock_ctx;
	h->lock_timeout = o->lock_timeout;
	h->templates_dir = o->templates_dir;
	h->role = o->role == TF_ROLE_NONE ? TF_ROLE_ADMIN : o->role;
	h->caller_uid = o->caller_uid;
	h->audit_caller = (o->flags & TF_OPEN_AUDIT_CALLER) != 0;
	env.passphrase_file = o->passphrase_file;
	env.shared = o->shared == TF_SHARED_YES ? 1 : o->shared == TF_SHARED_NO ? 0 : -1;
	if ((st = store_open_env(o->dir, o->flags & TF_OPEN_ANY_CONFIG ? STORE_OPEN_ANY_CONFIG : 0, &env,
	                         &h->s, err, sizeof err)))
		return tf_fail(h, tf_status_of_store(st), NULL, "%s", err);
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
	if (!libs_ready())
		return TF_STORE;
	if (o && o->dir && o->clock && (st = store_create(o->dir, key_file, pass_file, err, sizeof err))) {
		struct tf_options none = *o;

		none.dir = NULL;   /* a handle on no store, to carry the message */
		none.on_error = NULL;
		if (tf_open(out, &none) != TF_USAGE || !*out)
			return TF_STORE;
		(*out)->on_error = o->on_error;
		return tf_fail(*out, tf_status_of_store(st), NULL, "%s", err);
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

tf_status tf_set_origin(tf *h, const char *service, const char *rhost)
{
	TF_ENTRY_H(h);
	if ((service && !service_name_valid(service)) || (rhost && !rhost_valid(rhost)))
		return tf_fail(h, TF_USAGE, NULL, "not a service name or a remote host");
	/* the PAM service and remote host are PAM's (or an administrator's)
	 * to say: a front end's lines would otherwise read as sshd's */
	if ((service || rhost) && h->role == TF_ROLE_FRONTEND) {
		char detail[96];

		snprintf(detail, sizeof detail, "uid %u, --via-service/--rhost", h->caller_uid);
		TF_IGNORE(tf_audit(h, "serve.forbidden", NULL, "forbidden", NULL, detail));
		return tf_fail(h, TF_USAGE, "forbidden", "--via-service and --rhost are for PAM and administrators");
	}
	snprintf(h->service, sizeof h->service, "%s", service ? service : "");
	snprintf(h->rhost, sizeof h->rhost, "%s", rhost ? rhost : "");
	return TF_OK;
}

tf_secret *tf_secret_take(struct json_object *result, const char *field)
{
	json_object *v;
	tf_secret *s;
	const char *t;

	if (!result || !json_object_object_get_ex(result, field, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	t = json_object_get_string(v);
	if (!(s = sodium_malloc(sizeof *s)))
		return NULL;
	s->len = strlen(t);
	if (!(s->text = sodium_malloc(s->len + 1))) {
		sodium_free(s);
		return NULL;
	}
	memcpy(s->text, t, s->len + 1);
	return s;
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

void tf_set_error_hook(tf *h, tf_error_fn fn, void *ctx)
{
	h->on_error = fn;
	h->error_ctx = ctx;
}
