/* SPDX-License-Identifier: ISC */
/* lib/role.c — who a serve caller is: the store's role.* keys. */
#include "lib/shared.h"
#include "core/role.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>

static int user_id(void *ctx, const char *name, uint32_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	(void)ctx;
	if (getpwnam_r(name, &pw, buf, sizeof buf, &res) || !res)
		return -1;
	*uid = (uint32_t)pw.pw_uid;
	return 0;
}

static int group_id(void *ctx, const char *name, uint32_t *gid)
{
	struct group gr, *res = NULL;
	char buf[8192];

	(void)ctx;
	if (getgrnam_r(name, &gr, buf, sizeof buf, &res) || !res)
		return -1;
	*gid = (uint32_t)gr.gr_gid;
	return 0;
}

static tf_role role_of(tf *h, uint32_t uid, const uint32_t *gids, size_t ngids)
{
	static const struct { const char *key; tf_role role; } keys[] = {
		{ "role.admin", TF_ROLE_ADMIN }, { "role.frontend", TF_ROLE_FRONTEND }, { "role.pam", TF_ROLE_PAM },
	};
	const struct role_resolver r = { user_id, group_id, NULL };
	const char *admins = store_config_get(h->s, "role.admin");
	struct stat st;

	if (stat(store_path(h->s), &st) == 0 && (uint32_t)st.st_uid == uid)
		return TF_ROLE_ADMIN;
	if (!admins && uid == 0)
		return TF_ROLE_ADMIN;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *list = store_config_get(h->s, keys[i].key);

		if (list && role_list_matches(list, uid, gids, ngids, &r))
			return keys[i].role;
	}
	return TF_ROLE_NONE;
}

tf_status tf_identify(tf *h, uint32_t uid, const uint32_t *gids, size_t ngids, tf_role *role)
{
	TF_ENTRY_H(h);
	*role = role_of(h, uid, gids, ngids);
	h->role = *role;
	h->caller_uid = uid;
	h->audit_caller = 1;   /* every line from now on says who asked */
	return TF_OK;
}

const char *tf_dir(const tf *h)
{
	return store_path(h->s);
}

void tf_serve_refused(tf *h, const char *command)
{
	char detail[160];

	snprintf(detail, sizeof detail, "uid %u, role %s, command %s", h->caller_uid,
	         role_name((enum role)h->role), tf_safe(command));
	/* the refusal stands even when the audit line cannot be written (that
	 * failure goes to the server's standard error, the journal) */
	TF_IGNORE(tf_audit(h, "serve.forbidden", NULL, "forbidden", NULL, detail));
}

tf_status tf_serve_allows(tf *h, int argc, char *const argv[])
{
	TF_ENTRY_H(h);
	if (role_allows((enum role)h->role, argc, argv))
		return TF_OK;
	tf_serve_refused(h, argv[0]);
	return tf_fail(h, TF_USAGE, "forbidden", "%s: not allowed for role %s", tf_safe(argv[0]),
	               role_name((enum role)h->role));
}
