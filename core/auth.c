/* SPDX-License-Identifier: ISC */
#include "core/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void auth_sent_context(const struct account *a, const char *kind, const char *dest,
                       char buf[SENT_CTX_MAX])
{
	snprintf(buf, SENT_CTX_MAX, "%s:%s:%s:%u", kind, a->uid, dest, (unsigned)a->sent_epoch);
}

/* A code sent over ch: bound to the account's uid (context), the address or
 * number it went to, and the sent epoch. */
static void otc_context(char *buf, const struct account *a, const char *context, enum channel ch)
{
	snprintf(buf, SENT_CTX_MAX, "otc:%s:%s:%s:%u", channel_name(ch), context,
	         ch == CH_EMAIL ? a->email : a->phone, (unsigned)a->sent_epoch);
}

static void otc_clear(struct otc *o)
{
	sodium_memzero(o, sizeof *o);
}

void auth_drop_sent(struct account *a, enum channel ch)
{
	if ((unsigned)ch >= CH_COUNT)
		return;
	otc_clear(&a->otc[ch]);
	if (ch == CH_EMAIL) {
		sodium_memzero(a->reset_hash, sizeof a->reset_hash);
		a->reset_expires = 0;
		sodium_memzero(a->act_hash, sizeof a->act_hash);
		a->act_expires = 0;
		a->act_factor = 0;
	}
}

void auth_revoke_sent(struct account *a)
{
	a->sent_epoch++;
	for (unsigned c = 0; c < CH_COUNT; c++)
		auth_drop_sent(a, (enum channel)c);
}

static int check_otc(struct account *a, const char *norm, const struct auth_params *p,
                     struct auth_outcome *out)
{
	uint8_t h[CODE_HASH_BYTES];
	char ctx[SENT_CTX_MAX];

	if (strlen(norm) != OTC_DIGITS)
		return 0;
	for (unsigned c = 0; c < CH_COUNT; c++) {
		struct otc *o = &a->otc[c];
		int match;

		if (!o->active || (p->otc_channels && !(p->otc_channels & (1u << c))))
			continue;
		/* a login or confirmation code needs its method still there; an
		 * enrolment code its pending factor */
		if (!account_channel_factor(a, (enum channel)c, o->purpose == P_ENROLL ? FS_PENDING : FS_ACTIVE))
			continue;
		otc_context(ctx, a, p->context, (enum channel)c);
		if (code_hash(p->code_key, ctx, norm, h) != CORE_OK)
			return -1;
		match = sodium_memcmp(h, o->hash, sizeof h) == 0;
		sodium_memzero(h, sizeof h);
		if (!(p->otc_purposes & (1u << o->purpose))) {
			/* a code sent for something else: never accepted here, and
			 * left for what it was sent for */
			if (match && p->now < o->expires)
				out->other_purpose = 1 + (int)o->purpose;
			continue;
		}
		if (match && p->now >= o->expires) {
			otc_clear(o);
			out->expired = 1;
			continue;
		}
		if (match) {
			struct factor *f = account_channel_factor(a, (enum channel)c, FS_ACTIVE);

			otc_clear(o);
			if (f)
				f->last_used = p->now;
			out->result = AUTH_OK;
			out->channel = (int)c;
			return 1;
		}
		if (++o->attempts >= OTC_MAX_ATTEMPTS)
			otc_clear(o);   /* five wrong tries use a code up */
	}
	return 0;
}

int auth_store_otc(struct account *a, enum channel ch, enum purpose purpose, const char *code,
                   const char *session, const uint8_t *code_key, const char *context,
                   int64_t now, int64_t ttl)
{
	struct otc *o = &a->otc[ch];
	char ctx[SENT_CTX_MAX];

	if ((unsigned)ch >= CH_COUNT || ttl <= 0 || ttl > OTC_MAX_TTL || strlen(session) != 3)
		return CORE_ERANGE;
	otc_clear(o);
	otc_context(ctx, a, context, ch);
	if (code_hash(code_key, ctx, code, o->hash) != CORE_OK)
		return CORE_ECRYPTO;
	memcpy(o->session, session, 4);
	o->purpose = purpose;
	o->created = now;
	o->expires = now + ttl;
	o->attempts = 0;
	o->active = 1;
	a->last_sent[ch][purpose] = now;
	return CORE_OK;
}

