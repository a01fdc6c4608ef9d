#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# pam_twofactl.so through pamtester: PAM services written by the test under
# /etc/pam.d (removed in teardown), a real SMTP server for email codes, a
# serve started by the module or through systemd-socket-activate, and a PAM
# application looping under valgrind. Needs root.
load helper

MODULE="$(cd "$BATS_TEST_DIRNAME/.." && pwd)/pam/test/pam_twofactl.so"
LOOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)/tests/pam/pam_loop"

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	start_smtp mail
}

teardown_file() { stop_peers; }

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root: PAM services are files under /etc/pam.d"
	command -v pamtester >/dev/null || skip "pamtester is not installed"
	[ -f "$MODULE" ] || fail "no $MODULE: run make all"
	setup_store
	SVC_PREFIX="twofactl-test-$BATS_ROOT_PID-$BATS_TEST_NUMBER"
	# PAM runs at the real time: accounts are enrolled two minutes ago, so
	# the codes of now are new to them
	PAST=$(( $(date +%s) - 120 ))
	enrolled alice "$PAST"
}

teardown() {
	rm -f /etc/pam.d/"twofactl-test-$BATS_ROOT_PID-$BATS_TEST_NUMBER"*
	[ -z "${PAM_BASE:-}" ] || {
		[ ! -f "$PAM_BASE/activate.pid" ] || kill "$(cat "$PAM_BASE/activate.pid")" 2>/dev/null || true
		rm -rf "$PAM_BASE"
	}
}

# service NAME LINE...: /etc/pam.d/<prefix>-NAME with these auth lines (and
# pam_permit for the other groups); prints the service name.
service() {
	local name="$SVC_PREFIX-$1"
	shift
	{
		printf '%s\n' "$@"
		echo "account required pam_permit.so"
		echo "session required pam_permit.so"
	} >"/etc/pam.d/$name"
	echo "$name"
}

# svc [OPTIONS...]: the module alone on this test's store.
svc() { service "m$#${1:-}" "auth required $MODULE dir=$TWOFACTL_DIR $*"; }

# pam SERVICE USER [pamtester options]: authenticate, answers on stdin.
pam() {
	local s=$1 u=$2
	shift 2
	pamtester "$@" "$s" "$u" authenticate
}

now_code() { tf code "$1"; }
# A code that is wrong now (the current one with its last digit changed).
wrong_code() { local c; c=$("${CODE_OF:-now_code}" "$1"); echo "${c:0:5}$(( (${c:5:1} + 5) % 10 ))"; }

@test "a valid code is accepted once: the same code again and a wrong code are refused" {
	local s code
	s=$(svc)
	code=$(now_code alice)
	run -0 pam "$s" alice <<<"$code"
	assert_output --partial "Verification code: "
	assert_output --partial "successfully authenticated"
	run -1 pam "$s" alice <<<"$code"
	assert_output --partial "Authentication failure"
	run -1 pam "$s" alice <<<"$(wrong_code alice)"
	assert_output --partial "Authentication failure"
	run -1 pam "$s" alice <<<"hunter2"
	assert_output --partial "Authentication failure"
	run -0 tf --json audit --user alice
	run -0 jq -se --arg s "$s" '[.[] | select(.event == "verify" and .service == $s) | .result] == ["ok", "replay", "rejected"]' <<<"$output"
}

@test "lockout: after lockout.after wrong codes even the right one gets PAM_MAXTRIES" {
	local s
	tf -q config set lockout.after 3
	s=$(svc)
	for _ in 1 2 3; do
		run -1 pam "$s" alice <<<"$(wrong_code alice)"
		assert_output --partial "Authentication failure"
	done
	run -1 pam "$s" alice <<<"$(now_code alice)"
	assert_output --partial "Too many failed attempts: try again later."
	assert_output --partial "Have exhausted maximum number of retries for service"
}

@test "a backup code is accepted at the same prompt, once, typed with its dashes" {
	local s b
	s=$(svc)
	b=$(grep -oE '[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}' "$BATS_TEST_TMPDIR/backup.alice" | head -1)
	[ -n "$b" ]
	run -0 pam "$s" alice <<<"$b"
	run -1 pam "$s" alice <<<"$b"
	run -0 tf --json user show alice
	run -0 jq -e '.backup_left == 9' <<<"$output"
}

