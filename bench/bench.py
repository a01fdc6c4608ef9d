#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""twofactl benchmarks, side by side with the tools users would pick instead,
all measured in this one run on this machine (make bench).

For each store size: the median wall time of single verify processes, each
for a fresh user with a valid code (a code is computed before the clock
starts): twofactl verify; pamtester with pam_oath and a usersfile of the same
size; oathtool's stateless check; /bin/true as the floor of starting a
process. Then the three PAM modules side by side at each size, each login a
pamtester process for a fresh user with a valid code: pam_twofactl (which
starts twofactl serve), pam_oath, and google-authenticator-libpam with one
state file per user. Then 8 simultaneous logins of different users, the
expire sweep and user list of the largest store, and provisioning through
batch. Prints Markdown tables."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TF = os.path.join(ROOT, "twofactl")
SIZES = [int(x) for x in os.environ.get("BENCH_SIZES", "1000 10000 100000").split()]
PAM_MODULE = os.path.join(ROOT, "pam", "test", "pam_twofactl.so")   # starts this tree's twofactl
RUNS = int(os.environ.get("BENCH_RUNS", "60"))
PROVISION = int(os.environ.get("BENCH_PROVISION", "10000"))
KEYHEX = "3132333435363738393031323334353637383930"
T0 = 1800000000
rows = []
pam_rows = []


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ms(t0):
    return (time.perf_counter_ns() - t0) / 1e6


