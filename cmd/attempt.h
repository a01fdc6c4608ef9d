/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_ATTEMPT_H
#define TWOFACTL_ATTEMPT_H

#include "cmd/cmd.h"
#include "core/auth.h"

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
 * is locked out or delayed: audit the attempt and say so (exit 4); EXIT_OK
 * when it may be checked. */
int lockout_gate(struct session *ss, const char *event, const char *ip, const char *detail);
/* The same for the first factor's budget (the password). */
int password_gate(struct session *ss, const char *event, const char *ip);

/* Check a code for the locked account in ss, with rate limiting, replay
 * state and audit; the new state is saved before success is reported.
 * Returns an exit code (messages printed for every non-zero one). */
int attempt(struct session *ss, const char *code, const struct attempt_opts *o,
            struct auth_outcome *out);
/* After a deferred success, once the caller saved the record: the audit line. */
int attempt_audit(struct session *ss, const struct attempt_opts *o, const struct auth_outcome *out);

#endif
