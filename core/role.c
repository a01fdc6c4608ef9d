/* SPDX-License-Identifier: ISC */
#include "core/role.h"
#include "core/timefmt.h"

#include <string.h>

const char *role_name(enum role r)
{
	switch (r) {
	case ROLE_ADMIN: return "admin";
	case ROLE_FRONTEND: return "frontend";
	case ROLE_PAM: return "pam";
	default: return "none";
	}
}

/* What a customer does for themselves, through the client section's web
 * application (DESIGN.md, serve): a command, or a command and one verb. */
static const char *const frontend_ok[] = {
	"user add", "user show", "user set", "user rename",
	"enroll", "confirm", "show", "disable", "verify", "check", "send",
	"backup issue", "backup list",
	"trust", "whitelist", "recovery file", "passwd", "reset", "oidc", "webauthn",
	NULL
};

static const char *const pam_ok[] = { "check", "verify", "send", NULL };

static int listed(const char *const *list, int argc, char *const argv[])
{
	size_t cl = strlen(argv[0]);

	for (const char *const *e = list; *e; e++) {
		if (strncmp(*e, argv[0], cl) || ((*e)[cl] != '\0' && (*e)[cl] != ' '))
			continue;
		if ((*e)[cl] == '\0')
			return 1;                        /* the whole command */
		if (argc > 1 && !strcmp(*e + cl + 1, argv[1]))
			return 1;                        /* this verb of it */
	}
	return 0;
}

int role_serve_refuses(const char *cmd)
{
	return !strcmp(cmd, "init") || !strcmp(cmd, "batch") || !strcmp(cmd, "serve");
}

int role_allows(enum role r, int argc, char *const argv[])
{
	if (argc < 1 || role_serve_refuses(argv[0]))
		return 0;
	switch (r) {
	case ROLE_ADMIN: return 1;
	case ROLE_FRONTEND: return listed(frontend_ok, argc, argv);
	case ROLE_PAM: return listed(pam_ok, argc, argv);
	default: return 0;
	}
}

int role_list_matches(const char *list, uint32_t uid, const uint32_t *gids, size_t ngids,
                      const struct role_resolver *r)
{
	const char *p = list;

	while (p && *p) {
		char word[128];
		size_t n;
		int64_t num;
		uint32_t id;
		int group;

		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (!n)
			break;
		if (n >= sizeof word) {
			p += n;
			continue;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		group = word[0] == '@';
		if (!int_parse(word + group, 0, UINT32_MAX - 1, &num))
			id = (uint32_t)num;
		else if (group ? r->group(r->ctx, word + 1, &id) : r->user(r->ctx, word, &id))
			continue;                        /* no such user or group here */
		if (!group && id == uid)
			return 1;
		for (size_t i = 0; group && i < ngids; i++)
			if (gids[i] == id)
				return 1;
	}
	return 0;
}
