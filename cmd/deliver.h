/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_DELIVER_H
#define TWOFACTL_DELIVER_H

#include "cmd/cmd.h"
#include "core/message.h"

/* Render template `purpose` in the account's language (English when there
 * is no translation) and deliver it over channel ch. Returns an exit code:
 * 0, or 6 with the server's answer in one line, or 5/11 for configuration
 * and missing addresses. Nothing is recorded here. */
int deliver(struct store *s, const struct account *a, enum channel ch, const char *purpose,
            const struct msg_var *vars, size_t nvars);

/* Where a channel's messages go, or NULL (with a message, exit 11). */
const char *destination(const struct account *a, enum channel ch);



/* Make a one-time code, deliver it over ch, and record its hash in the
 * account: rate limit and lockout checked first. Delivery never holds the
 * account: the resend slot is reserved and saved under the lock, the
 * message goes out without it, and under it again (the record reloaded)
 * the code is recorded, unless the address or number changed meanwhile;
 * commit, if set, runs first there (it may refuse). When delivery fails
 * nothing is recorded and the slot is given back. On success the account
 * is locked again with the code recorded: the caller saves. session gets
 * the 3-digit id. */
typedef int (*send_commit_fn)(struct session *ss, void *ctx);
int send_code(struct session *ss, enum channel ch, enum purpose p, char session[4],
              send_commit_fn commit, void *ctx);
#endif
