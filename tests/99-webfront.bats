#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The client examples of share/examples/ (PHP and Python), run as www-data
# against twofactl serve started by the real socket activation as the
# _twofactl user, on a store made the way README's "Web front end" makes it:
# a whole login with an emailed code (a real SMTP server on 127.0.0.1), an
# enrolment with an app, the forbidden requests, and every error type.
load helper

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	start_smtp mail
}

teardown_file() { stop_peers; }

setup() {
	need_root
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed (package systemd)"
	command -v php >/dev/null || skip "php is not installed (package php-cli)"
	system_user _twofactl
	BASE=$(shared_tmpdir)
	export TWOFACTL_DIR="$BASE/store" SOCK="$BASE/run/twofactl.sock"
	MAIL="user$BATS_TEST_NUMBER@example.org"
	# systemd-tmpfiles makes the directory; root's init then acts as its owner
	install -d -m 0700 -o _twofactl -g _twofactl "$TWOFACTL_DIR"
	install -d -m 0755 -o _twofactl -g _twofactl "$BASE/run"
	tf -q init
	tf -q config set role.frontend @www-data
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of mail)"
	tf -q config set smtp.from 2fa@example.org
	tf -q config set issuer "Example Hosting"
	tf -q config set code.resend 0s   # the login's code right after the enrolment's
	# twofactl.socket and twofactl@.service, without systemd as PID 1
	runuser -u _twofactl -- systemd-socket-activate --inetd --accept -l "$SOCK" \
		"$TWOFACTL" -d "$TWOFACTL_DIR" serve 2>"$BASE/activate.log" 3>&- &
	echo $! >"$BASE/pid"
	for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
	chgrp www-data "$SOCK"   # SocketGroup=www-data
	chmod 0660 "$SOCK"       # SocketMode=0660
}

teardown() {
	[ -n "${BASE:-}" ] || return 0
	kill "$(cat "$BASE/pid")" 2>/dev/null || true
	rm -rf "$BASE"
}

# web LANG CALL ARGS...: the example of LANG called as the web application
# (www-data) would, through tests/webfront.{php,py}; a code on stdin.
web() {
	local lang=$1
	shift
	case $lang in
	php) runuser -u www-data -- php "$BATS_TEST_DIRNAME/webfront.php" "${WEB_SOCK:-$SOCK}" "$@" ;;
	python) runuser -u www-data -- /usr/bin/python3 "$BATS_TEST_DIRNAME/webfront.py" "${WEB_SOCK:-$SOCK}" "$@" ;;
	esac
}

# (the code stands on a line of its own in the body, never in the Subject)
code_in_mail() { mail_to mail "$MAIL" | sed -n 's/^    \([0-9]\{6\}\)$/\1/p'; }
session_in_mail() { mail_to mail "$MAIL" | sed -n 's/^Subject: .*(session \([0-9]\{3\}\)).*/\1/p'; }

# An account whose second factor is email codes, set up by an administrator.
email_account() {
	tf -q user add "$1" --email "$MAIL"
	tf -q enroll "$1" --method email >/dev/null
	tf -q confirm "$1" "$(code_in_mail)" >/dev/null
}

login_by_email() {
	local lang=$1 code session
	email_account dave
	run -0 web "$lang" check dave 198.51.100.7
	run -0 jq -e '.need == 10 and (.methods | index("email"))' <<<"$output"
	run -0 web "$lang" send dave email
	session=$(jq -r .session <<<"$output")
	assert_regex "$session" '^[0-9]{3}$'
	assert_equal "$(session_in_mail)" "$session"
	code=$(code_in_mail)
	run -0 web "$lang" verify dave 198.51.100.7 <<<"$code"
	run -0 jq -e '.accepted == true' <<<"$output"
	# the same code again: refused, as a rejection
	run -1 web "$lang" verify dave 198.51.100.7 <<<"$code"
	run -0 jq -e '.error == "Rejected" and (.word == "rejected" or .word == "replayed") and .exit == 1' <<<"$output"
	# the audit log has both, from the address the front end passed on
	run -0 tf --json audit --user dave
	run -0 jq -se '[.[] | select(.event == "verify" and .ip == "198.51.100.7") | .result] == ["ok-email", "rejected"]' <<<"$output"
}