def timed(args, inp=None, env=None):
    t = time.perf_counter_ns()
    r = subprocess.run(args, input=inp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return ms(t), r.returncode


def out(args, env=None):
    return subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout.strip()


def oath_code(at, digits=6):
    return out(["oathtool", "--totp", "--digits=%d" % digits, "-N", "@%d" % at, KEYHEX])


def median(xs):
    return statistics.median(xs)


def build_twofactl(d, n):
    """n accounts with one active TOTP factor each (the same key: a benchmark
    of the store, not of key diversity), imported in one process."""
    env = dict(os.environ, TWOFACTL_DIR=d)
    subprocess.run([TF, "-q", "init"], env=env, check=True)
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        for i in range(n):
            f.write("HOTP/T30\tu%d\t-\t%s\n" % (i, KEYHEX))
        name = f.name
    t = time.perf_counter_ns()
    subprocess.run([TF, "-q", "import", name], env=env, check=True, stdout=subprocess.DEVNULL)
    os.unlink(name)
    return env, ms(t)


def build_usersfile(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write("HOTP/T30\tu%d\t-\t%s\n" % (i, KEYHEX))
    os.chmod(path, 0o600)


def pam_service(name, line):
    with open("/etc/pam.d/" + name, "w") as f:
        f.write(line + "\n")


def bench_size(n, work):
    log("== %d accounts" % n)
    d = os.path.join(work, "store%d" % n)
    env, import_ms = build_twofactl(d, n)
    log("   twofactl store built in %.1f s" % (import_ms / 1000))
    users = os.path.join(work, "users%d" % n)
    build_usersfile(users, n)
    svc = "twofactl-bench-oath"
    pam_service(svc, "auth requisite pam_oath.so usersfile=%s window=20" % users)
    step = n // RUNS if n >= RUNS else 1
    picks = [(i * step) % n for i in range(RUNS)]
    now = int(time.time())
    tf, po, ot, tr = [], [], [], []
    # one tool at a time: a tool's writes must not land in another's fsync
    codes = [oath_code(T0 + 30 * k) for k in range(len(picks))]
    for k, u in enumerate(picks):
        t, rc = timed([TF, "-q", "--at", str(T0 + 30 * k), "verify", "u%d" % u, codes[k]], env=env)
        if rc:
            raise SystemExit("twofactl verify failed (%d)" % rc)
        tf.append(t)
    subprocess.run(["sync"])
    for u in picks:
        c = oath_code(int(time.time()))
        t, rc = timed(["pamtester", svc, "u%d" % u, "authenticate"], inp=(c + "\n").encode())
        if rc:
            raise SystemExit("pam_oath verify failed (%d)" % rc)
        po.append(t)
    subprocess.run(["sync"])
    for u in picks:
        c = oath_code(now)
        t, _ = timed(["oathtool", "--totp", "-w", "1", KEYHEX, c])
        ot.append(t)
        t, _ = timed(["/bin/true"])
        tr.append(t)
    rows.append((n, median(tf), median(po), median(ot), median(tr)))
    log("   verify medians: twofactl %.2f ms, pam_oath %.2f ms, oathtool %.2f ms, true %.2f ms"
        % rows[-1][1:])
    bench_pam(n, work, env, users, svc)
    return env, users, svc


def build_ga(work, n):
    """google-authenticator-libpam: one state file per user."""
    gdir = os.path.join(work, "ga%d" % n)
    os.makedirs(gdir, mode=0o700)
    b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    for i in range(n):
        p = os.path.join(gdir, "u%d" % i)
        with open(p, "w") as f:
            f.write(b32 + "\n\" WINDOW_SIZE 3\n\" TOTP_AUTH\n")
        os.chmod(p, 0o600)
    svc = "twofactl-bench-ga"
    pam_service(svc, "auth requisite pam_google_authenticator.so secret=%s/${USER} user=root" % gdir)
    return svc


def pam_logins(svc, users, what):
    """Median of one pamtester process per user, each with the code of now."""
    times = []
    for u in users:
        c = oath_code(int(time.time()))
        t, rc = timed(["pamtester", svc, "u%d" % u, "authenticate"], inp=(c + "\n").encode())
        if rc:
            raise SystemExit("%s through pamtester failed (%d)" % (what, rc))
        times.append(t)
    subprocess.run(["sync"])
    return median(times)


def bench_pam(n, work, env, users_file, oath_svc):
    """The three PAM modules side by side on the same number of users, each
    login a fresh user (one tool at a time, as above)."""
    log("   PAM modules through pamtester, %d users" % n)
    step = n // RUNS if n >= RUNS else 1
    # users the verify benchmark above did not touch (their codes of now are new)
    picks = [(i * step + step // 2) % n for i in range(RUNS)]
    tf_svc = "twofactl-bench-tf"
    pam_service(tf_svc, "auth requisite %s dir=%s" % (PAM_MODULE, env["TWOFACTL_DIR"]))
    tf = pam_logins(tf_svc, picks, "pam_twofactl")
    po = pam_logins(oath_svc, picks, "pam_oath")
    ga = pam_logins(build_ga(work, n), picks, "google-authenticator")
    pam_rows.append((n, tf, po, ga))
    log("   pamtester medians: pam_twofactl %.2f ms, pam_oath %.2f ms, google-authenticator %.2f ms"
        % pam_rows[-1][1:])


def simultaneous(env, svc, n):
    """8 logins of different users at the same instant: how many pass."""
    now = int(time.time())
    c = oath_code(now)
    base = n // 2
    procs = [subprocess.Popen(["pamtester", svc, "u%d" % (base + i), "authenticate"], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(8)]
    for p in procs:
        p.stdin.write((c + "\n").encode())
        p.stdin.close()
    pam_ok = sum(p.wait() == 0 for p in procs)
    at = T0 + 30 * (RUNS + 5)
    c = oath_code(at)
    procs = [subprocess.Popen([TF, "-q", "--at", str(at), "verify", "u%d" % (base + i), c], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(8)]
    tf_ok = sum(p.wait() == 0 for p in procs)
    return tf_ok, pam_ok


def main():
    for tool in ("pamtester", "oathtool"):
        if not shutil.which(tool):
            raise SystemExit("bench needs %s: run make deps" % tool)
    if not os.path.exists(PAM_MODULE):
        raise SystemExit("bench needs %s: run make all" % PAM_MODULE)
    if os.geteuid() != 0:
        raise SystemExit("bench needs root (it writes PAM services under /etc/pam.d)")
    work = tempfile.mkdtemp(prefix="twofactl-bench-")
    try:
        last = None
        for n in SIZES:
            last = (bench_size(n, work), n)
        (env, users, svc), n = last
        tf_ok, pam_ok = simultaneous(env, svc, n)
        # one untimed pass first: a sweep on a live server finds the store's
        # directories in the page cache, not evicted by the benchmark's own files
        subprocess.run([TF, "user", "list"], env=env, check=True, stdout=subprocess.DEVNULL)
        t = time.perf_counter_ns()
        subprocess.run([TF, "-q", "--at", str(T0 + 86400 * 400), "expire"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        expire_ms = ms(t)
        t = time.perf_counter_ns()
        subprocess.run([TF, "user", "list"], env=env, check=True, stdout=subprocess.DEVNULL)
        list_ms = ms(t)
        penv = dict(os.environ, TWOFACTL_DIR=os.path.join(work, "prov"))
        subprocess.run([TF, "-q", "init"], env=penv, check=True)
        lines = "".join("user add p%d --email p%d@example.org\n" % (i, i) for i in range(PROVISION))
        t = time.perf_counter_ns()
        subprocess.run([TF, "-q", "batch"], input=lines.encode(), env=penv, check=True, stdout=subprocess.DEVNULL)
        prov_ms = ms(t)
    finally:
        for s in ("twofactl-bench-oath", "twofactl-bench-ga", "twofactl-bench-tf"):
            try:
                os.unlink("/etc/pam.d/" + s)
            except FileNotFoundError:
                pass
        shutil.rmtree(work, ignore_errors=True)

    floor = median([r[4] for r in rows])
    print("| accounts | twofactl verify | pam_oath (pamtester) | oathtool validate | /bin/true | twofactl / floor | twofactl / pam_oath |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, tf, po, ot, tr in rows:
        print("| %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f× | %.2f× |" % (n, tf, po, ot, tr, tf / tr, tf / po))
    print()
    first, lastrow = rows[0], rows[-1]
    print("| measure | result | target |")
    print("|---|---:|---|")
    print("| flatness: verify at %d / at %d accounts | %.2f× | ≤ 1.3× |" % (lastrow[0], first[0], lastrow[1] / first[1]))
    print("| 8 simultaneous logins of different users accepted | twofactl %d/8, pam_oath %d/8 | 8/8 |" % (tf_ok, pam_ok))
    print("| expire sweep, %d accounts | %.2f s | ≤ 2 s |" % (n, expire_ms / 1000))
    print("| user list, %d accounts | %.2f s | |" % (n, list_ms / 1000))
    print("| provisioning %d accounts through batch | %.2f s | ≤ 10 s |" % (PROVISION, prov_ms / 1000))
    print()
    print("| users | pam_twofactl | pam_oath | google-authenticator | pam_twofactl / pam_oath | pam_twofactl / google-authenticator |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, tf, po, ga in pam_rows:
        print("| %d | %.2f ms | %.2f ms | %.2f ms | %.2f× | %.2f× |" % (n, tf, po, ga, tf / po, tf / ga))
    print()
    print("Medians of %d single-process runs; floor = /bin/true started the same way (%.2f ms)." % (RUNS, floor))
    u = os.uname()
    print("Machine: %s %s, %d cores, %s." % (u.sysname, u.release, os.cpu_count(),
          out(["sh", "-c", "df -T %s | awk 'NR==2{print $2}'" % tempfile.gettempdir()]) + " temp file system"))


if __name__ == "__main__":
    main()
