#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# One-time codes by email and SMS, against a real SMTP server (aiosmtpd)
# and an HTTP sink standing in for the SMS gateway, both on 127.0.0.1.
load helper

setup_file() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$BATS_FILE_TMPDIR/key.pem" \
		-out "$BATS_FILE_TMPDIR/cert.pem" 2>/dev/null
	start_smtp plain
	start_smtp secure --tls "$BATS_FILE_TMPDIR/cert.pem" "$BATS_FILE_TMPDIR/key.pem" \
		--auth "mailer:s3cret-smtp-pass"
	# offers AUTH without STARTTLS, and notes every AUTH it gets
	start_smtp clearauth --auth "mailer:s3cret-smtp-pass" --auth-log "$BATS_FILE_TMPDIR/clearauth.auth"
	start_hung_server hung
	start_http_sink
}

teardown_file() { stop_peers; }

setup() {
	setup_store
	N=$BATS_TEST_NUMBER
	MAIL="alice$N@example.org"
	PHONE="+42060000$(printf %04d "$N")"
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of plain)"
	tf -q config set smtp.from "2fa@example.org"
	tf -q config set issuer "Example Hosting"
	tf -q config set sms.url "http://127.0.0.1:$(port_of sink)/send"
	tf -q user add alice --email "$MAIL" --phone "$PHONE"
}

# code_in_mail: the 6-digit code of the newest mail to $MAIL (on a line of
# its own in the body: never in the Subject, which lock screens show)
code_in_mail() { mail_to plain "$MAIL" | sed -n 's/^    \([0-9]\{6\}\)$/\1/p'; }
session_in_mail() { mail_to plain "$MAIL" | sed -n 's/^Subject: .*(session \([0-9]\{3\}\)).*/\1/p'; }
# sms_text: the decoded text of the newest gateway request for $PHONE
sms_text() {
	sms_request "${PHONE/+/%2B}" | jq -r .body |
		/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.parse_qs(sys.stdin.read())["text"][0])'
}
code_in_sms() { sms_text | grep -oE 'code [0-9]{6}' | cut -c6-; }

# email enrolled and confirmed at T0
email_enrolled() {
	tf -q --at $T0 enroll alice --method email >/dev/null
	tf -q --at $T0 confirm alice "$(code_in_mail)" >/dev/null
}
sms_enrolled() {
	tf -q --at $T0 enroll alice --method sms >/dev/null
	tf -q --at $T0 confirm alice "$(code_in_sms)" >/dev/null
}

@test "enroll --method email sends a confirmation code; confirm activates it and says so by email" {
	run -0 tf --json --at $T0 enroll alice --method email
	session=$(jq -r .session <<<"$output")
	[[ $session =~ ^[0-9]{3}$ ]]
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: confirm this address (session $session)"
	assert_line "From: 2fa@example.org"
	run -0 tf --json --at $((T0 + 10)) confirm alice "$(code_in_mail)"
	run -0 jq -e '.type=="email" and .status=="active" and (.backup_codes|length)==10' <<<"$output"
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: two-factor authentication by email is on"
}

@test "the user is told by email when a factor is removed and when 2FA is turned off, whoever did it" {
	tf -q --at $T0 enroll alice --qr none >/dev/null
	tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)" >/dev/null
	sms_enrolled
	sms=$(tf --json user show alice | jq -r '.factors[] | select(.type=="sms") | .id')
	before=$(mail_count plain "$MAIL")
	run -0 tf --at $((T0 + 60)) disable alice --force --factor "$sms"
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: a login method was removed from your account"
	assert_output --partial "at 2027-01-15T08:01:00Z a second factor was removed from your Example Hosting account: sms."
	run -0 tf --at $((T0 + 90)) disable alice "$(tf --at $((T0 + 90)) code alice)"
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: two-factor authentication was turned off"
	assert_output --partial "two-factor authentication was turned off for your Example Hosting account at"
	assert_equal "$(mail_count plain "$MAIL")" "$((before + 2))"
	# a mail server that is down never undoes the removal: a warning, exit 0
	tf -q --at $((T0 + 120)) enroll alice --qr none >/dev/null
	tf -q --at $((T0 + 120)) confirm alice "$(tf --at $((T0 + 120)) code alice)" >/dev/null
	tf -q config set smtp.url "smtp://127.0.0.1:1"
	run -0 --separate-stderr tf --at $((T0 + 150)) disable alice --force
	[[ $stderr == *"warning: two-factor authentication is off, but the message telling the user was not delivered"* ]]
	run -0 tf --json user show alice
	run -0 jq -e '.enabled == false' <<<"$output"
}

