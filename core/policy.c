/* SPDX-License-Identifier: ISC */
#include "core/policy.h"
#include "core/auth.h"
#include "core/lockout.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

int wl_match(const struct wl_entry *wl, unsigned n, const uint8_t ip[16], int64_t now)
{
	for (unsigned i = 0; i < n; i++)
		if ((!wl[i].expires || now < wl[i].expires) && cidr_contains(&wl[i].net, ip))
			return (int)i;
	return -1;
}

static int same_net(const struct cidr *a, const struct cidr *b)
{
	return a->prefix == b->prefix && !memcmp(a->addr, b->addr, 16);
}

int wl_add(struct wl_entry *wl, unsigned *n, const struct cidr *net, int64_t now, int64_t ttl,
           const char *note)
{
	struct wl_entry *e = NULL;

	for (unsigned i = 0; i < *n; i++)
		if (same_net(&wl[i].net, net))
			e = &wl[i];   /* adding again updates TTL and note */
	if (!e) {
		if (*n >= ACCT_MAX_WHITELIST)
			return CORE_EFULL;
		e = &wl[(*n)++];
	}
	memset(e, 0, sizeof *e);
	e->net = *net;
	e->created = now;
	e->expires = ttl ? now + ttl : 0;
	if (note && core_strlcpy(e->note, note, sizeof e->note))
		return CORE_ERANGE;
	return CORE_OK;
}

static void wl_remove_at(struct wl_entry *wl, unsigned *n, unsigned i)
{
	memmove(&wl[i], &wl[i + 1], (*n - i - 1) * sizeof wl[0]);
	(*n)--;
	memset(&wl[*n], 0, sizeof wl[0]);
}

int wl_del(struct wl_entry *wl, unsigned *n, const struct cidr *net)
{
	for (unsigned i = 0; i < *n; i++)
		if (same_net(&wl[i].net, net)) {
			wl_remove_at(wl, n, i);
			return 1;
		}
	return 0;
}

unsigned wl_expire(struct wl_entry *wl, unsigned *n, int64_t now)
{
	unsigned removed = 0;

	for (unsigned i = *n; i-- > 0;)
		if (wl[i].expires && now >= wl[i].expires) {
			wl_remove_at(wl, n, i);
			removed++;
		}
	return removed;
}

static int token_hash(const uint8_t *key, const char *context, const char *token,
                      uint8_t out[CODE_HASH_BYTES])
{
	char ctx[96];

	snprintf(ctx, sizeof ctx, "trust:%s", context);
	return code_hash(key, ctx, token, out);
}

