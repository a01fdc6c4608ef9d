#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

setup() {
	setup_store
	enrolled alice
	tf -q user add bob
	tf -q org add acme --policy optional
}

@test "fsck passes a clean store" {
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 tf --json fsck
	run -0 jq -e '.clean==true and .problems==0' <<<"$output"
}

@test "fsck finds damaged, swapped and linked files, leftovers and loose modes; --repair fixes them" {
	files=($(account_files))
	d=$(dirname "${files[0]}")
	printf 'x' | dd of="${files[0]}" bs=1 seek=60 conv=notrunc status=none   # bit rot
	touch -d '2 minutes ago' "$d/.tmp-0123456789abcdef"                    # interrupted write
	touch "$d/.tmp-fedcba9876543210"                                       # a write in progress: left alone
	chmod 644 "${files[1]}"
	echo junk >"$TWOFACTL_DIR/accounts/zz"
	run -5 tf fsck
	assert_line --partial "fails authentication: damaged, tampered or swapped"
	assert_line --partial ".tmp-0123456789abcdef: leftover temporary file of an interrupted write"
	assert_line --partial ": mode 0644, expected 0600"
	assert_line "accounts/zz: unexpected entry"
	assert_line "4 problems found, 0 repaired"
	run -0 tf fsck --repair
	assert_line --regexp ': fails authentication: damaged, tampered or swapped: moved to quarantine/accounts-'
	assert_line --partial "leftover temporary file of an interrupted write: removed"
	assert_line --partial "mode fixed"
	assert_line "4 problems found, 4 repaired"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 stat -c %a "$TWOFACTL_DIR/quarantine"
	assert_output 700
}

@test "fsck finds a file under another record's name" {
	files=($(account_files))
	cp "${files[0]}" "$BATS_TEST_TMPDIR/a"
	cp "${files[1]}" "${files[0]}"
	run -5 tf fsck
	assert_line --partial "fails authentication"
}

@test "fsck finds a symlink planted at an account path and never follows it" {
	f=$(account_files | head -1)
	echo victim >"$BATS_TEST_TMPDIR/victim"
	rm "$f"
	ln -s "$BATS_TEST_TMPDIR/victim" "$f"
	run -0 tf fsck --repair
	assert_line --partial "is a symbolic link: moved to quarantine"
	run -0 cat "$BATS_TEST_TMPDIR/victim"
	assert_output victim
}

@test "fsck reports a broken audit chain and leaves it as evidence" {
	sed -i 2d "$TWOFACTL_DIR/audit.log"
	run -5 tf fsck --repair
	assert_line --partial "audit.log: audit.log line 2: 1 line(s) removed before it"
	assert_line --partial "not repairable"
}

@test "rekey changes the key and every file name; codes and records stay" {
	secret=$(secret_of alice)
	before=$(cd "$TWOFACTL_DIR" && find accounts orgs -type f | sort)
	key=$(sha256sum <"$TWOFACTL_DIR/master.key")
	id=$(tf -q recovery file bob --reason "lost")
	run -0 tf rekey
	assert_output "new master key: 4 files sealed again"
	[ "$(sha256sum <"$TWOFACTL_DIR/master.key")" != "$key" ]
	after=$(cd "$TWOFACTL_DIR" && find accounts orgs -type f | sort)
	[ "$before" != "$after" ]
	assert_equal "$(secret_of alice)" "$secret"
	run -0 tf --at $((T0 + 60)) verify alice "$(tf --at $((T0 + 60)) code alice)"
	run -0 tf user list
	assert_output $'alice\nbob'
	run -0 tf recovery show "$id"
	run -0 tf audit verify
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 tf audit
	assert_line --partial "  rekey  -  ok"
}

@test "rekey with the key outside the store" {
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/s2"
	tf -q init --key-file "$BATS_TEST_TMPDIR/k2"
	enrolled carol
	run -0 tf rekey
	run -0 stat -c '%a %s' "$BATS_TEST_TMPDIR/k2"
	assert_output "600 32"
	run -0 tf --at $((T0 + 60)) verify carol "$(tf --at $((T0 + 60)) code carol)"
}

@test "rekey killed with -9 at many moments always leaves a store that opens, with the old key or the new" {
	for i in $(seq 300); do echo "user add u$i --email u$i@example.org"; done | tf -q batch >/dev/null 2>&1 ||
		for i in $(seq 300); do tf -q user add "u$i" --email "u$i@example.org"; done
	secret=$(secret_of alice)
	old=$(sha256sum <"$TWOFACTL_DIR/master.key")
	outcomes=""
	for i in $(seq 25); do
		"$TWOFACTL" -q rekey &
		pid=$!
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))$((RANDOM % 10))"
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		run -0 tf user list
		assert_equal "${#lines[@]}" 302
		assert_equal "$(secret_of alice)" "$secret"
		run -0 tf audit verify
		run -0 tf fsck
		assert_output "0 problems found, 0 repaired"
		now=$(sha256sum <"$TWOFACTL_DIR/master.key")
		[ "$now" = "$old" ] && outcomes+="o" || outcomes+="n"
		old=$now
	done
	echo "# outcomes: $outcomes" >&3
	[[ $outcomes == *o* ]]   # some kills landed before the commit point
	run -0 tf --at $((T0 + 60)) verify alice "$(tf --at $((T0 + 60)) code alice)"
}