int64_t resend_wait(const struct account *a, enum channel ch, enum purpose p, int64_t now, int64_t resend)
{
	int64_t last;

	if ((unsigned)ch >= CH_COUNT || (unsigned)p >= P_COUNT)
		return 0;
	last = a->last_sent[ch][p];
	return last && now < last + resend ? last + resend - now : 0;
}

int auth_store_backup(struct account *a, const char *norm, const uint8_t *code_key, const char *context)
{
	char ctx[96];

	if (a->nbackup >= ACCT_MAX_BACKUP)
		return CORE_EFULL;
	snprintf(ctx, sizeof ctx, "backup:%s", context);
	if (code_hash(code_key, ctx, norm, a->backup[a->nbackup]) != CORE_OK)
		return CORE_ECRYPTO;
	a->nbackup++;
	return CORE_OK;
}

int auth_rate_check(struct account *a, int64_t now)
{
	unsigned recent = 0, j = 0;

	if (!a->rate_n)
		return 0;
	for (unsigned i = 0; i < a->nrate; i++)   /* forget attempts outside the window */
		if (a->rate_times[i] > now - (int64_t)a->rate_secs)
			a->rate_times[j++] = a->rate_times[i];
	a->nrate = j;
	recent = a->nrate;
	if (recent >= a->rate_n)
		return 1;
	if (a->nrate < 16)
		a->rate_times[a->nrate++] = now;
	return 0;
}

unsigned auth_expire_otc(struct account *a, int64_t now)
{
	unsigned n = 0;

	for (unsigned c = 0; c < CH_COUNT; c++)
		if (a->otc[c].active && now >= a->otc[c].expires) {
			otc_clear(&a->otc[c]);
			n++;
		}
	return n;
}

static int check_totp(struct factor *f, const char *code, const struct auth_params *p,
                      struct auth_outcome *out)
{
	uint64_t t = otp_step(p->now, f->period), lo, hi, m = 0, first;
	unsigned w = f->window >= 0 ? (unsigned)f->window : p->totp_window;
	int r;

	lo = t > w ? t - w : 0;
	hi = t + w;
	/* Steps above the last accepted one may be accepted... */
	first = f->has_step && f->last_step + 1 > lo ? f->last_step + 1 : lo;
	if (first <= hi) {
		r = otp_search(f->key, f->keylen, f->algo, f->digits, first, hi - first + 1, code, &m);
		if (r < 0)
			return -1;
		if (r) {
			f->has_step = 1;
			f->last_step = m;
			f->drift = (int64_t)m - (int64_t)t;
			f->last_used = p->now;
			out->result = AUTH_OK;
			out->factor = f->id;
			out->drift = f->drift;
			return 1;
		}
	}
	/* ...those at or below it are a replay, also after the clock went back. */
	if (f->has_step && lo <= f->last_step) {
		uint64_t top = f->last_step < hi ? f->last_step : hi;

		r = otp_search(f->key, f->keylen, f->algo, f->digits, lo, top - lo + 1, code, &m);
		if (r < 0)
			return -1;
		if (r && out->result == AUTH_REJECT) {
			out->result = AUTH_REPLAY;
			out->factor = f->id;
		}
	}
	return 0;
}

static int check_hotp(struct factor *f, const char *code, const struct auth_params *p,
                      struct auth_outcome *out)
{
	uint64_t m = 0;
	unsigned w = f->window >= 0 ? (unsigned)f->window : p->hotp_window;
	int r = otp_search(f->key, f->keylen, f->algo, f->digits, f->counter, (uint64_t)w + 1, code, &m);

	if (r <= 0)
		return r;
	out->drift = (int64_t)(m - f->counter);
	f->counter = m + 1;
	f->last_used = p->now;
	out->result = AUTH_OK;
	out->factor = f->id;
	return 1;
}

static int check_backup(struct account *a, const char *norm, const struct auth_params *p,
                        struct auth_outcome *out)
{
	uint8_t h[CODE_HASH_BYTES];
	char ctx[96];
	int found = -1;

