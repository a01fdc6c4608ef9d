/* SPDX-License-Identifier: ISC */
/* Roles of twofactl serve's callers, and what each may run (pure). */
#ifndef TWOFACTL_ROLE_H
#define TWOFACTL_ROLE_H

#include <stddef.h>
#include <stdint.h>

enum role { ROLE_NONE = 0, ROLE_PAM, ROLE_FRONTEND, ROLE_ADMIN };

const char *role_name(enum role r);

/* May role run this request? argv[0] is the command, argv[1] its verb for
 * commands with verbs. Options inside a command that only an administrator
 * may use (--force, --at) are checked where they take effect. */
int role_allows(enum role r, int argc, char *const argv[]);

/* Commands serve never runs, whatever the role (they take over the
 * process, its terminal or its input). */
int role_serve_refuses(const char *cmd);

/* Does a role list ("root, www-data, 33, @www-data, @33") name this
 * caller? Names are resolved by the caller's functions (they return 0 and
 * set *id when the name exists). */
struct role_resolver {
	int (*user)(void *ctx, const char *name, uint32_t *uid);
	int (*group)(void *ctx, const char *name, uint32_t *gid);
	void *ctx;
};
int role_list_matches(const char *list, uint32_t uid, const uint32_t *gids, size_t ngids,
                      const struct role_resolver *r);

#endif