@test "a command waiting on the lock while a rekey runs does not write with the old key" {
	for i in $(seq 150); do tf -q user add "w$i"; done
	"$TWOFACTL" -q rekey &
	p=$!
	sleep 0.05
	rc=0
	tf -q --at $((T0 + 60)) verify alice "$(tf --at $((T0 + 60)) code alice 2>/dev/null || echo 000000)" 2>/dev/null || rc=$?
	wait $p
	[[ $rc == 0 || $rc == 7 || $rc == 1 ]]
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

# spool_to N: point email at a fresh spool directory N; spooled N: the one message in it
spool_to() {
	mkdir -m 700 "$BATS_TEST_TMPDIR/spool.$1"
	tf -q config set smtp.url "spool:$BATS_TEST_TMPDIR/spool.$1"
}
spooled() { cat "$BATS_TEST_TMPDIR/spool.$1"/*.eml; }
# (a code stands on a line of its own in the body, never in the Subject)

@test "rekey keeps every credential valid: backup codes, devices, email codes, reset and activation links, each once" {
	tf -q config set reset.url "https://example.org/reset?token={token}"
	tf -q config set activate.url "https://example.org/activate?token={token}"
	tf -q user set alice --email alice@example.org
	spool_to 1
	tf -q --at $T0 enroll alice --method email
	tf -q --at $T0 confirm alice "$(spooled 1 | sed -n 's/^    \([0-9]\{6\}\)\r$/\1/p')"
	device=$(tf -q --at $T0 trust add alice --label laptop)
	spool_to 2
	tf -q --at $((T0 + 60)) send alice --via email
	code=$(spooled 2 | sed -n 's/^    \([0-9]\{6\}\)\r$/\1/p')
	spool_to 3
	tf -q --at $((T0 + 60)) reset send alice
	reset=$(spooled 3 | sed -n 's#^ *https://example.org/reset?token=##p')
	tf -q user set bob --email bob@example.org
	tf -q --at $T0 enroll bob --qr none
	spool_to 4
	tf -q --at $T0 confirm bob "$(tf --at $T0 code bob)" --by-link
	activate=$(spooled 4 | sed -n 's#^ *https://example.org/activate?token=##p')
	mapfile -t codes <"$BATS_TEST_TMPDIR/backup.alice"
	run -0 tf --json backup list alice
	run -0 jq -e '.left==10' <<<"$output"

	run -0 tf rekey

	run -0 tf --json backup list alice
	run -0 jq -e '.left==10' <<<"$output"
	run -0 tf --at $((T0 + 61)) verify alice "${codes[0]}"
	run -1 tf --at $((T0 + 61)) verify alice "${codes[0]}"
	run -0 tf --json backup list alice
	run -0 jq -e '.left==9' <<<"$output"
	run -0 tf --at $((T0 + 61)) check alice --device-token - <<<"$device"
	assert_line --index 0 "trusted device"
	run -0 tf --at $((T0 + 62)) verify alice "$code"
	assert_output "accepted (email code)"
	run -1 tf --at $((T0 + 62)) verify alice "$code"
	run -0 tf --at $((T0 + 63)) reset redeem <<<"$reset"
	run -1 tf --at $((T0 + 63)) reset redeem <<<"$reset"
	run -0 tf -q --at $((T0 + 64)) confirm --link <<<"$activate"
	run -1 tf --at $((T0 + 64)) confirm --link <<<"$activate"
	run -0 tf --json user show bob
	run -0 jq -e '.enabled==true and .failures==0' <<<"$output"
	run -0 tf --json user show alice
	run -0 jq -e '.failures==1' <<<"$output"   # the used email code, tried again
	run -0 tf rekey
	run -0 tf --at $((T0 + 65)) verify alice "${codes[1]}"
	run -0 tf --at $((T0 + 65)) check alice --device-token - <<<"$device"
}

@test "fsck escapes control characters in the names of files it finds" {
	local d
	d=$(ls "$TWOFACTL_DIR/accounts" | head -1)
	touch "$TWOFACTL_DIR/accounts/$d/x"$'\x1b[2K\x1b[1A'
	run -5 tf fsck
	assert_line --partial 'accounts/'"$d"'/x\x1b[2K\x1b[1A: unexpected file'
	refute_output --partial $'\x1b'
}
