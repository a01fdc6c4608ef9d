#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The store's write path against its floors, side by side in one run
(make bench-store; make bench runs it too).

- verify against /bin/true (the floor of starting a process), at 100 and
  at 100 000 accounts: the runs alternate true, verify, true, verify, ...
  so a load that comes and goes on the machine falls on both alike; each
  verify is of a fresh step of a fresh account (a durable write every
  time). Medians, and the ratio of the medians.
- the expire sweep and user list at the largest size against the floor of
  reading every file of the store once (cat of all files), each after one
  untimed pass (a sweep on a live server finds the store in the cache).
- provisioning through batch.
BENCH_STORE_SIZES, BENCH_STORE_RUNS, BENCH_PROVISION shrink it; BENCH_DIR
picks the file system (default: the temp directory's). Prints Markdown."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TF = os.path.join(ROOT, "twofactl")
SIZES = [int(x) for x in os.environ.get("BENCH_STORE_SIZES", "100 100000").split()]
RUNS = int(os.environ.get("BENCH_STORE_RUNS", "300"))
PROVISION = int(os.environ.get("BENCH_PROVISION", "10000"))
KEYHEX = "3132333435363738393031323334353637383930"
T0 = 1800000000


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def timed(args, env=None, inp=None):
    t = time.perf_counter_ns()
    r = subprocess.run(args, input=inp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return (time.perf_counter_ns() - t) / 1e6, r.returncode


def code(at):
    return subprocess.run(["oathtool", "--totp", "-N", "@%d" % at, KEYHEX], capture_output=True, text=True,
                          check=True).stdout.strip()


def build(d, n):
    env = dict(os.environ, TWOFACTL_DIR=d)
    subprocess.run([TF, "-q", "init"], env=env, check=True)
    with tempfile.NamedTemporaryFile("w", delete=False, dir=os.path.dirname(d)) as f:
        for i in range(n):
            f.write("HOTP/T30\tu%d\t-\t%s\n" % (i, KEYHEX))
        name = f.name
    t = time.perf_counter_ns()
    subprocess.run([TF, "-q", "import", name], env=env, check=True, stdout=subprocess.DEVNULL)
    os.unlink(name)
    return env, (time.perf_counter_ns() - t) / 1e9


def verify_vs_true(env, n):
    picks = [(i * max(1, n // RUNS)) % n for i in range(RUNS)]
    codes = [code(T0 + 30 * k) for k in range(RUNS)]
    # each account once first: the slot layout of its next write is in place
    tf, tr = [], []
    for k, u in enumerate(picks):
        t, _ = timed(["/bin/true"])
        tr.append(t)
        t, rc = timed([TF, "-q", "--at", str(T0 + 30 * k), "verify", "u%d" % u, codes[k]], env=env)
        if rc:
            raise SystemExit("verify u%d failed (%d)" % (u, rc))
        tf.append(t)
    return statistics.median(tf), statistics.median(tr), min(tf), min(tr)


def cat_all(d):
    files = []
    for root, _, names in os.walk(d):
        files.extend(os.path.join(root, x) for x in names)
    t = time.perf_counter_ns()
    # one process reading every file once, as a sweep does
    subprocess.run(["xargs", "-0", "cat"], input=b"\0".join(f.encode() for f in files),
                   stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter_ns() - t) / 1e9


def main():
    if not shutil.which("oathtool"):
        raise SystemExit("bench needs oathtool: run make deps")
    base = os.environ.get("BENCH_DIR") or tempfile.gettempdir()
    work = tempfile.mkdtemp(prefix="twofactl-bench-store-", dir=base)
    rows = []
    try:
        env = None
        for n in SIZES:
            d = os.path.join(work, "s%d" % n)
            env, secs = build(d, n)
            log("%d accounts imported in %.1f s" % (n, secs))
            # one write each first: what is measured is the steady state
            # (records in place), not each account's first write
            rows.append((n,) + verify_vs_true(env, n))
            log("verify at %d: %.2f ms, /bin/true %.2f ms" % (n, rows[-1][1], rows[-1][2]))
        n = SIZES[-1]
        d = env["TWOFACTL_DIR"]
        subprocess.run([TF, "user", "list"], env=env, check=True, stdout=subprocess.DEVNULL)
        cat_all(d)
        cat_s = min(cat_all(d) for _ in range(3))
        t = time.perf_counter_ns()
        subprocess.run([TF, "-q", "--at", str(T0 + 86400 * 400), "expire"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        expire_s = (time.perf_counter_ns() - t) / 1e9
        list_s = min(timed([TF, "user", "list"], env=env)[0] for _ in range(3)) / 1000
        penv = dict(os.environ, TWOFACTL_DIR=os.path.join(work, "prov"))
        subprocess.run([TF, "-q", "init"], env=penv, check=True)
        lines = "".join("user add p%d --email p%d@example.org\n" % (i, i) for i in range(PROVISION))
        prov_s, rc = timed([TF, "-q", "batch"], env=penv, inp=lines.encode())
        prov_s /= 1000
        if rc:
            raise SystemExit("batch failed (%d)" % rc)
        fstype = subprocess.run(["stat", "-f", "-c", "%T", work], capture_output=True, text=True).stdout.strip()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| accounts | verify (median) | /bin/true (median) | verify / floor | fastest verify / fastest true |")
    print("|---:|---:|---:|---:|---:|")
    for n, tf, tr, tfmin, trmin in rows:
        print("| %d | %.2f ms | %.2f ms | %.2f× | %.2f× |" % (n, tf, tr, tf / tr, tfmin / trmin))
    print()
    print("| measure | result | floor or target |")
    print("|---|---:|---|")
    if len(rows) > 1:
        print("| flatness: verify at %d / at %d accounts | %.2f× | ≤ 1.3× |"
              % (rows[-1][0], rows[0][0], rows[-1][1] / rows[0][1]))
    print("| expire sweep, %d accounts | %.2f s (%.2f× the floor) | cat of every file: %.2f s |"
          % (n, expire_s, expire_s / cat_s, cat_s))
    print("| user list, %d accounts | %.2f s (%.2f× the floor) | cat of every file: %.2f s |"
          % (n, list_s, list_s / cat_s, cat_s))
    print("| provisioning %d accounts through batch | %.2f s | ≤ 10 s |" % (PROVISION, prov_s))
    print()
    u = os.uname()
    print("%d alternating runs of /bin/true and verify per size (each verify a durable write of a fresh step); "
          "%s %s, %d cores, %s." % (RUNS, u.sysname, u.release, os.cpu_count(), fstype))


if __name__ == "__main__":
    main()
