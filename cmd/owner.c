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

int act_as_store_owner(const char *dir)
{
	struct stat st;
	char who[300];
	uid_t uid;
	int fd;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return EXIT_OK;   /* no store here yet: init makes it, any other command says so */
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