@test "a whitelisted rhost passes without a prompt; another address is asked; names go to the audit log" {
	local s
	tf -q whitelist add alice 198.51.100.0/24
	s=$(svc)
	run -0 pam "$s" alice -I rhost=198.51.100.7 </dev/null
	refute_output --partial "code"
	run -1 pam "$s" alice -I rhost=203.0.113.9 </dev/null
	assert_output --partial "Verification code: "
	run -1 pam "$s" alice -I rhost=gw.example.org <<<"$(wrong_code alice)"
	run -0 tf --json audit --user alice
	run -0 jq -se --arg s "$s" '[.[] | select(.service == $s) | [.event, .result, .ip, .rhost]] ==
		[["check", "pass", "198.51.100.7", null], ["check", "code", "203.0.113.9", null],
		 ["check", "code", null, "gw.example.org"], ["verify", "rejected", null, "gw.example.org"]]' <<<"$output"
}

@test "policies: off passes without a code, optional asks the enrolled only, required refuses the unenrolled with a message" {
	local s
	s=$(svc)
	tf -q user add bob
	tf -q org add relaxed --policy off
	tf -q org add strict --policy required
	run -1 pam "$s" alice </dev/null                       # optional, enrolled: a code
	assert_output --partial "Verification code: "
	run -0 pam "$s" bob </dev/null                         # optional, not enrolled: no code
	refute_output --partial "code"
	tf -q user set alice --org relaxed
	run -0 pam "$s" alice </dev/null                       # off: no code even when enrolled
	refute_output --partial "code"
	tf -q user set bob --org strict
	run -1 pam "$s" bob </dev/null                         # required, not enrolled: refused
	assert_output --partial "This account must set up two-factor authentication before it can log in here."
	assert_output --partial "Authentication failure"
	tf -q user set alice --org strict
	run -0 pam "$s" alice <<<"$(now_code alice)"           # required, enrolled: the code
}

@test "an unknown user is PAM_USER_UNKNOWN (and [user_unknown=ignore] lets the stack decide); a dashed name is no option" {
	local s t
	s=$(svc)
	run -1 pam "$s" nobody </dev/null
	assert_output --partial "User not known to the underlying authentication module"
	run -1 pam "$s" '-d/tmp' </dev/null
	assert_output --partial "User not known to the underlying authentication module"
	run -1 pam "$s" 'a b' </dev/null
	assert_output --partial "User not known to the underlying authentication module"
	t=$(service ignore "auth [success=ok user_unknown=ignore default=die] $MODULE dir=$TWOFACTL_DIR" \
		"auth required pam_permit.so")
	run -0 pam "$t" nobody </dev/null
	run -1 pam "$t" alice <<<"$(wrong_code alice)"
}

@test "store errors are PAM_AUTHINFO_UNAVAIL, never a success: missing key, corrupt file, busy, no store, no socket" {
	local s pid
	s=$(svc)
	tf -q config set lock.timeout 1
	pid=$(hold_store_lock)
	run -1 pam "$s" alice <<<"$(now_code alice)"
	kill "$pid"
	assert_output --partial "Authentication service cannot retrieve authentication info"
	f=$(account_files | head -1)
	cp "$f" "$BATS_TEST_TMPDIR/good"
	printf 'garbage' >"$f"
	run -1 pam "$s" alice </dev/null
	assert_output --partial "Authentication service cannot retrieve authentication info"
	cp "$BATS_TEST_TMPDIR/good" "$f"
	mv "$TWOFACTL_DIR/master.key" "$BATS_TEST_TMPDIR/key"
	run -1 pam "$s" alice </dev/null
	assert_output --partial "Authentication service cannot retrieve authentication info"
	mv "$BATS_TEST_TMPDIR/key" "$TWOFACTL_DIR/master.key"
	chmod 0755 "$TWOFACTL_DIR"                              # loose permissions: refused
	run -1 pam "$s" alice </dev/null
	assert_output --partial "Authentication service cannot retrieve authentication info"
	chmod 0700 "$TWOFACTL_DIR"
	s=$(service nostore "auth required $MODULE dir=$BATS_TEST_TMPDIR/none")
	run -1 pam "$s" alice </dev/null
	assert_output --partial "Authentication service cannot retrieve authentication info"
	s=$(service nosock "auth required $MODULE socket=$BATS_TEST_TMPDIR/no.sock")
	run -1 pam "$s" alice </dev/null
	assert_output --partial "Authentication service cannot retrieve authentication info"
	s=$(svc)
	run -0 pam "$s" alice <<<"$(now_code alice)"           # and all is well again
}

