#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Genuine logins on two hosts: different accounts at once, and an account
# enrolled on one host and confirmed on the other, all pass.
load cluster

setup() { cluster_setup; }
teardown() { cluster_teardown; }

@test "5 rounds x 8 accounts verified at once across two mounts: all 40 logins pass" {
	accounts u1 u2 u3 u4 u5 u6 u7 u8
	for r in $(seq 5); do
		t=$(step_of "$r")
		c=$(totp "$t")
		d="$BATS_TEST_TMPDIR/round$r"
		mkdir "$d"
		for i in $(seq 8); do
			# each account changes host from one round to the next
			h=a
			[ $(((i + r) % 2)) = 0 ] && h=b
			on_host "$d/rc.$i" $h --at "$t" verify "u$i" "$c" &
		done
		wait
		note "round $r: $(rc_counts "$d")"
	done
	ok=$(cat "$BATS_TEST_TMPDIR"/round*/rc.? | grep -cx 0 || true)
	estale=$(cat "$BATS_TEST_TMPDIR"/round*/rc.?.err | grep -c 'Stale file handle' || true)
	note "40 logins: $ok passed, $estale failed with ESTALE (exit 5), audit chain: $(audit_dups b) sequence numbers on two lines"
	assert_equal "$ok" 40
	audit_clean b
	audit_clean a
	run -0 tfb --json audit
	run -0 jq -s '[.[] | select(.event == "verify" and .result == "ok")] | length' <<<"$output"
	assert_output 40
}

@test "10 accounts enrolled on mount A, confirmed on mount B, verified on A at once: all pass" {
	d="$BATS_TEST_TMPDIR"
	for i in $(seq 10); do
		# each step runs only when the one before passed; its exit status is kept
		echo 9 >"$d/confirm.$i"
		echo 9 >"$d/verify.$i"
		on_host "$d/add.$i" a user add "e$i"
		grep -qx 0 "$d/add.$i" || continue
		rc=0
		tfa --json --at "$T0" enroll "e$i" --qr none >"$d/enroll.$i.out" 2>"$d/enroll.$i.err" || rc=$?
		echo $rc >"$d/enroll.$i"
		[ $rc = 0 ] || continue
		secret=$(jq -r .secret "$d/enroll.$i.out")
		on_host "$d/confirm.$i" b --at "$T0" confirm "e$i" "$(oathtool --totp -b -N "@$T0" "$secret")"
		grep -qx 0 "$d/confirm.$i" || continue
		on_host "$d/verify.$i" a --at $((T0 + 30)) verify "e$i" "$(oathtool --totp -b -N "@$((T0 + 30))" "$secret")"
	done
	for step in add enroll confirm verify; do
		note "$step: $(cat "$d/$step".? "$d/$step".?? | sort -n | uniq -c |
			awk '{ printf "%s%d x exit %d", s, $1, $2; s = ", " }' | sed 's/exit 9$/not reached/; s/exit 9,/not reached,/')"
	done
	for f in "$d"/*.err; do
		[ -s "$f" ] && note "$(basename "$f" .err): $(sed 's/[0-9a-f]\{64\}/<hash>/' "$f")"
	done
	ok=$(cat "$d"/verify.? "$d"/verify.?? | grep -cx 0 || true)
	assert_equal "$ok" 10
	# and the other host agrees: every factor active, confirmed and verified once
	for i in $(seq 10); do
		run -0 tfb --json user show "e$i"
		run -0 jq -e '.verified == 2 and .factors[0].status == "active"' <<<"$output"
	done
	audit_clean b
}