@test "a login code by email: the message carries the session id and the code, verify accepts it once" {
	email_enrolled
	run -0 tf --json --at $((T0 + 60)) send alice --via email
	session=$(jq -r .session <<<"$output")
	run -0 jq -e '.via=="email" and .purpose=="login" and .expires==1800000360' <<<"$output"
	assert_equal "$(session_in_mail)" "$session"
	run -0 mail_to plain "$MAIL"
	assert_output --partial "Session $session: check that the login page shows the same number"
	c=$(code_in_mail)
	run -0 tf --at $((T0 + 70)) verify alice "$c"
	assert_output "accepted (email code)"
	run -1 tf --at $((T0 + 71)) verify alice "$c"
}

@test "only a hash of the code is stored" {
	email_enrolled
	tf -q --at $((T0 + 60)) send alice --via email >/dev/null
	c=$(code_in_mail)
	# six digits turn up by chance in the base64 of the sealed audit log:
	# the log is checked through its decryption instead
	run -1 grep -ralF --exclude=audit.log "$c" "$TWOFACTL_DIR"
	run -0 tf audit
	refute_output --partial "$c"
}

@test "send needs the channel enrolled as a method" {
	run -11 --separate-stderr tf send alice --via email
	assert_equal "$stderr" "twofactl: send alice: email is not an enrolled method of alice: run twofactl enroll alice --method email"
	run -2 tf send alice
	run -2 tf send alice --via pigeon
	run -3 tf send nobody --via email
}

@test "an expired code is refused" {
	email_enrolled
	tf -q --at $((T0 + 60)) send alice --via email >/dev/null
	run -1 --separate-stderr tf --at $((T0 + 360)) verify alice "$(code_in_mail)"
	assert_equal "$stderr" "twofactl: verify alice: code rejected: it expired, send a new one"
}

@test "a code is used up by 5 wrong tries" {
	email_enrolled
	tf -q --at $((T0 + 60)) send alice --via email >/dev/null
	c=$(code_in_mail)
	for i in 1 2 3 4 5; do
		run -1 tf --at $((T0 + 61)) verify alice "$(printf '%06d' $(( (10#$c + i) % 1000000 )))"
	done
	run -1 tf --at $((T0 + 62)) verify alice "$c"
}

@test "resend is limited to one per 30 s and channel, with the seconds to wait" {
	email_enrolled
	tf -q --at $((T0 + 60)) send alice --via email >/dev/null
	run -4 --separate-stderr tf --at $((T0 + 70)) send alice --via email
	assert_equal "$stderr" "twofactl: send alice: a login code was sent 10 s ago: wait 20 s before another"
	run -0 --separate-stderr "$TWOFACTL" serve <<<"{\"argv\": [\"send\", \"alice\", \"--via\", \"email\", \"--at\", \"$((T0 + 71))\"]}"
	run -0 jq -e '.exit == 4 and .error.code == "rate_limited"' <<<"$output"
	run -0 tf -q --at $((T0 + 90)) send alice --via email
	assert_output --regexp '^[0-9]{3}$'
}

