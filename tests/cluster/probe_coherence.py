#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Which reads see another host's latest write, right after taking the lock?

A writer on mount A and a reader on mount B (two FUSE mounts of one volume,
standing for two hosts) share a lock file. Each round the writer takes an OFD
lock on byte 0 of the lock file, tells the reader, which then blocks on the
same lock; the writer writes the round's counter

  rename    to a file replaced by rename (temp file, fsync, rename, fsync dir)
  inplace   at offset 0 of a file written in place (pwrite, fdatasync)
  lockfile  at offset 4096 of the lock file itself (pwrite, fdatasync)
  xattr     in an extended attribute of the lock file (fsetxattr user.*)

and releases the lock. As soon as the reader holds the lock it reads every
target three ways:

  open      open(2) by name, then read (for lockfile: pread on the fd it
            just opened and locked with)
  direct    open(2) by name with O_DIRECT, then read into an aligned buffer
  fd        pread on a descriptor opened before the first round

(for xattr: fgetxattr on the lock's fd, getxattr by name, fgetxattr on the
descriptor opened before the first round)

and counts, per target and way, the rounds that read the counter just
written (coherent), an older one (stale), or failed (an error such as
ESTALE). Prints a table; --json prints one object instead.

  probe_coherence.py DIR_ON_MOUNT_A DIR_ON_MOUNT_B [--rounds N]

