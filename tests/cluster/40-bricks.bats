#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Bricks down and back: with one of three down logins go on; with two of
# three down a verify fails closed (exit 5, nothing recorded); once the
# bricks are back and healed the store is whole.
load cluster

setup() { cluster_setup; }
teardown() {
	# never leave a brick down for the next test
	[ -n "${TWOFACTL_CLUSTER_VOL:-}" ] && gl volume start "$TWOFACTL_CLUSTER_VOL" force >/dev/null 2>&1
	cluster_teardown
}

gl() { timeout 60 gluster --glusterd-sock="$TWOFACTL_GLUSTERD_SOCK" --mode=script "$@"; }

# brick_pid N: the pid of brick N's glusterfsd, from glusterd's pid file.
brick_pid() {
	local f
	f=$(ls "$TWOFACTL_CLUSTER_STATE"/run/vols/"$TWOFACTL_CLUSTER_VOL"/*-bricks-b"$1".pid)
	tr -dc 0-9 <"$f"
}

# kill_brick N: kill -9 brick N by its pid and wait until it is gone.
kill_brick() {
	local pid
	pid=$(brick_pid "$1")
	[ -n "$pid" ] && grep -q glusterfsd "/proc/$pid/cmdline"
	kill -9 "$pid"
	for _ in $(seq 100); do [ -e "/proc/$pid" ] || return 0; sleep 0.1; done
	return 1
}

# bricks_online: how many bricks glusterd sees online (from the XML: the
# plain status wraps long brick paths).
bricks_online() {
	gl volume status "$TWOFACTL_CLUSTER_VOL" --xml 2>/dev/null | tr -d ' \n' |
		grep -o '/bricks/b[123]</path><peerid>[^<]*</peerid><status>1</status>' | wc -l
}

# bricks_back: start the dead bricks again (volume start force, repeated
# while glusterd still sees the killed process), then wait until self-heal
# has nothing left to do; at most 60 + 120 s. Prints how long it took.
bricks_back() {
	local start=$SECONDS out="" online
	for _ in $(seq 60); do
		[ "$(bricks_online)" = 3 ] && break
		gl volume start "$TWOFACTL_CLUSTER_VOL" force >/dev/null 2>&1
		sleep 1
	done
	online=$((SECONDS - start))
	for _ in $(seq 120); do
		gl volume heal "$TWOFACTL_CLUSTER_VOL" >/dev/null 2>&1 || true
		# heal info, asking our glusterd (the CLI's glfsheal would ask the default socket)
		out=$(timeout 30 "$TWOFACTL_GLFSHEAL" "$TWOFACTL_CLUSTER_VOL" glusterd-sock "$TWOFACTL_GLUSTERD_SOCK" 2>&1) || out=""
		if [ "$(grep -c '^Status: Connected' <<<"$out")" = 3 ] &&
			[ "$(grep -c '^Number of entries: 0$' <<<"$out")" = 3 ]; then
			echo "$online s to bring the bricks back, $((SECONDS - start)) s until healed"
			return 0
		fi
		sleep 1
	done
	echo "self-heal not done after $((SECONDS - start)) s: $out" >&2
	return 1
}

@test "one brick of three killed: 10 logins across both mounts go on; back and healed, the store is whole" {
	accounts erin
	kill_brick 1
	for r in $(seq 10); do
		t=$(step_of "$r")
		h=a
		[ $((r % 2)) = 0 ] && h=b
		on_host "$BATS_TEST_TMPDIR/rc.$r" $h --at "$t" verify erin "$(totp "$t")"
	done
	ok=$(count 0 "$BATS_TEST_TMPDIR")
	run -0 bricks_back
	heal=$output
	note "one brick down: $ok of 10 logins passed$(cat "$BATS_TEST_TMPDIR"/rc.*.err | sed 's/[0-9a-f]\{64\}/<hash>/' | sort | uniq -c | sed 's/^ */; /' | tr -d '\n'); $heal"
	assert_equal "$ok" 10
	run -0 tfb fsck
	assert_output "0 problems found, 0 repaired"
	audit_clean a
	audit_clean b
	run -0 tfb --json user show erin
	run -0 jq -e '.verified == 10' <<<"$output"
}

@test "two bricks of three killed: a verify fails closed with exit 5 and records nothing; back and healed, the code is accepted once" {
	accounts frank
	run -0 tfa --at "$(step_of 1)" verify frank "$(totp "$(step_of 1)")"
	before=$(wc -l <"$A/audit.log")
	kill_brick 1
	kill_brick 2
	t=$(step_of 2)
	c=$(totp "$t")
	run -5 --separate-stderr timeout 60 "$TWOFACTL" -d "$A" --at "$t" verify frank "$c"
	note "two bricks down, on A: $stderr"
	run -5 --separate-stderr timeout 60 "$TWOFACTL" -d "$B" --at "$t" verify frank "$c"
	note "two bricks down, on B: $stderr"
	run -0 bricks_back
	note "$output"
	# nothing of the refused verifies was recorded: the audit log, the count
	# and the replay state are as before, so the code is still good, once
	run -0 wc -l <"$B/audit.log"
	assert_output "$before"
	run -0 tfb --json user show frank
	run -0 jq -e '.verified == 1 and .failures == 0' <<<"$output"
	run -0 tfb --at "$t" verify frank "$c"
	run -1 tfa --at "$t" verify frank "$c"
	run -0 tfa fsck
	assert_output "0 problems found, 0 repaired"
	audit_clean a
	audit_clean b
}