@test "the first login right after enrolling by email or SMS is not held back: the resend interval is per purpose" {
	tf -q --at $T0 enroll alice --method email >/dev/null
	tf -q --at $((T0 + 5)) confirm alice "$(code_in_mail)" >/dev/null
	run -0 tf -q --at $((T0 + 6)) send alice --via email
	assert_output --regexp '^[0-9]{3}$'
	run -0 tf --at $((T0 + 7)) verify alice "$(code_in_mail)"
	# a second login code still waits for code.resend
	run -4 --separate-stderr tf --at $((T0 + 8)) send alice --via email
	assert_equal "$stderr" "twofactl: send alice: a login code was sent 2 s ago: wait 28 s before another"
	# the same by SMS
	tf -q --at $T0 enroll alice --method sms >/dev/null
	tf -q --at $((T0 + 5)) confirm alice "$(code_in_sms)" >/dev/null
	run -0 tf -q --at $((T0 + 6)) send alice --via sms
	run -0 tf --at $((T0 + 7)) verify alice "$(code_in_sms)"
	# and the enrolment code itself is resent no sooner than before
	tf -q user add bob --email "bob$N@example.org"
	tf -q --at $T0 enroll bob --method email >/dev/null
	run -4 tf --at $((T0 + 10)) send bob --via email --purpose enroll
	run -0 tf -q --at $((T0 + 30)) send bob --via email --purpose enroll
}

@test "a new code never resets the failure count" {
	email_enrolled
	for i in 1 2 3; do tf --at $((T0 + 60)) verify alice 000000 2>/dev/null || true; done
	tf -q --at $((T0 + 60)) send alice --via email >/dev/null
	run -0 tf --json user show alice
	run -0 jq -e '.failures==3' <<<"$output"
	tf -q config set lockout.after 4
	tf --at $((T0 + 61)) verify alice 000001 2>/dev/null || true
	run -4 tf --at $((T0 + 62)) verify alice "$(code_in_mail)"
	run -4 tf --at $((T0 + 62)) send alice --via email
}

@test "a code lifetime above 10 minutes is refused" {
	run -2 tf config set code.ttl 11m
	run -0 tf config set code.ttl 10m
	email_enrolled
	run -0 tf --json --at $((T0 + 60)) send alice --via email
	run -0 jq -e '.expires==1800000660' <<<"$output"
}

@test "an SMTP server that is down is exit 6 and nothing is recorded as sent" {
	email_enrolled
	tf -q config set smtp.url "smtp://127.0.0.1:$(free_port)"
	tf -q config set delivery.timeout 2s
	run -6 --separate-stderr tf --at $((T0 + 60)) send alice --via email
	assert_output ""
	assert_equal "$stderr" "$(printf '%s' "$stderr" | head -1)"
	assert_regex "$stderr" '^twofactl: send alice: delivery failed: smtp://127\.0\.0\.1:[0-9]+: Failed to connect'
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of plain)"
	run -0 tf -q --at $((T0 + 61)) send alice --via email   # not rate limited: nothing was sent
}

@test "a recipient the server refuses is exit 6 with the server's answer" {
	tf -q user set alice --email "reject$N@example.org"
	run -6 --separate-stderr tf --at $T0 enroll alice --method email
	assert_regex "$stderr" '^twofactl: enroll alice: delivery failed: .*550'
	run -0 tf --json user show alice
	run -0 jq -e '(.factors|length)==0' <<<"$output"
}

@test "STARTTLS and AUTH with the password from a file; the password never shows" {
	echo "s3cret-smtp-pass" >"$BATS_TEST_TMPDIR/smtp.pw"
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of secure)"
	tf -q config set smtp.tls starttls
	tf -q config set smtp.ca_file "$BATS_FILE_TMPDIR/cert.pem"
	tf -q config set smtp.user mailer
	tf -q config set smtp.password_file "$BATS_TEST_TMPDIR/smtp.pw"
	run -0 tf --at $T0 enroll alice --method email
	run -0 mail_to secure "$MAIL"
	assert_line --regexp "^Subject: Example Hosting: confirm this address \\(session [0-9]{3}\\)$"
	echo "wrong-password" >"$BATS_TEST_TMPDIR/smtp.pw"
	run -6 --separate-stderr tf --at $((T0 + 60)) enroll alice --method email
	refute_output --partial "wrong-password"
	[[ $stderr != *wrong-password* && $stderr != *s3cret* ]]
	run -1 grep -rl -e s3cret -e wrong-password "$TWOFACTL_DIR"
}

