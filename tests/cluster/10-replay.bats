#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# One code, two hosts: a TOTP or backup code verified at once on both mounts
# is accepted exactly once, round after round (DESIGN.md: every
# read-modify-write holds its lock, and a record older than the last one
# written is never acted on).
load cluster

setup() { cluster_setup; }
teardown() { cluster_teardown; }

# round DIR ARGS...: 20 verifies at once, odd ones on host a, even on b.
# Input on stdin when $IN is set.
round() {
	local d=$1 i h
	shift
	mkdir -p "$d"
	for i in $(seq 20); do
		h=a
		[ $((i % 2)) = 0 ] && h=b
		if [ -n "${IN:-}" ]; then on_host_stdin "$d/rc.$i" $h "$IN" "$@" &
		else on_host "$d/rc.$i" $h "$@" &
		fi
	done
	wait
}

# tally ROUNDS LOSERS: per round exactly one 0, and every other verify
# refused with an exit status matching LOSERS (an ERE: 1 "already used" for
# a TOTP code; 1 or 4 for a backup code, whose replays count as failures and
# so lock the account out for a while, as on a local disk). Prints the
# measured counts as TAP comments, then asserts.
tally() {
	local n=$1 losers=$2 r d f acc twice=0 none=0 estale=0 other=0 total=0
	for r in $(seq "$n"); do
		d="$BATS_TEST_TMPDIR/round$r"
		acc=$(count 0 "$d")
		total=$((total + acc))
		[ "$acc" -ge 2 ] && twice=$((twice + 1))
		[ "$acc" = 0 ] && none=$((none + 1))
		for f in "$d"/rc.? "$d"/rc.??; do
			grep -qx 0 "$f" && continue
			if grep -q 'Stale file handle' "$f.err"; then estale=$((estale + 1))
			elif ! grep -qxE "$losers" "$f"; then other=$((other + 1)); fi
		done
		note "round $r: $(rc_counts "$d")"
	done
	note "$n rounds: $twice accepted the code more than once, $none never; $total acceptances;" \
		"$estale verifies failed with ESTALE (exit 5), $other otherwise unexpectedly;" \
		"audit chain: $(audit_dups a) sequence numbers on two lines"
	assert_equal "$twice/$none/$estale/$other" "0/0/0/0"
	assert_equal "$total" "$n"
}

@test "10 rounds x 20 concurrent verifies of one TOTP code across two mounts: accepted exactly once each round" {
	accounts alice
	for r in $(seq 10); do
		t=$(step_of "$r")
		round "$BATS_TEST_TMPDIR/round$r" --at "$t" verify alice "$(totp "$t")"
	done
	tally 10 1
	audit_clean b
	audit_clean a
	run -0 tfb --json audit --user alice
	run -0 jq -s '[.[] | select(.event == "verify" and .result == "ok")] | length' <<<"$output"
	assert_output 10
	# replays of a used TOTP code are not failures
	run -0 tfb --json user show alice
	run -0 jq -e '.failures == 0 and .verified == 10' <<<"$output"
}

@test "10 rounds x 20 concurrent verifies of one backup code across two mounts: accepted exactly once each round" {
	accounts bob
	run -0 tfa --json backup issue bob
	mapfile -t codes < <(jq -r '.backup_codes[]' <<<"$output")
	assert_equal "${#codes[@]}" 10
	for r in $(seq 10); do
		IN=${codes[$((r - 1))]} round "$BATS_TEST_TMPDIR/round$r" --at "$(step_of "$r")" verify bob
	done
	tally 10 "1|4"
	run -0 tfb --json backup list bob
	run -0 jq -e '.left == 0' <<<"$output"
	audit_clean b
	audit_clean a
}
