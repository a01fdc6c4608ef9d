#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

setup() {
	setup_store
	enrolled alice
}

teardown() {
	umount "$BATS_TEST_TMPDIR/mnt" 2>/dev/null || true
}

# A code for alice at time $1 (default T0 + 30, the step after enrolment).
code_at() { tf --at "${1:-$((T0 + 30))}" code alice; }

@test "a valid code is accepted once" {
	c=$(code_at)
	run -0 tf --at $((T0 + 30)) verify alice "$c"
	assert_output "accepted"
	run -1 --separate-stderr tf --at $((T0 + 30)) verify alice "$c"
	assert_equal "$stderr" "twofactl: verify alice: code rejected: already used"
}

@test "verify --json reports method, drift and backup codes left" {
	run -0 tf --json --at $((T0 + 60)) verify alice "$(code_at $((T0 + 90)))"
	run -0 jq -e '.result=="accepted" and .method=="totp" and .factor==1 and .drift==1 and .backup_left==10' <<<"$output"
}

@test "the code is read from stdin when absent or '-'" {
	run -0 tf --at $((T0 + 30)) verify alice <<<"$(code_at)"
	run -0 tf --at $((T0 + 60)) verify alice - <<<"$(code_at $((T0 + 60)))"
	run -2 tf --at $((T0 + 90)) verify alice </dev/null
}

@test "codes agree with oathtool at 29, 30, 59 and 60 seconds into a minute" {
	secret=$(secret_of alice)
	for t in $((T0 + 629)) $((T0 + 630)) $((T0 + 1259)) $((T0 + 1260)); do
		c=$(oathtool --totp -b -N "@$t" "$secret")
		run -0 tf --at "$t" verify alice "$c"
	done
}

@test "steps N-1 and N+1 are accepted, N-2 and N+2 refused" {
	secret=$(secret_of alice)
	n=$((T0 + 3000))
	run -1 tf --at $n verify alice "$(oathtool --totp -b -N "@$((n - 60))" "$secret")"
	run -1 tf --at $n verify alice "$(oathtool --totp -b -N "@$((n + 60))" "$secret")"
	run -0 tf --at $n verify alice "$(oathtool --totp -b -N "@$((n - 30))" "$secret")"
	run -0 tf --at $n verify alice "$(oathtool --totp -b -N "@$((n + 30))" "$secret")"
}

@test "the drift of the last success is kept and shown" {
	run -0 tf --at $((T0 + 300)) verify alice "$(code_at $((T0 + 330)))"
	run -0 tf --at $((T0 + 300)) user show alice
	assert_line --partial "clock drift +1 step,"
	run -0 tf --json user show alice
	run -0 jq -e '.factors[0].drift==1' <<<"$output"
}

@test "a code at or below the last accepted step is refused, also after the clock is set back" {
	run -0 tf --at $((T0 + 600)) verify alice "$(code_at $((T0 + 600)))"
	run -1 tf --at $((T0 + 570)) verify alice "$(code_at $((T0 + 570)))"
	run -1 tf --at $((T0 + 300)) verify alice "$(code_at $((T0 + 300)))"
	run -0 tf --at $((T0 + 630)) verify alice "$(code_at $((T0 + 630)))"
}

@test "malformed codes are usage errors and not counted as failures" {
	for bad in "12345" "123456789" "+123456" "-123456" "12a456" "١٢٣٤٥٦" "12.456" "０１２３４５"; do
		run -2 --separate-stderr tf verify alice -- "$bad"
		assert_equal "$stderr" "twofactl: verify alice: malformed code: expected 6 to 8 digits or a backup code"
	done
	run -2 bash -c "printf '123\\000456\\n' | '$TWOFACTL' verify alice"
	run -2 tf verify alice "$(head -c 120000 /dev/zero | tr '\0' 7)"   # near the kernel's argument limit
	run -2 bash -c "head -c 1048576 /dev/zero | tr '\\0' 7 | '$TWOFACTL' verify alice"
	run -0 tf --json user show alice
	run -0 jq -e '.failures==0' <<<"$output"
}

@test "an unknown account is exit 3, a bad name exit 2" {
	run -3 --separate-stderr tf verify nobody 123456
	assert_equal "$stderr" "twofactl: verify nobody: no such account"
	run -2 tf verify "../alice" 123456
}

@test "after 10 failures even a right code is answered 4, then 30 s later it works" {
	t=$((T0 + 600))
	for i in $(seq 10); do
		run -1 tf --at $t verify alice 000000
	done
	run -4 --separate-stderr tf --at $t verify alice "$(code_at $t)"
	assert_equal "$stderr" "twofactl: verify alice: too many failures: next attempt in 30 s"
	run -4 tf --at $((t + 29)) verify alice "$(code_at $((t + 29)))"
	run -0 tf --at $((t + 30)) verify alice "$(code_at $((t + 30)))"
	run -0 tf --json user show alice
	run -0 jq -e '.failures==0' <<<"$output"
}