The two directories must be the same directory seen through the two mounts.
"""
import argparse
import errno
import fcntl
import json
import mmap
import multiprocessing as mp
import os
import struct
import sys
import time

TARGETS = ("rename", "inplace", "lockfile", "xattr")
WAYS = ("open", "direct", "fd")
FIELD = 16                    # the counter: 16 ASCII digits
LOCKFILE_OFF = 4096           # the counter's place in the lock file
BLOCK = 4096
XATTR = "user.twofactl.probe"


def ofd_lock(fd, kind):
    """F_OFD_SETLKW on byte 0 (kind: F_WRLCK or F_UNLCK)."""
    # struct flock: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid
    fl = struct.pack("hhqqi4x", kind, os.SEEK_SET, 0, 1, 0)
    fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, fl)


def encode(n):
    return b"%016d" % n


def decode(data):
    data = bytes(data[:FIELD])
    if len(data) < FIELD or not data.isdigit():
        raise ValueError("unreadable counter %r" % data)
    return int(data)


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def writer(d, rounds, to_reader, from_reader):
    lockpath = os.path.join(d, "store.lock")
    for n in range(1, rounds + 1):
        lfd = os.open(lockpath, os.O_RDWR)
        ofd_lock(lfd, fcntl.F_WRLCK)
        to_reader.send(n)                       # the reader now waits on the lock
        time.sleep(0.002)                       # ... most likely already blocked
        # (a) a new file renamed over the old one
        tmp = os.path.join(d, ".tmp-rename")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, encode(n))
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, os.path.join(d, "rename"))
        fsync_dir(d)
        # (b) in place
        fd = os.open(os.path.join(d, "inplace"), os.O_WRONLY)
        os.pwrite(fd, encode(n), 0)
        os.fdatasync(fd)
        os.close(fd)
        # (c) beside the lock, in the lock file
        os.pwrite(lfd, encode(n), LOCKFILE_OFF)
        os.fdatasync(lfd)
        # (d) an extended attribute of the lock file
        os.setxattr(lfd, XATTR, encode(n))
        ofd_lock(lfd, fcntl.F_UNLCK)
        os.close(lfd)
        if from_reader.recv() != n:             # the reader has read round n
            raise RuntimeError("out of step")


def read_direct(path, off):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        buf = mmap.mmap(-1, 2 * BLOCK)          # page-aligned
        base = off - off % BLOCK
        got = os.preadv(fd, [buf], base)
        return bytes(buf[off - base:min(got, off - base + FIELD)]) if got > off - base else b""
    finally:
        os.close(fd)


def read_open(path, off):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, FIELD, off)
    finally:
        os.close(fd)


def reader(d, rounds, from_writer, to_writer, result):
    lockpath = os.path.join(d, "store.lock")
    paths = {"rename": os.path.join(d, "rename"), "inplace": os.path.join(d, "inplace"),
             "lockfile": lockpath, "xattr": lockpath}
    offs = {"rename": 0, "inplace": 0, "lockfile": LOCKFILE_OFF, "xattr": 0}
    early = {t: os.open(paths[t], os.O_RDONLY) for t in TARGETS if t != "xattr"}
    early["xattr"] = early["lockfile"]
    tally = {t: {w: {"coherent": 0, "stale": 0, "error": 0, "errors": {}} for w in WAYS}
             for t in TARGETS}
    for n in range(1, rounds + 1):
        if from_writer.recv() != n:
            raise RuntimeError("out of step")
        lfd = os.open(lockpath, os.O_RDWR)
        ofd_lock(lfd, fcntl.F_WRLCK)
        for t in TARGETS:
            for w in WAYS:
                cell = tally[t][w]
                try:
                    if t == "xattr":
                        data = os.getxattr({"open": lfd, "direct": paths[t], "fd": early[t]}[w], XATTR)
                    elif w == "open":
                        data = os.pread(lfd, FIELD, offs[t]) if t == "lockfile" else read_open(paths[t], offs[t])
                    elif w == "direct":
                        data = read_direct(paths[t], offs[t])
                    else:
                        data = os.pread(early[t], FIELD, offs[t])
                    v = decode(data)
                    cell["coherent" if v == n else "stale"] += 1
                except (OSError, ValueError) as e:
                    cell["error"] += 1
                    k = errno.errorcode.get(e.errno, str(e)) if isinstance(e, OSError) else "bad data"
                    cell["errors"][k] = cell["errors"].get(k, 0) + 1
        ofd_lock(lfd, fcntl.F_UNLCK)
        os.close(lfd)
        to_writer.send(n)
    for fd in set(early.values()):
        try:
            os.close(fd)
        except OSError:                         # ESTALE for a renamed-over file
            pass
    result.send(tally)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir_a")
    ap.add_argument("dir_b")
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not 1 <= args.rounds <= 100000:
        ap.error("--rounds: 1 to 100000")
    # set up through mount A: the three targets hold round 0
    with open(os.path.join(args.dir_a, "store.lock"), "wb") as f:
        f.write(b"\0" * LOCKFILE_OFF + encode(0))
        os.setxattr(f.fileno(), XATTR, encode(0))
        os.fsync(f.fileno())
    for name in ("rename", "inplace"):
        with open(os.path.join(args.dir_a, name), "wb") as f:
            f.write(encode(0))
            os.fsync(f.fileno())
    for _ in range(100):                        # mount B sees them (at most 10 s)
        if all(os.path.exists(os.path.join(args.dir_b, t)) for t in ("store.lock", "rename", "inplace")):
            break
        time.sleep(0.1)
    w_to_r, r_from_w = mp.Pipe()
    r_to_w, w_from_r = mp.Pipe()
    res_r, res_w = mp.Pipe(duplex=False)
    start = time.monotonic()
    pr = mp.Process(target=reader, args=(args.dir_b, args.rounds, r_from_w, r_to_w, res_w))
    pw = mp.Process(target=writer, args=(args.dir_a, args.rounds, w_to_r, w_from_r))
    pr.start()
    pw.start()
    pw.join(timeout=30 + args.rounds)
    pr.join(timeout=30)
    if pw.exitcode != 0 or pr.exitcode != 0 or not res_r.poll(1):
        for p in (pw, pr):
            if p.is_alive():
                p.kill()
        print("probe: writer or reader failed (exit %s, %s)" % (pw.exitcode, pr.exitcode), file=sys.stderr)
        return 1
    tally = res_r.recv()
    secs = time.monotonic() - start
    if args.json:
        print(json.dumps({"rounds": args.rounds, "seconds": round(secs, 1), "tally": tally}))
        return 0
    print("%d rounds in %.1f s: reads on mount B right after taking the lock, of the counter"
          " mount A wrote just before releasing it" % (args.rounds, secs))
    print("%-9s %-7s %9s %6s %6s  %s" % ("target", "read", "coherent", "stale", "error", "errors"))
    for t in TARGETS:
        if t == "xattr":
            print("(xattr: open = fgetxattr on the lock's fd, direct = getxattr by name, fd = fgetxattr on the early fd)")
        for w in WAYS:
            c = tally[t][w]
            print("%-9s %-7s %9d %6d %6d  %s" % (t, w, c["coherent"], c["stale"], c["error"],
                  " ".join("%s:%d" % kv for kv in sorted(c["errors"].items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
