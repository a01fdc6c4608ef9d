/* SPDX-License-Identifier: ISC */
/* lib/ helpers that several use cases share (attempts, organisations,
 * delivery, links, tickets, renames). Only lib/ includes this (and, while
 * issue 14's conversion is under way, the cmd/ files not yet converted). */
#ifndef TWOFACTL_LIB_SHARED_H
#define TWOFACTL_LIB_SHARED_H

#include "lib/internal.h"
#include "core/auth.h"
#include "core/message.h"
#include "core/policy.h"

/* Text quoted safely into a message (control bytes, quotes, long runs
 * escaped or cut); a per-thread ring of 4 buffers, so up to four in one
 * message. */
const char *tf_safe(const char *s);
/* Wipe every string of a JSON object in place (secrets shown once). */
void tf_json_wipe(json_object *o);

/* ---- attempts (lib/attempt.c) ---- */

struct attempt_opts {
	const char *event;      /* audit event name */
	const char *ip;
	uint32_t only_factor;   /* check this (pending) factor only */
	int allow_backup;
	unsigned otc_purposes;  /* pending email/SMS codes of these purposes count */
	unsigned otc_channels;  /* of these channels (0: all) */
	int defer;              /* an accepted code is neither saved nor audited: the caller
	                           saves when it may, then calls attempt_audit */
};

/* While the account's second-factor budget (codes, backup codes, WebAuthn)
 * is locked out or delayed: audit the attempt and refuse (TF_LOCKED);
 * TF_OK when it may be checked. */
int lockout_gate(struct tf_sess *ss, const char *event, const char *ip, const char *detail);
/* The same for the first factor's budget (the password). */
int password_gate(struct tf_sess *ss, const char *event, const char *ip);
/* Check a code for the locked account in ss, with rate limiting, replay
 * state and audit; the new state is saved before success is reported. */
int attempt(struct tf_sess *ss, const char *code, const struct attempt_opts *o,
            struct auth_outcome *out);
/* After a deferred success, once the caller saved the record: the audit line. */
int attempt_audit(struct tf_sess *ss, const struct attempt_opts *o, const struct auth_outcome *out);

/* ---- step-up (lib/stepup.c) ----
 * A change that adds or re-points a factor of the account held in ss (or
 * a way around one: a whitelist, a new name), asked by a caller that is
 * not an administrator, of an account with an active factor: code must be
 * a current code of one of its active factors (TOTP/HOTP, a login code
 * sent by email or SMS, a backup code), checked by attempt() (lockout,
 * replay, audit) and spent. TF_OK when the change may go on; TF_USAGE
 * (word "code_required") without a code. what names the change. */
tf_status stepup(struct tf_sess *ss, const char *code, const char *what) TF_WUR;
/* Would stepup() ask this caller for a code on this account? */
int stepup_needed(const struct tf_sess *ss);

/* ---- delivery (lib/deliver.c, lib/sendcode.c) ---- */

/* Render template `purpose` in the account's language (English when there
 * is no translation) and deliver it over channel ch: TF_OK, or TF_DELIVERY
 * with the server's answer in one line, or TF_STORE/TF_NEED_ENROL for
 * configuration and missing addresses. Nothing is recorded here. */
/* Tell the user (email, else SMS, where a transport is set) that 2FA was
 * turned off (method NULL) or a factor of that method removed; lets go of
 * the account first. Undelivered: a warning, never an undo. */
void tf_tell_removed(tf *h, struct tf_sess *ss, const char *method);
int deliver(tf *h, const struct account *a, enum channel ch, const char *purpose,
            const struct msg_var *vars, size_t nvars);
/* Where a channel's messages go, or NULL (with a failure, TF_NEED_ENROL). */
const char *destination(tf *h, const struct account *a, enum channel ch);

/* Make a one-time code, deliver it over ch, and record its hash in the
 * account: rate limit and lockout checked first. Delivery never holds the
 * account: the resend slot is reserved and saved under the lock, the
 * message goes out without it, and under it again (the record reloaded)
 * the code is recorded, unless the address or number changed meanwhile;
 * commit, if set, runs first there (it may refuse). When delivery fails
 * nothing is recorded and the slot is given back. On success the account
 * is locked again with the code recorded: the caller saves. session gets
 * the 3-digit id. */
typedef int (*send_commit_fn)(struct tf_sess *ss, void *ctx);
int send_code(struct tf_sess *ss, enum channel ch, enum purpose p, char session[4],
              send_commit_fn commit, void *ctx);