@test "STARTTLS required against a server without it fails closed" {
	tf -q config set smtp.tls starttls
	run -6 --separate-stderr tf --at $T0 enroll alice --method email
	assert_regex "$stderr" 'delivery failed'
}

@test "enrolling SMS without a mobile number is exit 11 and says how to fix it" {
	tf -q user set alice --phone ""
	run -11 --separate-stderr tf enroll alice --method sms
	assert_equal "$stderr" "twofactl: enroll alice: no mobile number known for alice: set one with user set --phone"
}

@test "SMS through the gateway: body, authorization header, and the code verifies" {
	echo "Authorization: Bearer gw-token-123" >"$BATS_TEST_TMPDIR/sms.hdr"
	tf -q config set sms.header_file "$BATS_TEST_TMPDIR/sms.hdr"
	run -0 tf --json --at $T0 enroll alice --method sms
	session=$(jq -r .session <<<"$output")
	run -0 sms_request "${PHONE/+/%2B}"
	run -0 jq -e --arg to "$PHONE" '.method=="POST" and .path=="/send"
	    and .headers.Authorization=="Bearer gw-token-123"
	    and (.body|startswith("to=" + ($to|@uri)))' <<<"$output"
	run -0 sms_text
	assert_output --regexp "^Example Hosting: code [0-9]{6} confirms this number for login codes \(session $session, 5 min\)\.$"
	run -0 tf --at $((T0 + 5)) confirm alice "$(code_in_sms)"
	run -0 tf --at $((T0 + 60)) send alice --via sms
	run -0 tf --at $((T0 + 65)) verify alice "$(code_in_sms)"
	assert_output "accepted (sms code)"
	run -1 grep -rl gw-token-123 "$TWOFACTL_DIR"
}

@test "a gateway answering 500 is exit 6 with its answer; nothing is recorded" {
	tf -q config set sms.url "http://127.0.0.1:$(port_of sink)/fail"
	run -6 --separate-stderr tf --at $T0 enroll alice --method sms
	assert_equal "$stderr" "twofactl: enroll alice: delivery failed: http://127.0.0.1:$(port_of sink)/fail: gateway answered 500: gateway exploded second line"
	run -0 tf --json user show alice
	run -0 jq -e '(.factors|length)==0' <<<"$output"
}

@test "a gateway that does not answer in time is exit 6" {
	tf -q config set sms.url "http://127.0.0.1:$(port_of sink)/slow"
	tf -q config set delivery.timeout 1s
	run -6 --separate-stderr tf --at $T0 enroll alice --method sms
	assert_regex "$stderr" 'delivery failed: .*(timed out|Timeout)'
}

@test "GET gateways get the parameters in the query" {
	tf -q config set sms.method GET
	tf -q config set sms.url "http://127.0.0.1:$(port_of sink)/send?key=abc"
	tf -q config set sms.body "dest={to}&msg={text}"
	run -0 tf --at $T0 enroll alice --method sms
	run -0 sms_request "dest=${PHONE/+/%2B}"
	run -0 jq -e '.method=="GET" and (.path|startswith("/send?key=abc&dest=%2B"))' <<<"$output"
}

@test "linking an app to an SMS account needs both codes" {
	sms_enrolled
	tf -q --at $((T0 + 30)) enroll alice --qr none
	app=$(tf --at $((T0 + 30)) code alice --factor 2)
	run -2 --separate-stderr tf --at $((T0 + 30)) confirm alice "$app"
	assert_equal "$stderr" "twofactl: confirm alice: the account's active method is SMS: give --sms-code (send one with: twofactl send alice --via sms --purpose confirm)"
	run -0 tf --at $((T0 + 30)) send alice --via sms --purpose confirm
	run -1 tf --at $((T0 + 31)) confirm alice "$app" --sms-code 000000
	run -0 tf --at $((T0 + 90)) send alice --via sms --purpose confirm
	run -0 tf --at $((T0 + 91)) confirm alice "$(tf --at $((T0 + 91)) code alice --factor 2)" --sms-code "$(code_in_sms)"
	run -0 tf --json user show alice
	run -0 jq -e '[.factors[]|select(.status=="active")|.type]==["sms","totp"]' <<<"$output"
}