@test "an unknown option is PAM_SERVICE_ERR, not a weaker stack" {
	local s
	s=$(service typo "auth required $MODULE dir=$TWOFACTL_DIR use_frist_pass" "auth required pam_permit.so")
	run -1 pam "$s" alice </dev/null
	assert_output --partial "Error in service module"
	s=$(service rel "auth required $MODULE dir=relative/store" "auth required pam_permit.so")
	run -1 pam "$s" alice </dev/null
	assert_output --partial "Error in service module"
}

@test "prompt= replaces the prompt" {
	local s
	s=$(service p "auth required $MODULE dir=$TWOFACTL_DIR [prompt=Code from your app: ]")
	run -0 pam "$s" alice <<<"$(now_code alice)"
	assert_output --partial "Code from your app: "
	refute_output --partial "Verification code"
}

# A stack whose first module asks "Password: " and leaves the answer in
# PAM_AUTHTOK (pam_exec's expose_authtok), then pam_twofactl with MODE.
first_pass_stack() {
	printf '#!/bin/sh\ncat >/dev/null\n' >"$BATS_TEST_TMPDIR/drain.sh"
	chmod 0755 "$BATS_TEST_TMPDIR/drain.sh"
	service "$1" "auth optional pam_exec.so expose_authtok quiet $BATS_TEST_TMPDIR/drain.sh" \
		"auth required $MODULE dir=$TWOFACTL_DIR $1"
}

@test "use_first_pass takes the code from PAM_AUTHTOK and never sends a password to verify" {
	local s
	s=$(first_pass_stack use_first_pass)
	run -0 pam "$s" alice <<<"$(now_code alice)"
	refute_output --partial "Verification code"
	run -1 pam "$s" alice <<<"s3cret-password"
	refute_output --partial "Verification code"
	run -0 tf --json audit --user alice
	run -0 jq -se '[.[] | select(.event == "verify" and .service != null)] | length == 1' <<<"$output"
}

@test "try_first_pass tries a code from PAM_AUTHTOK, and prompts when there is none or it is wrong" {
	local s
	s=$(first_pass_stack try_first_pass)
	run -0 pam "$s" alice <<<"s3cret-password
$(now_code alice)"
	assert_output --partial "Verification code: "
	enrolled bob "$PAST"
	run -0 pam "$s" bob <<<"$(now_code bob)"
	refute_output --partial "Verification code"
	enrolled carol "$PAST"
	run -0 pam "$s" carol <<<"$(wrong_code carol)
$(now_code carol)"
	assert_output --partial "Verification code: "
}

# A module after pam_twofactl that accepts only when PAM_AUTHTOK is PASSWORD.
password_must_be() {
	cat >"$BATS_TEST_TMPDIR/pw.sh" <<-EOF
	#!/bin/sh
	[ "\$(tr -d '\\000')" = '$1' ]
	EOF
	chmod 0755 "$BATS_TEST_TMPDIR/pw.sh"
}

@test "forward_pass cuts the code off the end and hands the password to the next module" {
	local s
	password_must_be 'pass word 42'
	s=$(service fwd "auth required $MODULE dir=$TWOFACTL_DIR forward_pass" \
		"auth required pam_exec.so expose_authtok quiet $BATS_TEST_TMPDIR/pw.sh")
	run -0 pam "$s" alice <<<"pass word 42$(now_code alice)"
	assert_output --partial "Password & verification code: "
	enrolled bob "$PAST"
	run -1 pam "$s" bob <<<"wrong password$(now_code bob)"   # code right, password wrong
	run -1 pam "$s" bob <<<"pass word 42"                   # no code: refused, nothing verified
	# an 8-digit app: the last 8 characters are the code
	enrolled carol "$PAST" --digits 8
	run -0 pam "$s" carol <<<"pass word 42$(now_code carol)"
	# a backup code at the end, with or without its dashes
	b=$(grep -oE '[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}' "$BATS_TEST_TMPDIR/backup.carol" | sed -n 1p)
	run -0 pam "$s" carol <<<"pass word 42$b"
	b=$(grep -oE '[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}' "$BATS_TEST_TMPDIR/backup.carol" | sed -n 2p)
	run -0 pam "$s" carol <<<"pass word 42${b//-/}"
}

