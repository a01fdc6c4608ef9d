#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Concurrency, crashes and attacks: bounded in count and time.
load helper

KEY=3132333435363738393031323334353637383930

setup() {
	setup_store
	for a in 0 1 2 3; do printf 'HOTP/T30\tacct%d\t-\t%s\n' $a $KEY; done >"$BATS_TEST_TMPDIR/users"
	tf -q import "$BATS_TEST_TMPDIR/users"
}

@test "8 processes x 1000 operations: no code accepted twice, no update lost" {
	n=1000
	times=$(seq $((T0 + 30)) 30 $((T0 + 30 * n)) | tr '\n' ' ')
	mapfile -t codes < <(/usr/bin/python3 "$BATS_TEST_DIRNAME/totp.py" $KEY $times)
	i=0
	for t in $times; do
		echo "verify acct$((i % 4)) ${codes[$i]} --at $t"
		i=$((i + 1))
	done >"$BATS_TEST_TMPDIR/ops"
	for p in 1 2 3 4 5 6 7 8; do
		"$TWOFACTL" batch <"$BATS_TEST_TMPDIR/ops" >"$BATS_TEST_TMPDIR/out.$p" 2>/dev/null &
	done
	wait
	# line N of every process is the same (account, step): accepted at most once
	run -0 sh -c "cat '$BATS_TEST_TMPDIR'/out.* | awk -F'\t' '\$2==0 {print \$1}' | sort | uniq -d | wc -l"
	assert_output 0
	accepted=$(cat "$BATS_TEST_TMPDIR"/out.* | awk -F'\t' '$2==0' | wc -l)
	[ "$accepted" -ge 1000 ] || [ "$accepted" -ge $((n / 2)) ]
	run -0 sh -c "cat '$BATS_TEST_TMPDIR'/out.* | awk -F'\t' '\$2!=0 && \$2!=1' | wc -l"
	assert_output 0
	total=0
	for a in 0 1 2 3; do
		v=$(tf --json user show "acct$a" | jq .verified)
		total=$((total + v))
	done
	assert_equal "$total" "$accepted"
	run -0 tf audit verify
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "200 concurrent wrong guesses: the failure count equals the guesses checked, never past the limit" {
	for i in $(seq 200); do
		rc_to "$BATS_TEST_TMPDIR/rc.$i" "$TWOFACTL" -q --at $T0 verify acct0 000000 &
	done
	wait
	checked=$(cat "$BATS_TEST_TMPDIR"/rc.* | grep -cx 1)
	locked=$(cat "$BATS_TEST_TMPDIR"/rc.* | grep -cx 4)
	assert_equal $((checked + locked)) 200
	run -0 tf --json user show acct0
	assert_equal "$(jq .failures <<<"$output")" "$checked"
	[ "$checked" -le 100 ]
}

@test "mixed wrong TOTP, backup and email guesses share one limit of 100" {
	mkdir -m 700 "$BATS_TEST_TMPDIR/spool"
	tf -q config set smtp.url "spool:$BATS_TEST_TMPDIR/spool"
	tf -q user set acct1 --email a1@example.org
	tf -q --at $T0 enroll acct1 --method email
	code=$(grep -ohE '^    [0-9]{6}' "$BATS_TEST_TMPDIR"/spool/*.eml | head -1 | tr -d ' ')
	tf -q --at $T0 confirm acct1 "$code" >/dev/null
	t=$((T0 + 100))
	for i in $(seq 120); do
		case $((i % 3)) in
		0) guess=000000 ;;
		1) guess=aaaa-bbbb-cccc-dddd ;;
		2) tf -q --at $t send acct1 --via email >/dev/null 2>&1 || true; guess=999999 ;;
		esac
		tf -q --at $t verify acct1 "$guess" 2>/dev/null || true
		t=$((t + 3601))
	done
	run -0 tf --json user show acct1
	run -0 jq -e '.failures==100 and .locked=="hard"' <<<"$output"
}

@test "writers killed with -9 at random moments: the store opens, fsck is clean, nothing acknowledged is lost" {
	mkdir -m 700 "$BATS_TEST_TMPDIR/spool"
	tf -q config set smtp.url "spool:$BATS_TEST_TMPDIR/spool"
	tf -q config set code.resend 0
	tf -q user set acct2 --email a2@example.org
	tf -q --at $T0 enroll acct2 --method email
	c=$(grep -ohE '^    [0-9]{6}' "$BATS_TEST_TMPDIR"/spool/*.eml | head -1 | tr -d ' ')
	tf -q --at $T0 confirm acct2 "$c" >"$BATS_TEST_TMPDIR/backup"
	mapfile -t backup <"$BATS_TEST_TMPDIR/backup"
	: >"$BATS_TEST_TMPDIR/acked"
	for i in $(seq 150); do
		t=$((T0 + 30 * i))
		case $((i % 5)) in
		0) cmd=(verify acct0 "$(/usr/bin/python3 "$BATS_TEST_DIRNAME/totp.py" $KEY $t)") ;;
		1) cmd=(verify acct2 "${backup[$((i / 5 % 10))]}") ;;
		2) cmd=(send acct2 --via email) ;;
		3) cmd=(expire) ;;
		4) cmd=(user set acct3 --email "v$i@example.org") ;;
		esac
		"$TWOFACTL" -q --at $t "${cmd[@]}" >/dev/null 2>&1 &
		pid=$!
		sleep "0.00$((RANDOM % 4))"
		kill -9 $pid 2>/dev/null || true
		rc=0
		wait $pid 2>/dev/null || rc=$?
		if [ $rc = 0 ] && [ $((i % 5)) = 0 ]; then echo "$t ${cmd[2]}" >>"$BATS_TEST_TMPDIR/acked"; fi
		if [ $rc = 0 ] && [ $((i % 5)) = 4 ]; then echo "v$i@example.org" >"$BATS_TEST_TMPDIR/email"; fi
		run -0 tf user list
		assert_equal "${#lines[@]}" 4
		run -0 tf fsck
		assert_output "0 problems found, 0 repaired"
	done
	run -0 tf audit verify
	# every acknowledged verify left its replay state: the same code is refused now
	while read -r t code; do
		run -1 tf --at "$t" verify acct0 "$code"
	done <"$BATS_TEST_TMPDIR/acked"
	if [ -s "$BATS_TEST_TMPDIR/email" ]; then
		# the last acknowledged change of acct3 is the one on disk, or a later one
		run -0 tf --json user show acct3
		[[ $(jq -r .email <<<"$output") =~ ^v[0-9]+@example.org$ ]]
	fi
}

@test "a symlink planted at a directory component or the lock file is refused; the victim is untouched" {
	echo victim >"$BATS_TEST_TMPDIR/victim"
	sum=$(sha256sum <"$BATS_TEST_TMPDIR/victim")
	sub=$(dirname "$(account_files | head -1)")
	mv "$sub" "$BATS_TEST_TMPDIR/moved"
	mkdir "$BATS_TEST_TMPDIR/evil"
	ln -s "$BATS_TEST_TMPDIR/evil" "$sub"
	run -5 tf user list
	run -5 tf verify acct0 123456 2>/dev/null || true
	rm "$sub"
	mv "$BATS_TEST_TMPDIR/moved" "$sub"
	mv "$TWOFACTL_DIR/store.lock" "$BATS_TEST_TMPDIR/lock.saved"
	ln -s "$BATS_TEST_TMPDIR/victim" "$TWOFACTL_DIR/store.lock"
	run -5 --separate-stderr tf user list
	assert_regex "$stderr" "store.lock.*(Too many levels of symbolic links|not a plain file)"
	rm "$TWOFACTL_DIR/store.lock"
	ln "$BATS_TEST_TMPDIR/victim" "$TWOFACTL_DIR/store.lock"
	run -5 tf user list
	assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/victim")" "$sum"
	run -0 find "$BATS_TEST_TMPDIR/evil" -type f
	assert_output ""
}

@test "a store owned by another user: root acts as that user, never as root (tests/12-owner.bats)" {
	chown -R nobody "$TWOFACTL_DIR"
	run -5 --separate-stderr tf user list
	assert_regex "$stderr" "cannot open store '.*' as its owner nobody \(uid [0-9]+\): Permission denied"
	chown -R 0 "$TWOFACTL_DIR"
	chmod 770 "$TWOFACTL_DIR"
	run -5 tf user list
}

@test "codes never appear in the process list when read from stdin" {
	codes=$(/usr/bin/python3 "$BATS_TEST_DIRNAME/totp.py" $KEY $(seq $((T0 + 30)) 30 $((T0 + 30 * 40))))
	(
		t=$((T0 + 30))
		for c in $codes; do
			echo "$c" | "$TWOFACTL" -q --at $t verify acct0 >/dev/null 2>&1 || true
			t=$((t + 30))
		done
	) &
	pid=$!
	: >"$BATS_TEST_TMPDIR/cmdlines"
	# every process's command line, one per line (other processes of the
	# machine are kept out below: only twofactl's own are looked at)
	/usr/bin/python3 -c '
import glob, os, sys
pid, out = int(sys.argv[1]), open(sys.argv[2], "w")
for _ in range(2000):
    for f in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            out.write(open(f, "rb").read().replace(b"\0", b" ").decode("utf-8", "replace") + "\n")
        except OSError:
            pass
    try:
        os.kill(pid, 0)
    except OSError:
        break
' "$pid" "$BATS_TEST_TMPDIR/cmdlines"
	wait $pid
	grep -F "$TWOFACTL" "$BATS_TEST_TMPDIR/cmdlines" >"$BATS_TEST_TMPDIR/ours" || true
	grep -q "verify acct0" "$BATS_TEST_TMPDIR/ours" || skip "no sample caught a verify"
	for c in $codes; do
		run -1 grep -qw -- "$c" "$BATS_TEST_TMPDIR/ours"   # a code as an argument of its own
	done
}

@test "a crash writes no core file" {
	cd "$BATS_TEST_TMPDIR"
	ulimit -c unlimited 2>/dev/null || true
	mkfifo in
	exec 8<>in
	"$TWOFACTL" verify acct0 <&8 &
	pid=$!
	sleep 0.3
	run -0 grep "Max core file size" "/proc/$pid/limits"
	assert_output --regexp 'Max core file size +0 +0 +bytes'
	kill -SEGV "$pid"
	wait "$pid" || true
	exec 8>&-
	run -0 sh -c "ls | grep -c '^core' || true"
	assert_output 0
}

@test "error messages never repeat a code, token, password or key they were given" {
	secrets=(123456 "12345678" "abcd-efgh-ijkl-mnop" "s3cr3t-passw0rd" "$(printf 'T%.0s' {1..43})")
	: >"$BATS_TEST_TMPDIR/stderr"
	for s in "${secrets[@]}"; do
		tf --at $T0 verify acct0 "$s" 2>>"$BATS_TEST_TMPDIR/stderr" >/dev/null || true
		echo "$s" | tf --at $T0 verify acct0 2>>"$BATS_TEST_TMPDIR/stderr" >/dev/null || true
		echo "$s" | tf backup revoke acct0 2>>"$BATS_TEST_TMPDIR/stderr" >/dev/null || true
		echo "$s" | tf verify acct0 --password 2>>"$BATS_TEST_TMPDIR/stderr" >/dev/null || true
		tf check acct0 --device-token "$s" 2>>"$BATS_TEST_TMPDIR/stderr" >/dev/null || true
		echo "acct0:$s" | tf reset redeem 2>>"$BATS_TEST_TMPDIR/stderr" >/dev/null || true
		echo "$s" | tf passwd acct1 2>>"$BATS_TEST_TMPDIR/stderr" >/dev/null || true
	done
	[ -s "$BATS_TEST_TMPDIR/stderr" ]
	for s in "${secrets[@]}"; do
		run -1 grep -F -- "$s" "$BATS_TEST_TMPDIR/stderr"
	done
	run -1 grep -F -- "$KEY" "$BATS_TEST_TMPDIR/stderr"
	# and the environment of a running twofactl holds nothing of ours
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 8<>"$BATS_TEST_TMPDIR/in"
	"$TWOFACTL" verify acct0 <&8 &
	pid=$!
	sleep 0.2
	run -1 sh -c "tr '\0' '\n' </proc/$pid/environ | grep -i -e secret -e passphrase -e '^TWOFACTL_.*KEY'"
	kill $pid
	wait $pid || true
	exec 8>&-
}