int trust_token_valid(const char *token)
{
	if (strlen(token) != TRUST_TOKEN_CHARS)
		return 0;
	for (const char *p = token; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

static void trust_remove_at(struct account *a, unsigned i)
{
	sodium_memzero(&a->tr[i], sizeof a->tr[i]);
	memmove(&a->tr[i], &a->tr[i + 1], (a->ntr - i - 1) * sizeof a->tr[0]);
	a->ntr--;
	memset(&a->tr[a->ntr], 0, sizeof a->tr[0]);
}

int trust_add(struct account *a, const uint8_t *key, const char *context, int64_t now,
              int64_t lifetime, const char *label, char token[TRUST_TOKEN_CHARS + 1], uint32_t *id)
{
	uint8_t raw[TRUST_TOKEN_BYTES];
	struct trusted *t;
	int ret;

	if (a->ntr >= ACCT_MAX_TRUST) {   /* full: the oldest device is forgotten */
		unsigned oldest = 0;

		for (unsigned i = 1; i < a->ntr; i++)
			if (a->tr[i].created < a->tr[oldest].created)
				oldest = i;
		trust_remove_at(a, oldest);
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, TRUST_TOKEN_CHARS + 1, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	t = &a->tr[a->ntr];
	memset(t, 0, sizeof *t);
	if ((ret = token_hash(key, context, token, t->hash)) != CORE_OK)
		return ret;
	if (a->next_trust_id == 0)
		a->next_trust_id = 1;
	t->id = a->next_trust_id++;
	t->created = now;
	t->expires = now + lifetime;
	if (label && core_strlcpy(t->label, label, sizeof t->label))
		return CORE_ERANGE;
	a->ntr++;
	*id = t->id;
	return CORE_OK;
}

int trust_match(struct account *a, const uint8_t *key, const char *context, const char *token,
                int64_t now)
{
	uint8_t h[CODE_HASH_BYTES];
	int found = -1;

	if (!trust_token_valid(token) || token_hash(key, context, token, h) != CORE_OK)
		return -1;
	for (unsigned i = 0; i < a->ntr; i++)   /* every entry compared: no early exit */
		if (sodium_memcmp(h, a->tr[i].hash, sizeof h) == 0 && now < a->tr[i].expires && found < 0)
			found = (int)i;
	sodium_memzero(h, sizeof h);
	return found;
}

int trust_revoke(struct account *a, uint32_t id)
{
	for (unsigned i = 0; i < a->ntr; i++)
		if (a->tr[i].id == id) {
			trust_remove_at(a, i);
			return 1;
		}
	return 0;
}

unsigned trust_expire(struct account *a, int64_t now)
{
	unsigned removed = 0;

	for (unsigned i = a->ntr; i-- > 0;)
		if (now >= a->tr[i].expires) {
			trust_remove_at(a, i);
			removed++;
		}
	return removed;
}

void login_open(struct account *a, int64_t now, const uint8_t *ip, int64_t window)
{
	struct pending_login *l;

	for (unsigned i = a->npl; i-- > 0;) {
		l = &a->pl[i];
		if (!l->warned && now >= l->opened && now - l->opened < window &&
		    l->has_ip == (ip != NULL) && (!ip || !memcmp(l->ip, ip, 16)))
			return;   /* the same attempt, still open */
	}

	if (a->npl >= ACCT_MAX_LOGINS) {   /* keep the newest */
		memmove(&a->pl[0], &a->pl[1], (ACCT_MAX_LOGINS - 1) * sizeof a->pl[0]);
		a->npl--;
	}
	l = &a->pl[a->npl++];
	memset(l, 0, sizeof *l);
	l->opened = now;
	if (ip) {
		memcpy(l->ip, ip, 16);
		l->has_ip = 1;
	}
}

void login_close_all(struct account *a)
{
	memset(a->pl, 0, sizeof a->pl);
	a->npl = 0;
}

void policy_resolve(const struct policy_in *in, struct policy_out *out)
{
	int org_required = in->has_org && in->org == POLICY_REQUIRED;

	out->overridden = 0;
	if (in->own == SW_REQUIRED) {
		out->pol = POLICY_REQUIRED;
		out->src = PSRC_ACCOUNT;
	} else if (org_required) {
		out->pol = POLICY_REQUIRED;
		out->src = PSRC_ORG;
		out->overridden = switch_gives_way(in->own);
	} else if (in->own == SW_OPTIONAL || in->own == SW_OFF) {
		out->pol = in->own == SW_OFF ? POLICY_OFF : POLICY_OPTIONAL;
		out->src = PSRC_ACCOUNT;
	} else if (in->has_org) {
		out->pol = in->org;
		out->src = PSRC_ORG;
	} else {
		out->pol = in->def;
		out->src = PSRC_DEFAULT;
	}
}

void account_policy(const struct account *a, const struct org *o, enum policy def, struct policy_out *out)
{
	struct policy_in in = { a->twofa, o != NULL, o ? o->policy : POLICY_OPTIONAL, def };

	policy_resolve(&in, out);
}

int policy_switch_allowed(enum acct_switch own, int has_org, enum policy org)
{
	return !(has_org && org == POLICY_REQUIRED && switch_gives_way(own));
}

int switch_gives_way(enum acct_switch own)
{
	return own == SW_OPTIONAL || own == SW_OFF;
}

int enrol_notice_due(const struct account *a)
{
	return !a->service && account_active_count(a) == 0;
}

int account_locked(const struct account *a, int64_t now)
{
	int64_t wait;

	return lock_check(a, now, &wait) != LOCK_OPEN || budget_check(&a->lk_pw, now, &wait) != LOCK_OPEN;
}

int list_filter_match(const struct list_filter *f, const struct account *a, const struct policy_out *po,
                      int64_t now)
{
	if (f->org && strcmp(a->org, f->org))
		return 0;
	if (f->enabled >= 0 && (account_active_count(a) > 0) != f->enabled)
		return 0;
	if (f->locked && !account_locked(a, now))
		return 0;
	if (f->policy >= 0 && po->pol != (enum policy)f->policy)
		return 0;
	if (f->method >= 0) {
		unsigned i;

		for (i = 0; i < a->nf; i++)
			if (a->f[i].status == FS_ACTIVE && a->f[i].type == (enum factor_type)f->method)
				break;
		if (i == a->nf)
			return 0;
	}
	return 1;
}

const char *policy_source_name(enum policy_source src)
{
	return src == PSRC_ACCOUNT ? "account" : src == PSRC_ORG ? "org" : "default";
}

enum decision policy_decide(const struct account *a, enum policy pol, int whitelisted,
                            int trusted, const char **reason)
{
	unsigned active = account_active_count(a);

	if (a->service) {
		*reason = "service account: exempt from the second factor";
		return DEC_PASS;
	}
	if (pol == POLICY_OFF) {
		*reason = "two-factor authentication is off by policy";
		return DEC_PASS;
	}
	if (!active) {
		if (pol == POLICY_REQUIRED) {
			*reason = "the policy requires two-factor authentication: enrolment needed";
			return DEC_ENROL;
		}
		if (a->must_enrol) {
			*reason = "a lost-device recovery removed every second factor: enrolment needed";
			return DEC_ENROL;
		}
		*reason = "two-factor authentication is optional and not enabled";
		return DEC_PASS;
	}
	if (whitelisted) {
		*reason = "whitelisted address";
		return DEC_PASS;
	}
	if (trusted) {
		*reason = "trusted device";
		return DEC_PASS;
	}
	*reason = "a code is needed";
	return DEC_CODE;
}

unsigned sweep_account(struct account *a, const struct sweep_params *p, struct sweep_counts *c)
{
	unsigned warn = 0;

	c->codes += auth_expire_otc(a, p->now);
	c->whitelist += wl_expire(a->wl, &a->nwl, p->now);
	c->devices += trust_expire(a, p->now);
	for (unsigned i = a->nf; i-- > 0;)
		if (a->f[i].status == FS_PENDING && p->now - a->f[i].created > p->enroll_ttl) {
			enum factor_type t = a->f[i].type;

			account_factor_del(a, a->f[i].id);
			c->enrolments++;
			/* the confirmation code of a dropped email/SMS enrolment goes too */
			if (t == F_EMAIL || t == F_SMS) {
				struct otc *o = &a->otc[t == F_EMAIL ? CH_EMAIL : CH_SMS];

				if (o->active && o->purpose == P_ENROLL)
					sodium_memzero(o, sizeof *o);
			}
		}
	for (unsigned i = a->npl; i-- > 0;)
		if (a->pl[i].warned && p->now - a->pl[i].opened > p->login_keep) {
			memmove(&a->pl[i], &a->pl[i + 1], (a->npl - i - 1) * sizeof a->pl[0]);
			a->npl--;
			memset(&a->pl[a->npl], 0, sizeof a->pl[0]);
			c->logins++;
		}
	for (unsigned i = 0; i < a->npl; i++)
		if (!a->pl[i].warned && p->now - a->pl[i].opened >= p->warn_after &&
		    (!a->pl[i].claimed || p->now - a->pl[i].claimed >= WARN_CLAIM_SECS ||
		     p->now < a->pl[i].claimed))
			warn |= 1u << i;
	return warn;
}