# (the code stands on a line of its own in the body, never in the Subject)
mail_code() { mail_to mail "$1" | sed -n 's/^    \([0-9]\{6\}\)$/\1/p'; }
mail_session() { mail_to mail "$1" | sed -n 's/^Subject: .*(session \([0-9]\{3\}\)).*/\1/p'; }

@test "email codes: sent first, the prompt shows the session id, the code from the real mail logs in" {
	local s addr="dave$BATS_TEST_NUMBER@example.org" pid code session n
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of mail)"
	tf -q config set smtp.from 2fa@example.org
	tf -q user add dave --email "$addr"
	tf -q --at "$PAST" enroll dave --method email >/dev/null
	tf -q --at "$PAST" confirm dave "$(mail_code "$addr")" >/dev/null
	n=$(mail_count mail "$addr")
	s=$(svc)
	mkfifo "$BATS_TEST_TMPDIR/in"
	pam "$s" dave <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	exec {feed}>"$BATS_TEST_TMPDIR/in"
	for _ in $(seq 100); do [ "$(mail_count mail "$addr")" -gt "$n" ] && break; sleep 0.1; done
	code=$(mail_code "$addr")
	session=$(mail_session "$addr")
	for _ in $(seq 100); do grep -q "session" "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	echo "$code" >&"$feed"
	exec {feed}>&-
	rc=0
	wait "$pid" || rc=$?
	run -0 cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial "Code sent by email, session $session: "
	assert_output --partial "successfully authenticated"
	assert_equal "$rc" 0
	# a second login within code.resend: nothing new is sent, the old code is asked for
	n=$(mail_count mail "$addr")
	run -1 pam "$s" dave <<<"$code"
	assert_output --partial "Code sent by email a moment ago: "
	assert_equal "$(mail_count mail "$addr")" "$n"
	# the mail server refuses: PAM_AUTHINFO_UNAVAIL, never a success
	tf -q config set smtp.url "smtp://127.0.0.1:$(free_port)"
	tf -q config set code.resend 1s
	sleep 1
	run -1 pam "$s" dave <<<"$code"
	assert_output --partial "The code could not be sent."
	assert_output --partial "Authentication service cannot retrieve authentication info"
}

@test "8 logins of different users at the same moment all pass" {
	local s pids=()
	s=$(svc)
	for i in $(seq 8); do enrolled "u$i" "$PAST"; done
	for i in $(seq 8); do
		rc_to "$BATS_TEST_TMPDIR/rc.$i" pam "$s" "u$i" <<<"$(now_code "u$i")" &
		pids+=($!)
	done
	wait "${pids[@]}"
	run -0 rc_summary
	assert_output "8 0"
}

# ---- a store owned by its own system user ----

owned_store() {
	id _twofactl >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin _twofactl
	PAM_BASE=$(mktemp -d /tmp/twofactl-pam.XXXXXX)
	chmod 0755 "$PAM_BASE"
	chown _twofactl "$PAM_BASE"   # the socket is made there by _twofactl
	export OWNED="$PAM_BASE/store"
	install -d -m 0700 -o _twofactl -g _twofactl "$OWNED"
	owner() { runuser -u _twofactl -- "$TWOFACTL" -d "$OWNED" "$@"; }
	owner_code() { owner code "$1"; }
	owner -q init
	owner -q user add erin
	owner -q --at "$PAST" enroll erin --qr none >/dev/null
	owner -q --at "$PAST" confirm erin "$(owner --at "$PAST" code erin)" >/dev/null
}

@test "as root the module's serve runs as the store's owner: every file keeps its owner" {
	local s
	owned_store
	s=$(service owned "auth required $MODULE dir=$OWNED")
	run -0 pam "$s" erin <<<"$(owner code erin)"
	run -0 find "$OWNED" ! -user _twofactl
	assert_output ""
	run -0 owner --json audit --user erin
	run -0 jq -se 'map(select(.event == "verify"))[-1].result == "ok"' <<<"$output"
}

