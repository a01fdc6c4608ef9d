#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Every customer message in every seed language: each template exists, uses
# only the placeholders the code gives its purpose, keeps the code out of the
# email Subject (lock screens show it), and renders through the binary from
# its own language's file (messages delivered to spool: directories).
load helper

TPL="$BATS_TEST_DIRNAME/../share/templates"
LANGS="en cs ca nl hu"
EMAIL_PURPOSES="login enroll confirm activate success warning recovery-filed recovery-approved
	recovery-denied reset 2fa-off factor-removed enrol-required"
SMS_PURPOSES="login enroll confirm success recovery-filed recovery-approved recovery-denied
	2fa-off factor-removed enrol-required"

# The placeholders the code gives each purpose (README, "Message templates").
vars_of() {
	case $1 in
	login | enroll | confirm) echo "code session name issuer minutes" ;;
	activate) echo "name issuer url" ;;
	success) echo "name issuer method" ;;
	warning) echo "name issuer time ip" ;;
	recovery-*) echo "name issuer ticket answer created reason" ;;
	reset) echo "name issuer url minutes" ;;
	2fa-off) echo "name issuer time" ;;
	factor-removed) echo "name issuer method time" ;;
	enrol-required) echo "name issuer org" ;;
	*) return 1 ;;
	esac
}
# ... and those its message cannot do without.
needs_of() {
	case $1 in
	login | enroll | confirm) echo "code session" ;;
	activate | reset) echo "url" ;;
	recovery-*) echo "ticket" ;;
	warning) echo "time ip" ;;
	factor-removed) echo "method" ;;
	enrol-required) echo "org" ;;
	esac
}

@test "every message purpose exists in every seed language, by email and by SMS, and nothing else" {
	for l in $LANGS; do
		for p in $EMAIL_PURPOSES; do assert_file_exists "$TPL/$l/$p.txt"; done
		for p in $SMS_PURPOSES; do assert_file_exists "$TPL/$l/$p.sms"; done
		for f in "$TPL/$l"/*; do
			b=${f##*/}
			case " $(echo $EMAIL_PURPOSES) " in *" ${b%.txt} "*) [[ $b == *.txt ]] && continue ;; esac
			case " $(echo $SMS_PURPOSES) " in *" ${b%.sms} "*) [[ $b == *.sms ]] && continue ;; esac
			fail "unexpected template $l/$b"
		done
	done
	run -0 find "$TPL" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'
	assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "ca cs en hu nl "
}

@test "every template uses only the placeholders its purpose gets, and keeps the code out of the Subject" {
	for f in "$TPL"/*/*; do
		b=${f##*/}
		p=${b%.*}
		allowed=" $(vars_of "$p") " || fail "no purpose $p"
		iconv -f UTF-8 -t UTF-8 "$f" >/dev/null || fail "$f is not UTF-8"
		[ "$(tail -c 1 "$f")" = "" ] || fail "$f does not end with a newline"
		used=$(grep -o '{[a-z_]*}' "$f" | tr -d '{}' | sort -u)
		for v in $used; do
			[[ $allowed == *" $v "* ]] || fail "$f uses {$v}, which $p does not get"
		done
		for v in $(needs_of "$p"); do
			grep -qF "{$v}" "$f" || fail "$f lacks {$v}"
		done
		if [[ $b == *.txt ]]; then
			run -0 sed -n 1p "$f"
			[[ $output =~ ^Subject:\ [^\ ] ]] || fail "$f: the first line is not 'Subject: ...'"
			[[ $output != *"{code}"* ]] || fail "$f puts the code in the Subject"
			run -0 sed -n 2p "$f"
			assert_equal "$output" ""
		else
			run -0 wc -l <"$f"
			assert_equal "$output" 1
		fi
	done
}

# spool NAME: deliver the next messages, email and SMS, to a fresh directory.
spool() {
	SPOOL="$BATS_TEST_TMPDIR/spool.$1"
	mkdir -m 700 "$SPOOL"
	tf -q config set smtp.url "spool:$SPOOL"
	tf -q config set sms.url "spool:$SPOOL"
}