@test "--sms-code - reads the SMS code from stdin, after the app's code when that comes from there too" {
	sms_enrolled
	tf -q --at $((T0 + 30)) enroll alice --qr none
	tf -q --at $((T0 + 30)) send alice --via sms --purpose confirm >/dev/null
	sms=$(code_in_sms)
	app=$(tf --at $((T0 + 31)) code alice --factor 2)
	run -2 tf --at $((T0 + 31)) confirm alice "$app" --sms-code - </dev/null
	run -0 tf --at $((T0 + 31)) confirm alice --sms-code - <<<"$app"$'\n'"$sms"
	run -0 tf --json user show alice
	run -0 jq -e '[.factors[]|select(.status=="active")|.type]==["sms","totp"]' <<<"$output"
	tf -q --at $((T0 + 60)) enroll alice --qr none --method hotp
	tf -q --at $((T0 + 90)) send alice --via sms --purpose confirm >/dev/null
	run -0 tf --at $((T0 + 91)) confirm alice "$(tf --at $((T0 + 91)) code alice --factor 3)" --sms-code - <<<"$(code_in_sms)"
}

@test "an internationalised email domain and a phone number typed with spaces get their messages" {
	tf -q user add jan --email "jan$N@bücher.example" --phone "+420 600 01 $(printf %04d "$N")"
	run -0 tf --at $T0 enroll jan --method email
	run -0 mail_to plain "jan$N@xn--bcher-kva.example"
	assert_line --partial "Subject: Example Hosting"
	run -0 tf --at $T0 enroll jan --method sms
	run -0 sms_request "%2B42060001$(printf %04d "$N")"
}

@test "the spool transport writes each message as a file" {
	mkdir -m 700 "$BATS_TEST_TMPDIR/spool"
	tf -q config set smtp.url "spool:$BATS_TEST_TMPDIR/spool"
	tf -q config set sms.url "spool:$BATS_TEST_TMPDIR/spool"
	run -0 tf --at $T0 enroll alice --method email
	run -0 tf --at $T0 enroll alice --method sms
	run -0 sh -c "cat '$BATS_TEST_TMPDIR'/spool/*.eml"
	assert_line --partial "To: $MAIL"
	assert_line --regexp '^Subject: Example Hosting: confirm this address \(session [0-9]{3}\)'
	run -0 sh -c "cat '$BATS_TEST_TMPDIR'/spool/*.sms"
	assert_line "To: $PHONE"
	run -0 find "$BATS_TEST_TMPDIR/spool" -name '.tmp-*'
	assert_output ""
}

@test "messages follow the account's language and fall back to English" {
	tf -q user set alice --lang cs
	tf -q --at $T0 enroll alice --method email
	run -0 mail_to plain "$MAIL"
	assert_line --regexp '^Subject: Example Hosting: potvrďte tuto adresu \(relace [0-9]{3}\)$'
	tf -q user set alice --lang de
	tf -q --at $((T0 + 60)) enroll alice --method email
	run -0 mail_to plain "$MAIL"
	assert_line --regexp '^Subject: Example Hosting: confirm this address '
}

@test "login codes in every language of the seeds: Czech, Catalan, Dutch, Hungarian" {
	email_enrolled
	t=$((T0 + 60))
	for l in cs ca nl hu; do
		tf -q user set alice --lang $l
		tf -q --at $t send alice --via email >/dev/null
		run -0 mail_to plain "$MAIL"
		case $l in
		cs) assert_line --regexp '^Subject: Example Hosting: přihlašovací kód \(relace [0-9]{3}\)$' ;;
		ca) assert_line --regexp "^Subject: Example Hosting: el seu codi d'inici de sessió \(sessió [0-9]{3}\)$" ;;
		nl) assert_line --regexp '^Subject: Example Hosting: je inlogcode \(sessie [0-9]{3}\)$' ;;
		hu) assert_line --regexp '^Subject: Example Hosting: belépési kód \(munkamenet [0-9]{3}\)$' ;;
		esac
		t=$((t + 60))
	done
}