@test "socket=: through systemd-socket-activate; root is admin unless role.admin says otherwise, then role.pam" {
	local s
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed"
	owned_store
	runuser -u _twofactl -- systemd-socket-activate --inetd --accept -l "$PAM_BASE/sock" \
		"$TWOFACTL" -d "$OWNED" serve 2>"$PAM_BASE/activate.log" &
	echo $! >"$PAM_BASE/activate.pid"
	for _ in $(seq 100); do [ -S "$PAM_BASE/sock" ] && break; sleep 0.05; done
	# the serve runs as the store's owner: dir= names the store, whose owner is believed
	s=$(service sockdirless "auth required $MODULE socket=$PAM_BASE/sock")
	run -1 pam "$s" erin <<<"$(owner code erin)"
	assert_output --partial "Authentication service cannot retrieve authentication info"
	s=$(service sock "auth required $MODULE dir=$OWNED socket=$PAM_BASE/sock")
	run -1 pam "$s" erin <<<"$(CODE_OF=owner_code wrong_code erin)"
	assert_output --partial "Authentication failure"
	owner -q config set role.admin _twofactl
	run -1 pam "$s" erin <<<"$(owner code erin)"           # root is nobody now: forbidden
	assert_output --partial "Authentication service cannot retrieve authentication info"
	owner -q config set role.pam root
	run -0 pam "$s" erin <<<"$(owner code erin)"
	run -0 owner --json audit
	run -0 jq -se '[.[] | select(.event == "serve.forbidden")] | length == 1' <<<"$output"
	kill "$(cat "$PAM_BASE/activate.pid")"
	rm -f "$PAM_BASE/activate.pid"
	run -1 pam "$s" erin </dev/null                          # nobody listens: never a success
	assert_output --partial "Authentication service cannot retrieve authentication info"
}

@test "a serve killed while the user types is started again before the code is sent" {
	local s pid child
	s=$(svc)
	mkfifo "$BATS_TEST_TMPDIR/in"
	pam "$s" alice <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	exec {feed}>"$BATS_TEST_TMPDIR/in"
	for _ in $(seq 100); do grep -q "Verification code" "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	pt=$(pgrep -P "$pid" -x pamtester || echo "$pid")
	child=$(pgrep -P "$pt" | head -1)
	[ -n "$child" ]
	kill -9 "$child"
	now_code alice >&"$feed"
	exec {feed}>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	run -0 cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial "successfully authenticated"
	run -0 tf fsck
}

@test "1000 authentications in one process under valgrind: no leak, no descriptor or child left, SIGCHLD untouched" {
	local s
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	s=$(svc)
	tf -q user add open
	tf -q org add relaxed --policy off
	tf -q user set open --org relaxed
	tf -q whitelist add alice 192.0.2.0/24
	tf -q config set lockout.after 100
	enrolled bob "$PAST"
	run -0 valgrind -q --vgdb=no --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
		"$LOOP" -p "$MODULE" "$s" 1000 open alice::192.0.2.1 nobody bob:123456:: bob:abcdefg:host.example
	assert_line "Success 400"
	assert_line "User not known to the underlying authentication module 200"
	assert_line --regexp "^(Authentication failure|Have exhausted maximum number of retries for service\.) "
	assert_line --regexp '^fds ([0-9]+) -> \1$'
	assert_line "children 0"
	assert_line "sigchld kept, handler called"
	# SIGCHLD ignored (children reaped by the kernel) or default: the same
	run -0 "$LOOP" -s ignore "$s" 20 open alice:0:192.0.2.1
	assert_line "Success 20"
	run -0 "$LOOP" -s default "$s" 20 open
	assert_line "children 0"
}

@test "socket=: an answer from a server run by another user is not believed" {
	local s
	PAM_BASE=$(shared_tmpdir)
	install -d -m 0755 -o nobody "$PAM_BASE/evil"
	# whoever can create a socket somewhere and says yes to everything
	runuser -u nobody -- /usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(4)
open(sys.argv[2], "w").write("ready")
s.settimeout(20)
for _ in range(4):
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    f = c.makefile("rwb")
    for line in f:
        f.write(b"{\"exit\": 0, \"output\": [], \"error\": null}\n"); f.flush()
    c.close()
' "$PAM_BASE/evil/tf.sock" "$PAM_BASE/evil/ready" &
	echo $! >"$PAM_BASE/activate.pid"
	wait_for "$PAM_BASE/evil/ready"
	s=$(service liar "auth required $MODULE socket=$PAM_BASE/evil/tf.sock")
	run -1 pam "$s" alice </dev/null
	assert_output --partial "Authentication service cannot retrieve authentication info"
	s=$(service liar2 "auth required $MODULE dir=$TWOFACTL_DIR socket=$PAM_BASE/evil/tf.sock")
	run -1 pam "$s" alice </dev/null
	assert_output --partial "Authentication service cannot retrieve authentication info"
}

