/* SPDX-License-Identifier: ISC */
/* store/lock.c — Locks: OFD byte ranges of store.lock (one byte per record, the whole
 * file for rekey and fsck --repair), taken by a bounded poll. */
#include "store/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

/* ---- locking ---- */

int64_t st_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A jittered sleep of about *pause_us, which then doubles up to 50 ms:
 * waiters that collided do not retry in step. */
void st_pause(unsigned *pause_us)
{
	struct timespec ts;

	ts.tv_sec = 0;
	ts.tv_nsec = (long)(*pause_us / 2 + randombytes_uniform(*pause_us / 2 + 1)) * 1000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	if (*pause_us < 50000)
		*pause_us *= 2;
}

/* OFD lock on [off, off+len) of store.lock, waiting at most lock_timeout
 * seconds. The wait is a poll of F_OFD_SETLK with a growing, jittered
 * sleep (1 ms to 50 ms), not F_OFD_SETLKW under a timer: no signal and no
 * process-wide state, so a long-running, threaded caller (sshd, serve) can
 * use it from any thread. */
int st_lock_range(struct store *s, off_t off, off_t len, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = off, .l_len = len };
	int64_t deadline = st_mono_ms() + (int64_t)s->lock_timeout * 1000;
	unsigned pause_us = 1000;

	for (;;) {
		if (fcntl(s->lockfd, F_OFD_SETLK, &fl) == 0)
			return ST_OK;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return st_fail(s, ST_BAD, "cannot lock 'store.lock': %s", strerror(errno));
		if (st_mono_ms() >= deadline)
			return st_fail(s, ST_BUSY, "store busy: lock not obtained within %d s", s->lock_timeout);
		st_pause(&pause_us);
	}
}

void st_unlock_range(struct store *s, off_t off, off_t len)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = len };

	fcntl(s->lockfd, F_OFD_SETLK, &fl);
}


/* ---- one account (or organisation, ticket, identity): one byte ---- */

/* Under the whole-store lock every record is held already: a record lock
 * is then only marked (taking its byte would split the whole-file lock of
 * this open file description, and releasing it would punch a hole in it). */
int store_lock(struct store *s, struct acct_ref *ref)
{
	int ret;

	if (s->all_locked) {
		ref->locked = 2;
		return ST_OK;
	}
	if (s->readonly)
		return st_fail(s, ST_BAD, "%s", s->ro_err);
	if (ref->epoch != s->epoch)
		return st_fail(s, ST_BUSY, "store busy: it was rekeyed meanwhile, run the command again");
	ret = st_lock_range(s, (off_t)ref->lockoff, 1, F_WRLCK);
	if (ret == ST_OK && (ret = st_epoch_ok(s)) != ST_OK)
		st_unlock_range(s, (off_t)ref->lockoff, 1);
	if (ret == ST_OK)
		ref->locked = 1;
	return ret;
}

void store_unlock(struct store *s, struct acct_ref *ref)
{
	if (ref->locked == 1)
		st_unlock_range(s, (off_t)ref->lockoff, 1);
	ref->locked = 0;
}

/* ---- whole-store lock (rekey, fsck --repair, import, org del) ----
 * Taken only while no record lock is held by this process. Once held, the
 * key is checked again: a rekey that ran while we waited changed it, and
 * the caller answers 7 without touching anything. */

int store_lock_all(struct store *s)
{
	int ret;

	if (s->all_locked)
		return st_fail(s, ST_BAD, "internal error: whole-store lock taken twice");
	if (s->readonly)
		return st_fail(s, ST_BAD, "%s", s->ro_err);
	if ((ret = st_lock_range(s, 0, 0, F_WRLCK)))
		return ret;
	if (s->keys && (ret = st_epoch_ok(s))) {
		st_unlock_range(s, 0, 0);
		return ret;
	}
	s->all_locked = 1;
	return ST_OK;
}

void store_set_lock_timeout(struct store *s, int seconds)
{
	s->lock_timeout = seconds;
}

void store_unlock_all(struct store *s)
{
	if (!s->all_locked)
		return;
	st_unlock_range(s, 0, 0);
	s->all_locked = 0;
	s->iter_depth = 0;
}

/* ---- readers of the whole store (iteration, fsck) ----
 * A shared lock on one byte that no record uses: readers do not wait for
 * each other or for writers of single records, but a rekey (which takes
 * every byte) waits for them and they wait for it. If the key changed
 * while we waited, the new one is loaded: a reader has computed nothing
 * with the old one (records referred to before are refused by their
 * epoch). */
int st_read_begin(struct store *s)
{
	int ret;

	if (s->all_locked || s->iter_depth++ > 0)
		return ST_OK;
	if ((ret = st_lock_range(s, LOCK_EPOCH, 1, F_RDLCK))) {
		s->iter_depth = 0;
		return ret;
	}
	if (st_epoch_ok(s) != ST_OK && (ret = st_reload_key(s)) != ST_OK) {
		st_unlock_range(s, LOCK_EPOCH, 1);
		s->iter_depth = 0;
		return ret;
	}
	return ST_OK;
}

void st_read_end(struct store *s)
{
	if (s->all_locked || s->iter_depth == 0)
		return;
	if (--s->iter_depth == 0)
		st_unlock_range(s, LOCK_EPOCH, 1);
}

int store_lock_probe(struct store *s)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(s->lockfd, F_OFD_GETLK, &fl) < 0)
		return -1;
	return fl.l_type != F_UNLCK;
}
