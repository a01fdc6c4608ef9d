/* SPDX-License-Identifier: ISC */
/* Root at the command line acts as the store's owner: before a command
 * opens anything (the store, a key file, a passphrase file, a file it was
 * named), a process running as root on a store directory that another user
 * owns becomes that user — its groups, gid and uid — for good. So `sudo
 * twofactl ...` and the cron job work on the store of the _twofactl system
 * user that serves the socket, and every file keeps its owner. */
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whom a process of effective uid euid becomes to work on a store whose
 * directory has the status st (NULL: there is none yet): 1 and *uid set to
 * the owner when it must change identity, 0 when it stays who it is. Only
 * root changes; a new store (init) is made by whoever runs init. */
static int owner_to_become(uid_t euid, const struct stat *st, uid_t *uid)
{
	if (euid != 0 || !st || st->st_uid == 0)
		return 0;
	*uid = st->st_uid;
	return 1;
}

/* Become uid for good: its supplementary groups (initgroups, or the
 * directory's group alone for a uid without a passwd entry), its gid, its
 * uid — real, effective and saved — then make sure root cannot come back. */
static int become(uid_t uid, gid_t dir_gid, char *who, size_t wholen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t gid = dir_gid;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) {
		snprintf(who, wholen, "%s (uid %u)", pw.pw_name, (unsigned)uid);
		gid = pw.pw_gid;
		if (initgroups(pw.pw_name, gid) < 0)
			return -1;
	} else {
		snprintf(who, wholen, "uid %u", (unsigned)uid);
		if (setgroups(1, &gid) < 0)
			return -1;
	}
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -1;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -1;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid ||
	    setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
		errno = EPERM;
		return -1;
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);   /* a change of credentials may reset it */
	return 0;
}

/* The directory dir is in, its status in *st (0), or -1. */
static int parent_of(const char *dir, char *parent, size_t cap, struct stat *st)
{
	char *slash;
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= cap)
		return -1;
	memcpy(parent, dir, n);
	parent[n] = '\0';
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, cap, ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	return stat(parent, st);
}

/* init as root on a directory another user owns: the new store (its master
 * key above all) is handed to that user only when it is a system user (uid
 * below 1000, or the one --owner names) and the directory's parent is
 * writable by nobody but root and that user, so it was made on purpose (by
 * tmpfiles.d, by an admin's install -d) and not planted in a /tmp-like
 * directory by whoever came first. Else a one-line refusal (exit 2). */
static int init_owner_ok(const char *dir, const struct stat *st)
{
	struct passwd pw, *res = NULL, opw, *ores = NULL;
	char buf[4096], obuf[4096], parent[4096], who[300];
	struct stat pst;
	uid_t want = 0;
	int parent_open;

	if (g.init_owner) {
		if (getpwnam_r(g.init_owner, &opw, obuf, sizeof obuf, &ores) != 0 || !ores)
			return fail(EXIT_USAGE, "--owner: no user '%s'", safe(g.init_owner));
		want = ores->pw_uid;
		if (geteuid() != 0 && want != geteuid())
			return fail(EXIT_USAGE, "--owner: only root makes a store for another user");
		if (!st)
			return fail(EXIT_USAGE, "--owner: '%s' does not exist: make it first "
			            "(install -d -m 0700 -o %s DIR)", safe(dir), safe(g.init_owner));
	}
	if (geteuid() != 0 || !st || st->st_uid == 0)
		return EXIT_OK;
	if (getpwuid_r(st->st_uid, &pw, buf, sizeof buf, &res) == 0 && res)
		snprintf(who, sizeof who, "%s (uid %u)", res->pw_name, (unsigned)st->st_uid);
	else
		snprintf(who, sizeof who, "uid %u", (unsigned)st->st_uid);
	if (g.init_owner && st->st_uid != want)
		return fail(EXIT_USAGE, "'%s' belongs to %s, not to %s: chown -R %s '%s' first", safe(dir), who,
		            safe(g.init_owner), safe(g.init_owner), safe(dir));
	parent_open = parent_of(dir, parent, sizeof parent, &pst) < 0 || (pst.st_mode & (S_IWGRP | S_IWOTH)) ||
	              (pst.st_uid != 0 && pst.st_uid != st->st_uid);
	if (!g.init_owner && st->st_uid >= 1000) {
		if (parent_open)
			return fail(EXIT_USAGE, "'%s' belongs to %s, not a system user, and '%s' is writable by "
			            "others: make the store's directory with its owner yourself (install -d -m 0700 "
			            "-o USER DIR in a directory only root may write to), or chown it to root",
			            safe(dir), who, safe(parent));
		return fail(EXIT_USAGE, "'%s' belongs to %s, not a system user: to make the store that user's, "
		            "name it with --owner %s; else chown the directory to root", safe(dir), who,
		            res ? safe(res->pw_name) : "USER");
	}
	if (parent_open)
		return fail(EXIT_USAGE, "'%s' is in '%s', which others may write to: someone else may have made it; "
		            "make the store in a directory only root may write to", safe(dir), safe(parent));
	return EXIT_OK;
}

int act_as_store_owner(const char *dir)
{
	struct stat st;
	char who[300];
	uid_t uid;
	int fd, ret;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		/* no store here yet: init makes it, any other command says so */
		return g.init ? init_owner_ok(dir, NULL) : EXIT_OK;
	}
	if (g.init && (ret = init_owner_ok(dir, &st)))
		return ret;
	if (!owner_to_become(geteuid(), &st, &uid))
		return EXIT_OK;
	snprintf(who, sizeof who, "uid %u", (unsigned)uid);
	if (become(uid, st.st_gid, who, sizeof who) < 0)
		return fail(EXIT_STORE, "cannot act as %s, the owner of '%s': %s", who, dir, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(EXIT_STORE, "cannot open store '%s' as its owner %s: %s", dir, who, strerror(errno));
	close(fd);
	return EXIT_OK;
}