# ---- what a frontend (www-data) cannot do to an enrolled account's SSH login ----

# A store owned by _twofactl served on a socket (as twofactl.socket does),
# www-data its frontend; bob has an app enrolled two minutes ago.
frontend_store() {
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed"
	system_user _twofactl
	PAM_BASE=$(mktemp -d /tmp/twofactl-pam.XXXXXX)
	chmod 0755 "$PAM_BASE"
	chown _twofactl "$PAM_BASE"
	FS_STORE="$PAM_BASE/store" FS_SOCK="$PAM_BASE/sock"
	install -d -m 0700 -o _twofactl -g _twofactl "$FS_STORE"
	fowner -q init
	fowner -q config set role.frontend www-data
	fowner -q user add bob --email bob@example.org
	fowner -q --at "$PAST" enroll bob --qr none >/dev/null
	fowner -q --at "$PAST" confirm bob "$(fowner --at "$PAST" code bob)" >/dev/null
	runuser -u _twofactl -- systemd-socket-activate --inetd --accept -l "$FS_SOCK" \
		"$TWOFACTL" -d "$FS_STORE" serve 2>"$PAM_BASE/activate.log" &
	echo $! >"$PAM_BASE/activate.pid"
	for _ in $(seq 100); do [ -S "$FS_SOCK" ] && break; sleep 0.05; done
	chmod 0666 "$FS_SOCK"
}
fowner() { runuser -u _twofactl -- "$TWOFACTL" -d "$FS_STORE" "$@"; }
frontend() { runuser -u www-data -- /usr/bin/python3 "$BATS_TEST_DIRNAME/serve_client.py" "$FS_SOCK"; }

@test "backup codes a frontend asks for without the account's code are not issued and open no SSH login" {
	frontend_store
	run -0 frontend <<<'{"argv": ["backup", "issue", "bob"]}'
	run -0 jq -e '.exit == 2 and .error.code == "code_required" and .output == []' <<<"$output"
	s=$(service ssh "auth required $MODULE dir=$FS_STORE")
	run pam "$s" bob <<<"aaaa-bbbb-cccc-dddd"
	assert_failure
}

@test "an app a frontend enrols without the account's code never becomes a second factor that opens SSH" {
	frontend_store
	run -0 frontend <<<'{"argv": ["enroll", "bob", "--qr", "none"]}'
	run -0 jq -e '.exit == 2 and .error.code == "code_required" and .output == []' <<<"$output"
	run -0 fowner --json user show bob
	run -0 jq -e '[.factors[]] | length == 1 and .[0].status == "active"' <<<"$output"
	# with bob's current code it may: the new app is pending until confirmed
	code=$(oathtool --totp -b "$(fowner --json show bob --qr none | jq -r .secret)")
	run -0 frontend <<<"{\"argv\": [\"enroll\", \"bob\", \"--qr\", \"none\"], \"stdin\": \"$code\\n\"}"
	run -0 jq -e '.exit == 0 and .output[0].status == "pending"' <<<"$output"
}

@test "a frontend cannot shed a required organisation by renaming the account away and adding it again" {
	frontend_store
	fowner -q org add acme --policy required
	fowner -q user set bob --org acme
	code=$(oathtool --totp -b "$(fowner --json show bob --qr none | jq -r .secret)")
	frontend <<-EOF >"$PAM_BASE/answers"
	{"argv": ["user", "rename", "bob", "bob-old"], "stdin": "$code\n"}
	{"argv": ["user", "add", "bob"]}
	EOF
	run -0 jq -se '.[0].exit == 2 and .[0].error.code == "forbidden" and .[1].exit == 2' "$PAM_BASE/answers"
	s=$(service ssh "auth required $MODULE dir=$FS_STORE")
	run pam "$s" bob </dev/null
	assert_failure
	run -10 fowner check bob
}