# rendered PURPOSE.EXT: the one message in $SPOOL came from $LL's own
# template with every placeholder filled in; $output holds NAME=VALUE lines.
rendered() {
	local files=("$SPOOL"/*)
	assert_equal "${#files[@]}" 1
	run -0 /usr/bin/python3 "$BATS_TEST_DIRNAME/render_check.py" "$TPL/$LL/$1" "${files[0]}"
}
value() { sed -n "s/^$1=//p" <<<"$output"; }

# Every message the command line sends, in language LL.
render_all() {
	LL=$1
	setup_store
	tf -q config set issuer "Example Hosting"
	tf -q config set smtp.from "2fa@example.org"
	tf -q config set activate.url "https://example.org/activate?token={token}"
	tf -q config set reset.url "https://example.org/reset?token={token}"
	tf -q user add alice --email alice@example.org --phone +420601234567 --lang "$LL"
	tf -q user add bob --email bob@example.org --lang "$LL"
	tf -q user add carol --phone +420602345678 --lang "$LL"

	spool enroll-email
	run -0 tf -q --at $T0 enroll alice --method email
	rendered enroll.txt
	assert_equal "$(value issuer) $(value minutes)" "Example Hosting 5"
	code=$(value code)
	spool success-email
	run -0 tf -q --at $((T0 + 1)) confirm alice "$code"
	rendered success.txt
	assert_equal "$(value method)" email
	spool enroll-sms
	run -0 tf -q --at $((T0 + 2)) enroll alice --method sms
	rendered enroll.sms
	code=$(value code)
	spool success-sms
	run -0 tf -q --at $((T0 + 3)) confirm alice "$code"
	rendered success.sms

	for via in email sms; do
		ext=txt
		[ $via = email ] || ext=sms
		spool login-$via
		run -0 tf -q --at $((T0 + 60)) send alice --via $via
		session=$output
		rendered login.$ext
		assert_equal "$(value session)" "$session"
		spool confirm-$via
		run -0 tf -q --at $((T0 + 120)) send alice --via $via --purpose confirm
		rendered confirm.$ext
	done

	spool warning
	run -10 tf --at $((T0 + 200)) check alice --ip 198.51.100.7
	run -0 tf -q --at $((T0 + 200 + 20 * 60)) expire
	rendered warning.txt
	assert_equal "$(value ip)" 198.51.100.7
	# without an address, its line is left out
	spool warning-noip
	run -10 tf --at $((T0 + 2000)) check alice
	run -0 tf -q --at $((T0 + 2000 + 20 * 60)) expire
	rendered warning.txt
	assert_equal "$(value ip)" ""
	run -1 grep -rq "{?ip}" "$SPOOL"

	spool activate
	tf -q --at $T0 enroll bob --qr none
	run -0 tf -q --at $T0 confirm bob "$(tf --at $T0 code bob)" --by-link
	rendered activate.txt
	spool reset
	run -0 tf -q --at $T0 reset send bob
	rendered reset.txt

	# Their organisation turns 2FA on: Dave is told by email, Erin (no address) by SMS.
	tf -q org add acme --policy optional
	tf -q user add dave --email dave@example.org --org acme --lang "$LL"
	tf -q user add erin --phone +420603456789 --org acme --lang "$LL"
	spool enrol-required
	run -0 tf -q org set acme --policy required
	run -0 sh -c "grep -l '^To: dave@example.org' '$SPOOL'/* | xargs rm"
	rendered enrol-required.sms
	assert_equal "$(value org)" acme
	tf -q org set acme --policy optional
	tf -q user del erin
	spool enrol-required-email
	run -0 tf -q org set acme --policy required
	rendered enrol-required.txt
	assert_equal "$(value org)" acme

	# Bob is told by email, Carol (no address) by SMS.
	for who in bob carol; do
		ext=txt
		[ $who = bob ] || ext=sms
		spool filed-$who
		run -0 tf -q recovery file $who --reason "phone lost"
		id=$output
		rendered recovery-filed.$ext
		spool approved-$who
		run -0 tf -q recovery approve "$id"
		rendered recovery-approved.$ext
		assert_equal "$(value ticket)" "$id"
		id=$(tf -q recovery file $who --reason "phone lost again")
		spool denied-$who
		run -0 tf -q recovery deny "$id" --reason "Please send the signed form."
		rendered recovery-denied.$ext
	done
}

@test "every message the command line sends renders from its English template" { render_all en; }
@test "every message the command line sends renders from its Czech template" { render_all cs; }
@test "every message the command line sends renders from its Catalan template" { render_all ca; }
@test "every message the command line sends renders from its Dutch template" { render_all nl; }
@test "every message the command line sends renders from its Hungarian template" { render_all hu; }