@test "a delay that runs out allows one attempt, and its failure doubles the delay" {
	t=$((T0 + 600))
	for i in $(seq 10); do tf --at $t verify alice 000000 2>/dev/null || true; done
	run -1 tf --at $((t + 30)) verify alice 000000
	run -4 --separate-stderr tf --at $((t + 31)) verify alice 000000
	assert_equal "$stderr" "twofactl: verify alice: too many failures: next attempt in 59 s"
	run -0 tf --json user show alice
	run -0 jq -e '.failures==11' <<<"$output"
}

@test "100 failures lock the account until user unlock" {
	t=$((T0 + 600))
	for i in $(seq 100); do
		tf --at $t verify alice 000000 2>/dev/null || true
		t=$((t + 3600))
	done
	run -0 tf --json user show alice
	run -0 jq -e '.failures==100 and .locked=="hard"' <<<"$output"
	run -4 --separate-stderr tf --at $((t + 86400 * 30)) verify alice "$(code_at $((t + 86400 * 30)))"
	assert_equal "$stderr" "twofactl: verify alice: locked out after 100 failures: an administrator must run 'twofactl user unlock'"
	run -0 tf user unlock alice
	run -0 tf --at $((t + 86400 * 30)) verify alice "$(code_at $((t + 86400 * 30)))"
}

@test "lockout.after is configurable" {
	tf -q config set lockout.after 3
	t=$((T0 + 600))
	for i in 1 2 3; do run -1 tf --at $t verify alice 000000; done
	run -4 tf --at $t verify alice "$(code_at $t)"
}

@test "totp.window 0 accepts only the current step" {
	tf -q config set totp.window 0
	run -1 tf --at $((T0 + 600)) verify alice "$(code_at $((T0 + 630)))"
	run -0 tf --at $((T0 + 600)) verify alice "$(code_at $((T0 + 600)))"
}

@test "64 concurrent verify processes of one code give exactly one acceptance" {
	t=$((T0 + 900))
	c=$(code_at $t)
	for i in $(seq 64); do
		rc_to "$BATS_TEST_TMPDIR/rc.$i" tf -q --at $t verify alice "$c" &
	done
	wait
	run -0 rc_summary
	assert_output $'1 0\n63 1'
}

@test "8 different accounts verified at the same instant all succeed" {
	for i in $(seq 8); do enrolled "user$i"; done
	t=$((T0 + 900))
	for i in $(seq 8); do
		c=$(tf --at $t code "user$i")
		rc_to "$BATS_TEST_TMPDIR/rc.$i" tf -q --at $t verify "user$i" "$c" &
	done
	wait
	run -0 rc_summary
	assert_output "8 0"
}

@test "a tampered account file is exit 5 and no code is accepted" {
	f=$(account_files)
	cp "$f" "$BATS_TEST_TMPDIR/orig"
	printf '\001' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
	run -5 --separate-stderr tf --at $((T0 + 30)) verify alice "$(tf --at $((T0 + 30)) code alice 2>/dev/null || echo 123456)"
	assert_equal "$stderr" "twofactl: verify alice: account file 'accounts/${f: -67}' fails authentication: tampered, swapped or a wrong master key"
}

@test "a truncated account file is exit 5" {
	f=$(account_files)
	truncate -s 20 "$f"
	run -5 tf verify alice 123456
	truncate -s 0 "$f"
	run -5 tf verify alice 123456
}

@test "another account's file put under this name does not decrypt" {
	enrolled bob
	files=($(account_files))
	mv "${files[0]}" "$BATS_TEST_TMPDIR/swap"
	mv "${files[1]}" "${files[0]}"
	mv "$BATS_TEST_TMPDIR/swap" "${files[1]}"
	run -5 tf user show alice
	run -5 tf user show bob
	assert_output --partial "fails authentication"
}

@test "a symlink or hard link at an account path is refused" {
	f=$(account_files)
	echo victim >"$BATS_TEST_TMPDIR/victim"
	sum=$(sha256sum <"$BATS_TEST_TMPDIR/victim")
	mv "$f" "$BATS_TEST_TMPDIR/saved"
	ln -s "$BATS_TEST_TMPDIR/victim" "$f"
	run -5 tf --at $((T0 + 30)) verify alice 123456
	assert_output --partial "symbolic link"
	rm "$f"
	ln "$BATS_TEST_TMPDIR/saved" "$f"
	run -5 tf --at $((T0 + 30)) verify alice 123456
	assert_output --partial "hard links"
	assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/victim")" "$sum"
}