@test "an email code dies when the address changes, an SMS code when the number changes" {
	email_enrolled
	sms_enrolled
	tf -q --at $((T0 + 60)) send alice --via email >/dev/null
	c=$(code_in_mail)
	tf -q user set alice --email "new$N@example.org"
	run -1 tf --at $((T0 + 61)) verify alice "$c"
	tf -q --at $((T0 + 60)) send alice --via sms >/dev/null
	s=$(code_in_sms)
	tf -q user set alice --phone "+42077700$(printf %04d "$N")"
	run -1 tf --at $((T0 + 61)) verify alice "$s"
	tf -q user set alice --email "$MAIL"   # back to the old address: the code stays dead
	run -1 tf --at $((T0 + 62)) verify alice "$c"
}

@test "email and SMS codes die with their factor and with a password change" {
	email_enrolled
	sms_enrolled
	tf -q --at $((T0 + 60)) send alice --via email >/dev/null
	c=$(code_in_mail)
	run -0 tf --json user show alice
	sms_id=$(jq '.factors[]|select(.type=="sms")|.id' <<<"$output")
	tf -q --at $((T0 + 60)) send alice --via sms >/dev/null
	s=$(code_in_sms)
	run -0 tf disable alice --force --factor "$sms_id"
	run -1 tf --at $((T0 + 61)) verify alice "$s"
	run -1 tf --at $((T0 + 61)) verify alice "$c"   # every sent code goes with a factor
	tf -q --at $((T0 + 120)) send alice --via email >/dev/null
	c=$(code_in_mail)
	tf passwd alice <<<"a new password here" >/dev/null
	run -1 tf --at $((T0 + 121)) verify alice "$c"
	tf -q --at $((T0 + 180)) send alice --via email >/dev/null
	run -0 tf --at $((T0 + 181)) verify alice "$(code_in_mail)"
}

@test "a code sent to confirm a change is not a login code, nor the other way round" {
	sms_enrolled
	tf -q --at $((T0 + 30)) enroll alice --qr none
	tf -q --at $((T0 + 60)) send alice --via sms --purpose confirm >/dev/null
	confirm=$(code_in_sms)
	run -1 --separate-stderr tf --at $((T0 + 61)) verify alice "$confirm"
	assert_equal "$stderr" "twofactl: verify alice: code rejected: it was sent for confirming a change, not for this"
	run -0 tf --at $((T0 + 62)) confirm alice "$(tf --at $((T0 + 62)) code alice --factor 2)" --sms-code "$confirm"
	tf -q --at $((T0 + 120)) send alice --via sms >/dev/null
	login=$(code_in_sms)
	run -1 --separate-stderr tf --at $((T0 + 121)) disable alice "$login"
	assert_equal "$stderr" "twofactl: disable alice: code rejected: it was sent for a login, not for this"
	run -0 tf --at $((T0 + 122)) verify alice "$login"
	assert_output "accepted (sms code)"
}

@test "an SMTP password is never sent in clear: no STARTTLS offered is exit 6 unless smtp.tls none" {
	echo "s3cret-smtp-pass" >"$BATS_TEST_TMPDIR/smtp.pw"
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of clearauth)"
	tf -q config set smtp.user mailer
	tf -q config set smtp.password_file "$BATS_TEST_TMPDIR/smtp.pw"
	: >"$BATS_FILE_TMPDIR/clearauth.auth"
	run -6 --separate-stderr tf --at $T0 enroll alice --method email
	assert_regex "$stderr" '^twofactl: enroll alice: delivery failed: smtp://127\.0\.0\.1:[0-9]+: .*STARTTLS'
	tf -q config set smtp.tls try
	run -6 tf --at $T0 enroll alice --method email
	run -0 cat "$BATS_FILE_TMPDIR/clearauth.auth"
	assert_output ""
	run -0 mail_count clearauth "$MAIL"
	assert_output 0
	tf -q config set smtp.tls none   # the administrator's explicit choice
	run -0 tf --at $T0 enroll alice --method email
	run -0 cat "$BATS_FILE_TMPDIR/clearauth.auth"
	assert_output --regexp '^AUTH [A-Z]+ mailer tls=False$'
	run -0 mail_count clearauth "$MAIL"
	assert_output 1
}

