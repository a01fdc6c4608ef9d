# SPDX-License-Identifier: ISC
# Shared set-up for the bats suites: a fresh store per test in $BATS_TEST_TMPDIR.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

TWOFACTL="${TWOFACTL:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/twofactl}"
# A fixed instant at the start of a 30 s step (1800000000 / 30 = 60000000).
T0=1800000000
export TZ=UTC LC_ALL=C

tf() { "$TWOFACTL" "$@"; }

setup_store() {
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/store"
	"$TWOFACTL" -q init
}

# enrolled NAME [AT [ENROLL OPTION...]]: an account with a confirmed TOTP
# factor at time AT; its backup codes in $BATS_TEST_TMPDIR/backup.NAME.
enrolled() {
	local name=$1 at="${2:-$T0}"
	shift $(($# < 2 ? $# : 2))
	"$TWOFACTL" -q user add "$name"
	"$TWOFACTL" -q --at "$at" enroll "$name" --qr none "$@" >/dev/null
	"$TWOFACTL" -q --at "$at" confirm "$name" "$("$TWOFACTL" --at "$at" code "$name")" >"$BATS_TEST_TMPDIR/backup.$name"
}

secret_of() { "$TWOFACTL" --json show "$1" --qr none | jq -r .secret; }

# The file of an account (there is one per account in these tests).
account_files() { find "$TWOFACTL_DIR/accounts" -type f ! -name '.tmp-*'; }

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Hold every lock of the store (a POSIX lock over all of store.lock conflicts
# with twofactl's OFD locks) until killed. Prints the holder's pid.
hold_store_lock() {
	/usr/bin/python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(300)
' "$TWOFACTL_DIR/store.lock" >"$BATS_TEST_TMPDIR/holder.out" &
	local pid=$!
	for _ in $(seq 100); do
		grep -q locked "$BATS_TEST_TMPDIR/holder.out" 2>/dev/null && break
		sleep 0.05
	done
	echo "$pid"
}

# rc_to FILE CMD...: run CMD, write its exit status to FILE (safe under set -e).
rc_to() {
	local out="$1" rc=0
	shift
	"$@" >/dev/null 2>&1 || rc=$?
	echo "$rc" >"$out"
}

# Decode a QR image (zbarimg talks to D-Bus on stderr: drop that).
qr_decode() { zbarimg -q --raw "$1" 2>/dev/null; }

# Exit statuses written by rc_to, counted: "N status" lines.
rc_summary() { cat "$BATS_TEST_TMPDIR"/rc.* | sort | uniq -c | sed 's/^ *//'; }

# Background peers for a suite: start_* in setup_file, stop_peers in teardown_file.
start_smtp() {  # NAME [ARGS...]: a real SMTP server on a free port
	local name=$1 port
	shift
	port=$(free_port)
	/usr/bin/python3 "$BATS_TEST_DIRNAME/smtp_server.py" --port "$port" \
		--maildir "$BATS_FILE_TMPDIR/$name.maildir" --ready "$BATS_FILE_TMPDIR/$name.ready" "$@" \
		>"$BATS_FILE_TMPDIR/$name.log" 2>&1 &
	echo $! >>"$BATS_FILE_TMPDIR/peers.pid"
	wait_for "$BATS_FILE_TMPDIR/$name.ready"
	echo "$port" >"$BATS_FILE_TMPDIR/$name.port"
}

start_http_sink() {
	local port
	port=$(free_port)
	/usr/bin/python3 "$BATS_TEST_DIRNAME/http_sink.py" --port "$port" \
		--log "$BATS_FILE_TMPDIR/sms.log" --ready "$BATS_FILE_TMPDIR/sms.ready" \
		>"$BATS_FILE_TMPDIR/sink.log" 2>&1 &
	echo $! >>"$BATS_FILE_TMPDIR/peers.pid"
	wait_for "$BATS_FILE_TMPDIR/sms.ready"
	echo "$port" >"$BATS_FILE_TMPDIR/sink.port"
}

start_hung_server() {  # NAME: a server that accepts and never answers; NAME.accepted logs each connection
	local name=$1 port
	port=$(free_port)
	/usr/bin/python3 "$BATS_TEST_DIRNAME/hung_server.py" --port "$port" \
		--log "$BATS_FILE_TMPDIR/$name.accepted" --ready "$BATS_FILE_TMPDIR/$name.ready" \
		>"$BATS_FILE_TMPDIR/$name.log" 2>&1 &
	echo $! >>"$BATS_FILE_TMPDIR/peers.pid"
	wait_for "$BATS_FILE_TMPDIR/$name.ready"
	echo "$port" >"$BATS_FILE_TMPDIR/$name.port"
}

# accepted_count NAME: connections a hung server took so far
accepted_count() { cat "$BATS_FILE_TMPDIR/$1.accepted" 2>/dev/null | wc -l; }

wait_for() {  # FILE: up to 10 s for a peer to say it is ready
	for _ in $(seq 200); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	echo "peer did not start: $1" >&2
	return 1
}

stop_peers() {
	[ -f "$BATS_FILE_TMPDIR/peers.pid" ] || return 0
	while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$BATS_FILE_TMPDIR/peers.pid"
	rm -f "$BATS_FILE_TMPDIR/peers.pid"
}

port_of() { cat "$BATS_FILE_TMPDIR/$1.port"; }
# The newest mail to RCPT on server NAME (subject, from, body).
mail_to() { /usr/bin/python3 "$BATS_TEST_DIRNAME/mail.py" "$BATS_FILE_TMPDIR/$1.maildir" "$2"; }
mail_count() { /usr/bin/python3 "$BATS_TEST_DIRNAME/mail.py" --count "$BATS_FILE_TMPDIR/$1.maildir" "$2"; }
# The last SMS gateway request whose body mentions TEXT, as JSON.
sms_request() { grep -F -- "$1" "$BATS_FILE_TMPDIR/sms.log" | tail -1; }

# ---- stores owned by a system user (tests that run as root) ----
need_root() { [ "$(id -u)" = 0 ] || skip "needs root to run twofactl as other users"; }

# system_user NAME: the system user NAME, created as sysusers.d would if missing.
system_user() {
	id "$1" >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$1"
}

# shared_tmpdir: a new directory every user may traverse ($BATS_TEST_TMPDIR is
# root's alone); the caller removes it.
shared_tmpdir() {
	local d
	d=$(mktemp -d /tmp/twofactl-test.XXXXXX) && chmod 0755 "$d" && echo "$d"
}

# as_user USER ARGS...: twofactl run as USER.
as_user() { local u=$1; shift; runuser -u "$u" -- "$TWOFACTL" "$@"; }

# owned_store DIR USER: DIR made 0700 for USER (as tmpfiles.d does), then a
# store created in it by USER.
owned_store() {
	install -d -m 0700 -o "$2" -g "$(id -gn "$2")" "$1"
	as_user "$2" -q -d "$1" init
}

# Every command, and every verb of a command with verbs: "user add", "init".
commands_and_verbs() {
	local c v
	for c in $("$TWOFACTL" help | awk '/^  [a-z]/ {print $1}'); do
		if "$TWOFACTL" "$c" --help | grep -q '^Verbs:'; then
			for v in $("$TWOFACTL" "$c" --help | awk '/^Verbs:/ {f = 1; next} f && /^  [a-z]/ {print $1} f && /^$/ {f = 0}'); do
				echo "$c $v"
			done
		else
			echo "$c"
		fi
	done
}

# The options a --help lists: "-o --output", "--qr", one per line.
help_options() {
	"$TWOFACTL" "$@" --help | sed -n 's/^ \{1,6\}\(-[^ ,=]\+\)\(, \(--[^ =[]\+\)\)\?.*/\1 \3/p; s/^ \{6\}\(--[^ =[]\+\).*/\1/p' |
		sed 's/ *$//'
}

# ---- records and their generations (tests/41-generations.bats) ----
# A user attribute of FILE (empty when it has none); set it; remove it.
# Python's os.*xattr: no package beyond what the suites already use.
xattr_get() {
	/usr/bin/python3 -c 'import os, sys
try: sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2]).decode())
except OSError: pass' "$1" "$2"
}
xattr_set() { /usr/bin/python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())' "$@"; }
xattr_del() { /usr/bin/python3 -c 'import os, sys; os.removexattr(sys.argv[1], sys.argv[2])' "$@"; }

# The generation a record file's attribute records.
gen_of() { xattr_get "$1" user.twofactl.gen; }