@test "a held lock makes verify wait, then answer 7 busy; once the holder dies the next run proceeds" {
	tf -q config set lock.timeout 1
	pid=$(hold_store_lock)
	start=$(date +%s)
	run -7 --separate-stderr tf --at $((T0 + 30)) verify alice "$(code_at)"
	assert_equal "$stderr" "twofactl: verify alice: store busy: lock not obtained within 1 s"
	[ $(( $(date +%s) - start )) -le 5 ]
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	run -0 tf --at $((T0 + 30)) verify alice "$(code_at)"
}

@test "a verify killed with -9 while holding its lock never blocks the next run" {
	for i in $(seq 20); do
		c=$(code_at $((T0 + 30 * i)))
		"$TWOFACTL" --at $((T0 + 30 * i)) verify alice "$c" >/dev/null 2>&1 &
		pid=$!
		sleep 0.00$((RANDOM % 10))
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
	done
	tf -q config set lock.timeout 2
	run -0 tf --at $((T0 + 3000)) verify alice "$(code_at $((T0 + 3000)))"
	run -0 tf user show alice
}

@test "a verify that cannot record its state (read-only file system) fails closed" {
	mnt="$BATS_TEST_TMPDIR/mnt"
	mkdir "$mnt"
	mount -t tmpfs -o size=4m,mode=0700 tmpfs "$mnt" 2>/dev/null || skip "cannot mount a tmpfs here"
	export TWOFACTL_DIR="$mnt/store"
	tf -q init
	enrolled alice
	c=$(code_at)
	mount -o remount,ro "$mnt"
	run -5 --separate-stderr tf --at $((T0 + 30)) verify alice "$c"
	assert_output ""
	assert_equal "$stderr" "twofactl: verify alice: cannot open '$TWOFACTL_DIR/store.lock': Read-only file system"
	mount -o remount,rw "$mnt"
	run -0 tf --at $((T0 + 30)) verify alice "$c"
	umount "$mnt"
}

@test "a full disk: a change written in place still works; a new file gives a clear error and leaves the old record intact" {
	mnt="$BATS_TEST_TMPDIR/mnt"
	mkdir "$mnt"
	mount -t tmpfs -o size=256k,mode=0700 tmpfs "$mnt" 2>/dev/null || skip "cannot mount a tmpfs here"
	export TWOFACTL_DIR="$mnt/store"
	tf -q init
	enrolled alice
	c=$(code_at)
	head -c 1M /dev/zero >"$mnt/filler" 2>/dev/null || true
	# the slots of a record are allocated: a verify needs no new room
	run -0 tf --at $((T0 + 30)) verify alice "$c"
	run -1 tf --at $((T0 + 30)) verify alice "$c"
	# a record that outgrows its slots is written whole, which needs room
	note=$(printf 'n%.0s' $(seq 60))
	for i in $(seq 60); do
		tf -q whitelist add alice "192.0.2.$i/32" --note "$note" 2>"$BATS_TEST_TMPDIR/err" || break
	done
	added=$((i - 1))
	run -0 cat "$BATS_TEST_TMPDIR/err"
	# the record's whole write, or the room the audit log keeps for its next line
	assert_regex "$output" "^twofactl: whitelist add alice: cannot (write account file|reserve room in 'audit.log'): No space left on device"
	run -0 find "$TWOFACTL_DIR" -name '.tmp-*'
	assert_output ""
	run -0 tf --json whitelist list alice
	assert_equal "${#lines[@]}" "$added"
	rm "$mnt/filler"
	run -0 tf --at $((T0 + 60)) verify alice "$(code_at $((T0 + 60)))"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	umount "$mnt"
}

@test "verify CODE >/dev/full does not spend the code: the answer must be deliverable first" {
	c=$(code_at)
	run -5 --separate-stderr sh -c "'$TWOFACTL' --at $((T0 + 30)) verify alice $c >/dev/full"
	assert_equal "$stderr" "twofactl: verify alice: cannot write standard output: No space left on device: nothing was changed"
	run -5 sh -c "'$TWOFACTL' --json --at $((T0 + 30)) verify alice $c >/dev/full"
	mapfile -t codes <"$BATS_TEST_TMPDIR/backup.alice"
	run -5 sh -c "'$TWOFACTL' verify alice ${codes[0]} >/dev/full"
	run -0 tf --json user show alice
	run -0 jq -e '.backup_left==10 and .failures==0' <<<"$output"
	run -0 tf --at $((T0 + 30)) verify alice "$c"
	run -0 tf verify alice "${codes[0]}"
	run -1 tf --at $((T0 + 30)) verify alice "$c"
	run -0 sh -c "'$TWOFACTL' -q --at $((T0 + 60)) verify alice $(code_at $((T0 + 60))) >/dev/full"   # -q prints nothing
}