@test "credentials in smtp.url are credentials: never in clear, never in a message" {
	: >"$BATS_FILE_TMPDIR/clearauth.auth"
	tf -q config set smtp.url "smtp://mailer:s3cret-smtp-pass@127.0.0.1:$(port_of clearauth)"
	run -6 --separate-stderr tf --at $T0 enroll alice --method email
	assert_regex "$stderr" '^twofactl: enroll alice: delivery failed: smtp://127\.0\.0\.1:[0-9]+: .*STARTTLS'
	run -6 --separate-stderr tf --json --at $T0 enroll alice --method email
	refute_output --partial "s3cret"
	run -0 cat "$BATS_FILE_TMPDIR/clearauth.auth"
	assert_output ""
	run -0 mail_count clearauth "$MAIL"
	assert_output 0
}

@test "an SMS gateway's token goes in clear over http:// only to this machine" {
	echo "Authorization: Bearer gw-token-123" >"$BATS_TEST_TMPDIR/sms.hdr"
	tf -q config set sms.header_file "$BATS_TEST_TMPDIR/sms.hdr"
	# ip6-localhost is ::1 by /etc/hosts, but not a name twofactl vouches for
	tf -q config set sms.url "http://ip6-localhost:$(port_of sink)/send?key=gw-secret"
	run -6 --separate-stderr tf --at $T0 enroll alice --method sms
	assert_equal "$stderr" "twofactl: enroll alice: refusing to send the gateway's credentials in clear to http://ip6-localhost:$(port_of sink)/send: use https://"
	tf -q config set sms.url "http://[::1]:1/send?key=gw-secret"
	tf -q config set delivery.timeout 2s
	run -6 --separate-stderr tf --at $T0 enroll alice --method sms
	assert_regex "$stderr" '^twofactl: enroll alice: delivery failed: http://\[::1\]:1/send: '
}

ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

@test "a hung mail server never holds the account: a verify during the send answers at once" {
	email_enrolled
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of hung)"
	tf -q config set delivery.timeout 6s
	before=$(accepted_count hung)
	"$TWOFACTL" --at $((T0 + 60)) send alice --via email >/dev/null 2>"$BATS_TEST_TMPDIR/send.err" &
	pid=$!
	for _ in $(seq 100); do [ "$(accepted_count hung)" -gt "$before" ] && break; sleep 0.05; done
	[ "$(accepted_count hung)" -gt "$before" ] || fail "the send never reached the server"
	t=$(ms_now)
	run -1 tf --at $((T0 + 61)) verify alice 000000
	run -0 tf --json --at $((T0 + 61)) user show alice
	run -10 tf --at $((T0 + 61)) check alice
	elapsed=$(( $(ms_now) - t ))
	[ "$elapsed" -lt 2000 ] || fail "verify, user show and check took $elapsed ms during the send"
	kill -0 $pid || fail "the send was over before the verify: the test proves nothing"
	rc=0; wait $pid || rc=$?
	assert_equal "$rc" 6
	run -0 grep -c "delivery failed" "$BATS_TEST_TMPDIR/send.err"
	# nothing recorded as sent: no code, and the resend slot is free again
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of plain)"
	run -0 tf -q --at $((T0 + 70)) send alice --via email
	run -0 tf --at $((T0 + 71)) verify alice "$(code_in_mail)"
}