	snprintf(ctx, sizeof ctx, "backup:%s", p->context);
	if (code_hash(p->code_key, ctx, norm, h) != CORE_OK)
		return -1;
	for (unsigned i = 0; i < a->nbackup; i++)   /* no early exit */
		if (sodium_memcmp(h, a->backup[i], sizeof h) == 0 && found < 0)
			found = (int)i;
	if (found < 0) {
		int used = 0;

		for (unsigned i = 0; i < a->nbackup_used; i++)
			used |= sodium_memcmp(h, a->backup_used[i], sizeof h) == 0;
		sodium_memzero(h, sizeof h);
		if (used) {   /* a replay: refused, and not a failure */
			out->result = AUTH_REPLAY;
			out->backup = 1;
		}
		return 0;
	}
	if (a->nbackup_used == ACCT_MAX_BACKUP) {   /* full: the oldest is forgotten */
		memmove(a->backup_used[0], a->backup_used[1], (ACCT_MAX_BACKUP - 1) * CODE_HASH_BYTES);
		a->nbackup_used--;
	}
	memcpy(a->backup_used[a->nbackup_used++], h, CODE_HASH_BYTES);
	sodium_memzero(h, sizeof h);
	sodium_memzero(a->backup[found], CODE_HASH_BYTES);
	memmove(a->backup[found], a->backup[found + 1],
	        (a->nbackup - (unsigned)found - 1) * CODE_HASH_BYTES);
	a->nbackup--;
	sodium_memzero(a->backup[a->nbackup], CODE_HASH_BYTES);
	out->result = AUTH_OK;
	out->backup = 1;
	return 1;
}

int auth_check(struct account *a, const char *norm, enum code_kind kind,
               const struct auth_params *p, struct auth_outcome *out)
{
	memset(out, 0, sizeof *out);
	out->channel = -1;
	if (kind == CODE_BACKUP) {
		if (!p->allow_backup)
			return CORE_OK;
		return check_backup(a, norm, p, out) < 0 ? CORE_ECRYPTO : CORE_OK;
	}
	if (kind != CODE_NUMERIC)
		return CORE_OK;
	for (unsigned i = 0; i < a->nf; i++) {
		struct factor *f = &a->f[i];
		int r = 0;

		if (p->only_factor ? f->id != p->only_factor : f->status != FS_ACTIVE)
			continue;
		if (strlen(norm) != f->digits)
			continue;
		if (f->type == F_TOTP)
			r = check_totp(f, norm, p, out);
		else if (f->type == F_HOTP)
			r = check_hotp(f, norm, p, out);
		if (r < 0)
			return CORE_ECRYPTO;
		if (r > 0)
			return CORE_OK;
	}
	if (p->otc_purposes && out->result != AUTH_REPLAY && check_otc(a, norm, p, out) < 0)
		return CORE_ECRYPTO;
	/* 8-digit backup codes: the scratch codes of an imported google-authenticator file */
	if (out->result == AUTH_REJECT && p->allow_backup && strlen(norm) == 8 &&
	    check_backup(a, norm, p, out) < 0)
		return CORE_ECRYPTO;
	return CORE_OK;
}

int auth_issue_backup(struct account *a, unsigned n, const uint8_t *code_key,
                      const char *context, char (*display)[BACKUP_DISPLAY], int64_t now)
{
	char norm[BACKUP_CHARS + 1], ctx[96];
	uint8_t hashes[ACCT_MAX_BACKUP][CODE_HASH_BYTES];
	int ret = CORE_OK;

	if (n == 0 || n > ACCT_MAX_BACKUP)
		return CORE_ERANGE;
	snprintf(ctx, sizeof ctx, "backup:%s", context);
	for (unsigned i = 0; i < n && ret == CORE_OK; i++) {
		ret = backup_generate(norm, display[i]);
		if (ret == CORE_OK)
			ret = code_hash(code_key, ctx, norm, hashes[i]);
	}
	sodium_memzero(norm, sizeof norm);
	if (ret != CORE_OK) {
		sodium_memzero(hashes, sizeof hashes);
		return ret;
	}
	sodium_memzero(a->backup, sizeof a->backup);
	memcpy(a->backup, hashes, n * CODE_HASH_BYTES);
	a->nbackup = n;
	sodium_memzero(a->backup_used, sizeof a->backup_used);   /* a new set: the old is forgotten */
	a->nbackup_used = 0;
	a->backup_issued = now;
	sodium_memzero(hashes, sizeof hashes);
	return CORE_OK;
}
