/* SPDX-License-Identifier: ISC */
/* lib/whitelist.c — addresses whose logins skip the second factor, of an
 * account or of an organisation: add, list, del. */
#include "lib/shared.h"
#include "core/cidr.h"

#include <stdio.h>
#include <string.h>

/* One change (or look) at a whitelist, under its owner's lock. */
struct wl_op {
	tf *h;
	const struct tf_sink *out;
	int64_t now;
	const char *cidr, *note;
	int64_t ttl;
	int allow_broad;
	const char *stepup;         /* add: the step-up code (lib/stepup.c) */
	char net[64];               /* add: the range as kept */
};

typedef tf_status (*wl_fn)(struct wl_entry *wl, unsigned *n, struct wl_op *op, int *changed);
static tf_status do_add(struct wl_entry *wl, unsigned *n, struct wl_op *op, int *changed);
static tf_status do_list(struct wl_entry *wl, unsigned *n, struct wl_op *op, int *changed);

/* Run fn on the whitelist of the account or organisation name, under its
 * lock; save and audit (event) when it changed something. */
static tf_status with_whitelist(tf *h, const char *name, int org, wl_fn fn, struct wl_op *op, const char *event)
{
	tf_status ret;
	int changed = 0;

	if (org) {
		struct acct_ref ref = { 0 };
		struct org o;

		/* an organisation's whitelist opens every member's logins: its
		 * entries are an administrator's, as its membership and policy */
		if (fn != do_list && (ret = tf_require_admin(h, "an organisation's whitelist")))
			return ret;

		if (!(ret = org_begin(h, name, &ref, &o)) && !(ret = fn(o.wl, &o.nwl, op, &changed)) && changed &&
		    !(ret = org_write(h, &ref, &o)))
			ret = tf_audit(h, event, NULL, "ok", NULL, name);
		org_end(h, &ref);
		return ret;
	}
	{
		struct tf_sess ss;

		if (!(ret = tf_sess_begin(h, &ss, name)) &&
		    (fn != do_add || !(ret = stepup(&ss, op->stepup, "whitelist add"))) && !(ret = fn(ss.a->wl, &ss.a->nwl, op, &changed)) &&
		    changed && !(ret = tf_sess_save(&ss)))
			ret = tf_audit(h, event, name, "ok", NULL, NULL);
		tf_sess_end(&ss);
		return ret;
	}
}

/* One line of text without control characters (as enroll's labels). */
static int one_line(const char *s)
{
	return core_text_line_ok(s);
}

static tf_status parse_cidr(tf *h, const char *s, struct cidr *c)
{
	int r = cidr_parse(s, c);

	if (r == CORE_ERANGE)
		return tf_fail(h, TF_USAGE, NULL, "'%s': prefix too long for the address family", tf_safe(s));
	if (r)
		return tf_fail(h, TF_USAGE, NULL, "'%s' is not an IPv4 or IPv6 address or CIDR range", tf_safe(s));
	return TF_OK;
}

static tf_status do_add(struct wl_entry *wl, unsigned *n, struct wl_op *op, int *changed)
{
	struct cidr c;
	tf_status ret;
	int r;

	if ((ret = parse_cidr(op->h, op->cidr, &c)))
		return ret;
	r = wl_add(wl, n, &c, op->now, op->ttl, op->note);
	if (r == CORE_EFULL)
		return tf_fail(op->h, TF_USAGE, NULL, "the whitelist holds %d entries already", ACCT_MAX_WHITELIST);
	if (r)
		return tf_fail(op->h, TF_USAGE, NULL, "note too long");
	*changed = 1;
	cidr_format(&c, op->net);
	return TF_OK;
}

static tf_status do_del(struct wl_entry *wl, unsigned *n, struct wl_op *op, int *changed)
{
	struct cidr c;
	tf_status ret;

	if ((ret = parse_cidr(op->h, op->cidr, &c)))
		return ret;
	if (!wl_del(wl, n, &c))
		return tf_fail(op->h, TF_NOENT, NULL, "'%s' is not whitelisted", tf_safe(op->cidr));
	*changed = 1;
	return TF_OK;
}

static tf_status do_list(struct wl_entry *wl, unsigned *n, struct wl_op *op, int *changed)
{
	tf_status ret = TF_OK;

	(void)changed;
	for (unsigned i = 0; i < *n && !ret; i++) {
		char net[64];
		json_object *o = json_object_new_object();

		cidr_format(&wl[i].net, net);
		json_object_object_add(o, "net", json_object_new_string(net));
		json_object_object_add(o, "created", json_object_new_int64(wl[i].created));
		json_object_object_add(o, "expires", wl[i].expires ? json_object_new_int64(wl[i].expires) : NULL);
		json_object_object_add(o, "expired", json_object_new_boolean(wl[i].expires && op->now >= wl[i].expires));
		json_object_object_add(o, "note", wl[i].note[0] ? json_object_new_string(wl[i].note) : NULL);
		ret = tf_emit(op->h, op->out, o);
	}
	return ret;
}

tf_status tf_whitelist_add(tf *h, const struct tf_whitelist_add_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct wl_op op = { .h = h, .out = out, .now = tf_now(h), .cidr = a->cidr, .note = a->note,
	                    .ttl = a->ttl, .allow_broad = a->allow_broad, .stepup = a->stepup };
	struct cidr c;
	json_object *o;
	tf_status ret;

	if (!a->cidr)
		return tf_fail(h, TF_USAGE, NULL, "missing CIDR");
	if (a->ttl < 0)
		return tf_fail(h, TF_USAGE, NULL, "--ttl: a duration cannot be negative");
	if (a->note && (strlen(a->note) > LABEL_MAX || !one_line(a->note)))
		return tf_fail(h, TF_USAGE, NULL, "--note: one line of at most %d characters, no control characters",
		               LABEL_MAX);
	/* what the caller may not ask, before a step-up code is spent */
	if (a->allow_broad && (ret = tf_require_admin(h, "--allow-broad")))
		return ret;
	if ((ret = parse_cidr(h, a->cidr, &c)))
		return ret;
	if (cidr_too_broad(&c) && !a->allow_broad)
		return tf_fail(h, TF_USAGE, NULL, "'%s' is too broad: it covers %s; add --allow-broad if that is "
		               "really meant", tf_safe(a->cidr), cidr_covers_all_v4(&c) ?
		               "every IPv4 address" : "a large part of the Internet");
	if ((ret = with_whitelist(h, a->name, a->org, do_add, &op, "whitelist.add")))
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, a->org ? "org" : "name", json_object_new_string(a->name));
	json_object_object_add(o, "net", json_object_new_string(op.net));
	json_object_object_add(o, "expires", a->ttl ? json_object_new_int64(op.now + a->ttl) : NULL);
	return tf_emit(h, out, o);
}

tf_status tf_whitelist_list(tf *h, const struct tf_whitelist_list_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct wl_op op = { .h = h, .out = out, .now = tf_now(h) };

	return with_whitelist(h, a->name, a->org, do_list, &op, "whitelist.list");
}

tf_status tf_whitelist_del(tf *h, const struct tf_whitelist_del_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct wl_op op = { .h = h, .out = out, .now = tf_now(h), .cidr = a->cidr };
	json_object *o;
	tf_status ret;

	if (!a->cidr)
		return tf_fail(h, TF_USAGE, NULL, "missing CIDR");
	if ((ret = with_whitelist(h, a->name, a->org, do_del, &op, "whitelist.del")))
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "net", json_object_new_string(a->cidr));
	json_object_object_add(o, "result", json_object_new_string("deleted"));
	return tf_emit(h, out, o);
}