enrol_an_app() {
	local lang=$1 uri secret code backup
	tf -q user add erin --email "$MAIL"
	run -0 web "$lang" enroll erin
	uri=$(jq -r .uri <<<"$output")
	secret=$(jq -r .secret <<<"$output")
	assert_regex "$secret" '^[A-Z2-7]{32}$'
	assert_regex "$uri" "^otpauth://totp/.*erin\?secret=$secret&"
	# the URI is the QR code's data: drawn by any QR library, it reads back
	qrencode -o "$BASE/qr.png" "$uri"
	assert_equal "$(qr_decode "$BASE/qr.png")" "$uri"
	code=$(oathtool --totp -b "$secret")
	run -0 web "$lang" confirm erin <<<"$code"
	backup=$(jq -r '.backup_codes[0]' <<<"$output")
	run -0 jq -e '.backup_codes | length == 10 and all(test("^[a-z2-7]{4}(-[a-z2-7]{4}){3}$"))' <<<"$output"
	run -0 web "$lang" check erin 198.51.100.7
	run -0 jq -e '.need == 10 and (.methods | index("totp")) and (.methods | index("backup"))' <<<"$output"
	run -0 web "$lang" verify erin 198.51.100.7 <<<"$backup"
	run -1 web "$lang" verify erin 198.51.100.7 <<<"$backup"
	run -0 jq -e '.error == "Rejected"' <<<"$output"
	# a second app on an enrolled account: only with a current code of the first
	run -1 web "$lang" enroll erin totp
	run -0 jq -e '.error == "CodeRequired" and .word == "code_required" and .exit == 2' <<<"$output"
	run -0 web "$lang" enroll erin totp - <<<"$(oathtool --totp -b -N "@$(( $(date +%s) + 30 ))" "$secret")"
	run -0 jq -e '.status == "pending" and .secret != "'"$secret"'"' <<<"$output"
}

FORBIDDEN=(
	'["export"]' '["export", "--include-secrets"]' '["import", "/etc/passwd"]' '["code", "dave"]'
	'["user", "list"]' '["user", "del", "dave"]' '["user", "unlock", "dave"]'
	'["config", "set", "policy.default", "off"]' '["config", "list"]' '["rekey"]' '["fsck"]'
	'["audit"]' '["recovery", "approve", "1"]' '["disable", "dave", "--force"]'
	'["verify", "dave", "123456", "--at", "1"]' '["enroll", "dave", "-o", "/tmp/x.png"]'
	'["init"]' '["serve"]' '["batch"]' '["expire"]' '["org", "list"]'
)

refuse_what_is_not_a_customers() {
	local lang=$1
	email_account dave
	for r in "${FORBIDDEN[@]}"; do
		run -1 web "$lang" request "$r"
		jq -e '.error == "Forbidden" and .word == "forbidden" and .exit == 2' <<<"$output" >/dev/null ||
			fail "not refused as forbidden: $r: $output"
	done
	run -0 tf --json audit
	run -0 jq -se --argjson n "${#FORBIDDEN[@]}" \
		'[.[] | select(.event == "serve.forbidden" and (.detail | test("^uid 33, role frontend")))] | length == $n' <<<"$output"
	# nothing changed: the account is there, with its factor
	run -0 tf --json user show dave
	run -0 jq -e '.enabled == true' <<<"$output"
}

map_every_error() {
	local lang=$1
	email_account dave
	run -1 web "$lang" check nobody 198.51.100.7
	run -0 jq -e '.error == "NotFound" and .word == "not_found" and .exit == 3' <<<"$output"
	run -1 web "$lang" send dave sms
	run -0 jq -e '.error == "EnrolmentNeeded" and .word == "enrolment_needed" and .exit == 11' <<<"$output"
	run -1 web "$lang" enroll dave
	run -0 jq -e '.error == "CodeRequired" and .word == "code_required" and .exit == 2' <<<"$output"
	run -1 web "$lang" request '["verify"]'
	run -0 jq -e '.error == "BadRequest" and .word == "usage" and .exit == 2' <<<"$output"
	run -1 web "$lang" request '["verify", "dave", "--ip", "not-an-address"]'
	run -0 jq -e '.error == "BadRequest"' <<<"$output"
	tf -q config set lockout.after 3
	for _ in 1 2 3; do
		run -1 web "$lang" verify dave 198.51.100.7 <<<"000000"
		run -0 jq -e '.error == "Rejected"' <<<"$output"
	done
	run -1 web "$lang" verify dave 198.51.100.7 <<<"000000"
	run -0 jq -e '.error == "Locked" and .exit == 4' <<<"$output"
	# no serve behind the socket: an error of its own, not a crash
	WEB_SOCK="$BASE/run/nothing.sock" run -1 web "$lang" check dave 198.51.100.7
	run -0 jq -e '.error == "Unavailable" and .exit == null' <<<"$output"
}

@test "PHP: a whole login with an emailed code; the code is refused the second time" { login_by_email php; }
@test "Python: a whole login with an emailed code; the code is refused the second time" { login_by_email python; }
@test "PHP: an enrolment with an app: URI, confirm with its code, backup codes that work once" { enrol_an_app php; }
@test "Python: an enrolment with an app: URI, confirm with its code, backup codes that work once" { enrol_an_app python; }
@test "PHP: 21 requests only an administrator may make are forbidden and audited" { refuse_what_is_not_a_customers php; }
@test "Python: 21 requests only an administrator may make are forbidden and audited" { refuse_what_is_not_a_customers python; }
@test "PHP: every error word has its exception class" { map_every_error php; }
@test "Python: every error word has its exception class" { map_every_error python; }
