# SPDX-License-Identifier: ISC
# Shared set-up of the cluster suites: two mounts of one GlusterFS volume
# ($TWOFACTL_MNT_A, $TWOFACTL_MNT_B, made by cluster.sh and tests/cluster/run)
# standing for two front-end hosts, and a fresh store on it per test.
TWOFACTL="${TWOFACTL:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/twofactl}"
load '../helper'

# An RFC 6238 test key (hex): codes come from tests/totp.py, never from the
# store, so computing a code reads nothing that a stale cache could serve.
KEY=3132333435363738393031323334353637383930
TOTP="$BATS_TEST_DIRNAME/../totp.py"

# The store as each host sees it.
A=""
B=""

cluster_setup() {
	[ -n "${TWOFACTL_MNT_A:-}" ] && [ -n "${TWOFACTL_MNT_B:-}" ] ||
		skip "no cluster: run tests/cluster/run (make check-cluster)"
	local name="t$BATS_SUITE_TEST_NUMBER-$$-$RANDOM"
	A="$TWOFACTL_MNT_A/$name"
	B="$TWOFACTL_MNT_B/$name"
	unset TWOFACTL_DIR
	"$TWOFACTL" -q -d "$A" init
}

# Leave the volume as empty as we found it (the store of a passing test).
cluster_teardown() {
	[ -n "$A" ] && [ -d "$A" ] && rm -rf "$A"
	return 0
}

tfa() { "$TWOFACTL" -d "$A" "$@"; }
tfb() { "$TWOFACTL" -d "$B" "$@"; }

# accounts NAME...: TOTP accounts with the test key, imported on host A.
accounts() {
	local n
	for n in "$@"; do printf 'HOTP/T30\t%s\t-\t%s\n' "$n" "$KEY"; done >"$BATS_TEST_TMPDIR/users"
	tfa -q import "$BATS_TEST_TMPDIR/users" >/dev/null
}

totp() { /usr/bin/python3 "$TOTP" "$KEY" "$@"; }

# The step of round R: rounds never reuse a step.
step_of() { echo $((T0 + 30 * $1)); }

# note TEXT: a '#' line in the TAP output (the measured tallies).
note() { echo "# $*" >&3; }

# on_host FILE HOST ARGS...: twofactl ARGS on host a or b; FILE gets its exit
# status and stderr.
on_host() {
	local f=$1 h=$2 rc=0
	shift 2
	if [ "$h" = a ]; then tfa -q "$@" >/dev/null 2>"$f.err" || rc=$?
	else tfb -q "$@" >/dev/null 2>"$f.err" || rc=$?; fi
	echo "$rc" >"$f"
}

# on_host_stdin FILE HOST INPUT ARGS...: the same with INPUT on stdin.
on_host_stdin() {
	local f=$1 h=$2 in=$3 rc=0
	shift 3
	if [ "$h" = a ]; then tfa -q "$@" <<<"$in" >/dev/null 2>"$f.err" || rc=$?
	else tfb -q "$@" <<<"$in" >/dev/null 2>"$f.err" || rc=$?; fi
	echo "$rc" >"$f"
}

# count STATUS DIR: how many rc files in DIR hold STATUS.
count() { cat "$2"/rc.? "$2"/rc.?? 2>/dev/null | grep -cx "$1" || true; }

# rc_counts DIR: "N x exit S" for each exit status S of the rc files in DIR.
rc_counts() {
	cat "$1"/rc.? "$1"/rc.?? 2>/dev/null | sort -n | uniq -c |
		awk '{ printf "%s%d x exit %d", s, $1, $2; s = ", " }'
}

# The audit log of the store as host H (a or b) reads it: exit 0 of
# `audit verify`, and no sequence number on two lines (a forked chain).
audit_clean() {
	local d=$A
	[ "$1" = b ] && d=$B
	run -0 "$TWOFACTL" -d "$d" audit verify
	run -0 sh -c "jq -r .seq '$d/audit.log' | sort | uniq -d | wc -l"
	assert_output 0
}

# audit_dups H: the number of sequence numbers found on more than one line.
audit_dups() {
	local d=$A
	[ "$1" = b ] && d=$B
	jq -r .seq "$d/audit.log" 2>/dev/null | sort | uniq -d | wc -l
}