@test "a hung mail server never holds the account during a password reset link either" {
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of hung)"
	tf -q config set delivery.timeout 6s
	tf passwd alice <<<"the password of alice" >/dev/null
	before=$(accepted_count hung)
	"$TWOFACTL" --at $T0 reset send alice >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ "$(accepted_count hung)" -gt "$before" ] && break; sleep 0.05; done
	t=$(ms_now)
	run -0 tf --at $((T0 + 1)) verify alice --password <<<"the password of alice"
	elapsed=$(( $(ms_now) - t ))
	[ "$elapsed" -lt 2000 ] || fail "verify --password took $elapsed ms during the send"
	kill -0 $pid || fail "the send was over before the verify"
	rc=0; wait $pid || rc=$?
	assert_equal "$rc" 6
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of plain)"
	run -0 tf --at $((T0 + 2)) reset send alice   # the slot was given back
}

@test "a send waiting on a hung server reserves its slot; killed with -9, it leaves nothing but the slot" {
	email_enrolled
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of hung)"
	tf -q config set delivery.timeout 8s
	before=$(accepted_count hung)
	"$TWOFACTL" --at $((T0 + 60)) send alice --via email >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ "$(accepted_count hung)" -gt "$before" ] && break; sleep 0.05; done
	run -4 --separate-stderr tf --at $((T0 + 60)) send alice --via email   # a second one at once waits for its slot
	assert_equal "$stderr" "twofactl: send alice: a login code was sent 0 s ago: wait 30 s before another"
	kill -9 $pid
	wait $pid 2>/dev/null || true
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -1 tf --at $((T0 + 61)) verify alice 123456
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of plain)"
	run -4 tf -q --at $((T0 + 61)) send alice --via email
	run -0 tf -q --at $((T0 + 90)) send alice --via email
	run -0 tf --at $((T0 + 91)) verify alice "$(code_in_mail)"
}

# ---- a new address or number for an active factor is confirmed first ----

@test "user set --email re-points an active email factor only through a confirmation: no login code goes to the new address" {
	local new="new$N@example.org"
	email_enrolled
	run -0 --separate-stderr tf --json --at $((T0 + 30)) user set alice --email "$new"
	# the factor waits for the new address's confirmation, as after enroll --method email
	run -0 tf --json user show alice
	run -0 jq -e --arg a "$new" '.email == $a and ([.factors[] | select(.type == "email") | .status] == ["pending"])' <<<"$output"
	run -0 mail_to plain "$new"
	assert_line --regexp "^Subject: Example Hosting: confirm this address"
	confirm_code=$(mail_to plain "$new" | sed -n 's/^    \([0-9]\{6\}\)$/\1/p')
	# the old address is told its login method went away
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: a login method was removed from your account"
	# no login code to the unconfirmed address
	run -11 tf --at $((T0 + 90)) send alice --via email
	assert_equal "$(mail_count plain "$new")" 1
	run -1 tf --at $((T0 + 95)) verify alice "$confirm_code"   # a confirmation code logs nobody in
	# confirmed: the factor is active again at its new address
	run -0 tf --at $((T0 + 100)) confirm alice "$confirm_code"
	run -0 tf --json --at $((T0 + 160)) send alice --via email
	assert_equal "$(mail_count plain "$new")" 3      # confirm, success, login
	run -0 jq -e '.factors[] | select(.type == "email") | .status == "active"' < <(tf --json user show alice)
}

@test "user set --phone re-points an active SMS factor through a confirmation; clearing an active factor's address is refused" {
	local newphone="+42070000$(printf %04d "$N")"
	sms_enrolled
	run -0 --separate-stderr tf --at $((T0 + 30)) user set alice --phone "$newphone"
	run -0 sms_request "${newphone/+/%2B}"
	run -0 jq -e '.factors[] | select(.type == "sms") | .status == "pending"' < <(tf --json user show alice)
	run -11 tf --at $((T0 + 90)) send alice --via sms
	email_enrolled
	run -2 --separate-stderr tf user set alice --email ""
	[[ $stderr == *"disable it before clearing its address"* ]]
	run -0 jq -e --arg a "$MAIL" '.email == $a' < <(tf --json user show alice)
}

@test "user set --email of an address without an active factor changes nothing else" {
	run -0 tf --at $((T0 + 30)) user set alice --email "other$N@example.org"
	assert_equal "$(mail_count plain "other$N@example.org")" 0
	assert_equal "$(mail_count plain "$MAIL")" 0
}