/* ---- organisations (lib/orgs.c) ---- */

int org_read(tf *h, const char *name, struct acct_ref *ref, struct org *o);
/* The same, but a missing organisation is TF_NOENT without a message. */
int org_read_quiet(tf *h, const char *name, struct acct_ref *ref, struct org *o);
int org_write(tf *h, struct acct_ref *ref, const struct org *o);
/* Lock an organisation and read it (set, del, whitelist); org_end unlocks. */
int org_begin(tf *h, const char *name, struct acct_ref *ref, struct org *o);
void org_end(tf *h, struct acct_ref *ref);
/* The policy that applies to an account (core/policy.h: its own switch,
 * its organisation's, policy.default), and where it comes from in why:
 * "account", "org NAME" or "default". */
int effective_policy(tf *h, const struct account *a, struct policy_out *po, char *why, size_t whylen);
int default_policy(tf *h, enum policy *def);
void policy_source_text(const struct policy_out *po, const char *org, char *buf, size_t len);
/* Every organisation, sorted by name, for decisions over many accounts. */
struct org_index {
	struct org *v;
	size_t n, cap;
};
int org_index_load(tf *h, struct org_index *ix);
const struct org *org_index_find(const struct org_index *ix, const char *name);
void org_index_free(struct org_index *ix);

/* ---- single-use links (lib/link.c) ----
 * A token is "NAME:" and 43 characters of base64url (256 random bits); its
 * keyed hash, bound to the account, the purpose, the address it was sent
 * to and the account's sent epoch, is what is kept. */
#define LINK_RANDOM 32   /* bytes of randomness in a link token */
int link_token_make(struct tf_sess *ss, const char *purpose, char *token, size_t cap, uint8_t *hash);
/* Split "NAME:SECRET" in place; NULL when malformed. */
char *link_token_split(char *in);
int link_token_matches(struct tf_sess *ss, const char *purpose, const char *secret, const uint8_t *want);
/* The link a message carries: the URL template of config key with {token}
 * replaced (the token alone when unset). malloc'd; the caller wipes it. */
int link_token_url(tf *h, const char *key, const char *token, char **url);

/* ---- recovery tickets (lib/tickets.c): oldest first; the caller frees ---- */
int tickets_load(tf *h, struct ticket **out, size_t *n);
/* The same, skipping (and telling skip of) tickets that cannot be read. */
int tickets_scan(tf *h, struct ticket **out, size_t *n, store_bad_fn skip, void *skip_ctx);

/* ---- renames (lib/rename.c) ----
 * One crash-safe step, in three writes under both names' locks (see there).
 * rename_finish completes one whose commit point was written; held, if
 * set, is the new name's ref, locked by the caller. */
int rename_finish(tf *h, struct acct_ref *oldref, struct account *a, struct acct_ref *held);
/* Finish the rename of the account called name, if one is pending. */
int rename_resume(tf *h, const char *name);

/* ---- OpenID Connect links (lib/oidc.c) ---- */
int oidc_has_id(const struct account *a, const struct oidc_id *id);
/* Is the link's account this one: same name, and the same uid where the
 * link has one? */
int oidc_link_is(const struct oidc_link *l, const struct account *a);
/* The store's link record of an identity, under its (held) lock. */
int oidc_link_read(tf *h, struct acct_ref *ref, struct oidc_link *l, int *exists);
/* Does the account a link names still carry it? */
int oidc_link_live(tf *h, const struct oidc_link *l, int *moving);
/* The link record of id, read under the identity's lock, or under none. */
int oidc_link_get(tf *h, const struct oidc_id *id, struct acct_ref *lref, int lock,
                  struct oidc_link *l, int *exists);
/* Point the links of a renamed account's identities (held by a, now under
 * its new name) at it; called with the account's locks held. */
int oidc_links_renamed(tf *h, const struct account *a, const char *oldname);

/* ---- records a scan skipped (lib/skipped.c) ----
 * store_scan's report of a record it could not read: said at once (a
 * failure, TF_STORE) and counted; the sweep goes on, and tf_skipped_end
 * answers TF_STORE at the end when nothing else failed. */
struct tf_skipped {
	tf *h;
	unsigned n;
};
void tf_skipped_record(void *ctx, const char *why);
tf_status tf_skipped_end(const struct tf_skipped *k, tf_status ret) TF_WUR;

#endif
