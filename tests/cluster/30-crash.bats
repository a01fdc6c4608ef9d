#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# A host's verifies killed with -9 at random moments: the other host finds
# the store whole (fsck, audit verify, one line per sequence number), and
# every acknowledged verify keeps its code used.
load cluster

setup() { cluster_setup; }
teardown() { cluster_teardown; }

@test "30 rounds of 2 verifies killed with -9 on one mount: fsck and audit verify from the other mount clean" {
	accounts carol dave
	: >"$BATS_TEST_TMPDIR/acked"
	dirty=0 held=0
	for r in $(seq 30); do
		t=$(step_of "$r")
		c=$(totp "$t")
		h=a other=b
		[ $((r % 2)) = 0 ] && h=b other=a
		pids=()
		for u in carol dave; do
			if [ $h = a ]; then tfa -q --at "$t" verify $u "$c" >/dev/null 2>&1 &
			else tfb -q --at "$t" verify $u "$c" >/dev/null 2>&1 &
			fi
			pids+=($!)
		done
		# a verify takes some 30 to 100 ms here: kill before, during or after
		sleep "0.$(printf %03d $((RANDOM % 150)))"
		kill -9 "${pids[@]}" 2>/dev/null || true
		i=0
		for u in carol dave; do
			rc=0
			wait "${pids[$i]}" 2>/dev/null || rc=$?
			[ $rc = 0 ] && echo "$u $t $c" >>"$BATS_TEST_TMPDIR/acked"
			i=$((i + 1))
		done
		d=$A
		[ $other = b ] && d=$B
		f=$("$TWOFACTL" -d "$d" fsck 2>&1) || true
		v=$("$TWOFACTL" -d "$d" audit verify 2>&1) || true
		# fsck may say a lock is still held: FUSE releases a killed process's
		# locks asynchronously (informational, not a problem)
		grep -q 'lock is held now' <<<"$f" && held=$((held + 1))
		if [ "$(tail -1 <<<"$f")" != "0 problems found, 0 repaired" ] || [ "${v#audit.log intact}" = "$v" ]; then
			dirty=$((dirty + 1))
			note "round $r (killed on $h, checked from $other): $(grep -v 'lock is held now' <<<"$f" | tr '\n' ' ')/ $v"
		fi
	done 2>>"$BATS_TEST_TMPDIR/jobs"   # bash's "Killed" messages, not the TAP's
	replayed=0
	while read -r u t c; do
		rc=0
		tfb -q --at "$t" verify "$u" "$c" >/dev/null 2>&1 || rc=$?
		[ $rc = 1 ] || replayed=$((replayed + 1))
	done <"$BATS_TEST_TMPDIR/acked"
	note "30 rounds: $(wc -l <"$BATS_TEST_TMPDIR/acked") verifies finished before the kill;" \
		"$dirty rounds left fsck or audit verify unclean on the other mount" \
		"($held saw the killed process's lock still held);" \
		"$replayed acknowledged codes not refused afterwards; audit chain: $(audit_dups a) sequence numbers on two lines"
	assert_equal "$dirty/$replayed" "0/0"
	run -0 tfa user list
	assert_equal "${#lines[@]}" 2
	run -0 tfb fsck
	assert_equal "${lines[-1]}" "0 problems found, 0 repaired"
	audit_clean a
	audit_clean b
}
