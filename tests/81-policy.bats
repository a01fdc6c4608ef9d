#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Which policy applies to an account (seed 002: "on account level" as well as
# per client): its own 2fa switch, its organisation's policy, policy.default;
# and the members told, by a real SMTP server (aiosmtpd), when their
# organisation turns two-factor authentication on (seed 001, step 9).
load helper

setup_file() { start_smtp plain; }
teardown_file() { stop_peers; }

setup() {
	setup_store
	N=$BATS_TEST_NUMBER
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of plain)"
	tf -q config set smtp.from "2fa@example.org"
	tf -q config set issuer "Example Hosting"
}

# confirmed NAME: a confirmed TOTP factor at T0
confirmed() {
	tf -q --at $T0 enroll "$1" --qr none >/dev/null
	tf -q --at $T0 confirm "$1" "$(tf --at $T0 code "$1")" >/dev/null
}

@test "check: the account's own switch x its organisation's policy x enrolment, with where the policy comes from" {
	for pol in none required optional off; do
		[ $pol = none ] || tf -q org add "o-$pol" --policy $pol
	done
	n=0
	for sw in inherit required optional off; do
		for pol in none required optional off; do
			for enrolled in no yes; do
				n=$((n + 1))
				u="u$n"
				org=()
				[ $pol = none ] || org=(--org "o-$pol")
				if [ $pol = required ] && { [ $sw = optional ] || [ $sw = off ]; }; then
					# nothing loosens a required organisation
					run -2 --separate-stderr tf user add "$u" "${org[@]}" --2fa $sw
					assert_equal "$stderr" "twofactl: user add $u: organisation 'o-required' requires two-factor authentication: the account's own 2fa switch cannot be $sw there (use --2fa inherit or required)"
					run -3 tf user show "$u"
					continue
				fi
				tf -q user add "$u" "${org[@]}" --2fa $sw
				[ $enrolled = yes ] && confirmed "$u"
				# the policy that applies, and where from: account, organisation, default
				if [ $sw = required ]; then want=required src=account
				elif [ $pol = required ]; then want=required src="org o-required"
				elif [ $sw != inherit ]; then want=$sw src=account
				elif [ $pol != none ]; then want=$pol src="org o-$pol"
				else want=optional src=default; fi
				if [ $want = off ]; then rc=0
				elif [ $enrolled = yes ]; then rc=10
				elif [ $want = required ]; then rc=11
				else rc=0; fi
				run -$rc --separate-stderr tf --json --at $((T0 + 60)) check "$u"
				run -0 jq -e --arg p "$want" --arg s "$src" '.policy==$p and .policy_source==$s' <<<"$output"
				run -$rc tf --at $((T0 + 61)) check "$u"
				assert_line "policy: $want ($src)"
			done
		done
	done
	[ $n = 32 ]
}

@test "without an organisation, the account's switch beats policy.default, and inherit follows it" {
	tf -q config set policy.default required
	tf -q user add alice
	tf -q user add bob --2fa off
	tf -q user add carol --2fa optional
	run -11 tf check alice
	assert_line "policy: required (default)"
	run -0 tf check bob
	assert_line "policy: off (account)"
	run -0 tf check carol
	assert_line "policy: optional (account)"
	tf -q config set policy.default off
	tf -q user set carol --2fa required
	run -11 tf check carol
	tf -q user set carol --2fa inherit
	run -0 tf check carol
	assert_line "policy: off (default)"
}

@test "user set --2fa, and --org, refuse to loosen a required organisation, and change nothing" {
	tf -q org add acme --policy required
	tf -q org add beta --policy optional
	tf -q user add alice --org acme
	tf -q user add bob --org beta --2fa off
	before=$(find "$TWOFACTL_DIR/accounts" -type f -exec sha256sum {} + | sort)
	run -2 --separate-stderr tf user set alice --2fa off
	assert_equal "$stderr" "twofactl: user set alice: organisation 'acme' requires two-factor authentication: the account's own 2fa switch cannot be off there (use --2fa inherit or required)"
	run -2 tf user set alice --2fa optional
	run -2 --separate-stderr tf user set bob --org acme
	assert_equal "$stderr" "twofactl: user set bob: organisation 'acme' requires two-factor authentication: the account's own 2fa switch cannot be off there (use --2fa inherit or required)"
	run -2 tf user set bob --2fa sometimes
	run -2 tf user add carol --2fa on
	assert_equal "$(find "$TWOFACTL_DIR/accounts" -type f -exec sha256sum {} + | sort)" "$before"
	# both at once: the new switch with the new organisation
	run -0 tf user set bob --org acme --2fa inherit
	run -0 tf user set alice --2fa required
	run -0 tf audit --user alice
	assert_line --partial "user.set  alice  ok  (2fa required)"
}

@test "an organisation that becomes required overrides its members' own off, and org set says how many" {
	tf -q org add acme --policy optional
	tf -q user add alice --org acme --2fa off
	tf -q user add bob --org acme --2fa optional
	tf -q user add carol --org acme --2fa required
	tf -q user add dave --org acme
	tf -q user add erin --2fa off
	run -0 tf org set acme --policy required --no-notify
	assert_line "organisation 'acme' now has policy required"
	assert_line "it overrides the own 2fa switch (off or optional) of 2 members"
	run -11 tf check alice
	assert_line "policy: required (org acme)"
	run -11 tf check bob
	run -11 tf check carol
	assert_line "policy: required (account)"
	run -0 tf check erin
	run -0 tf --json user show alice
	run -0 jq -e '."2fa"=="off" and .policy=="required" and .policy_source=="org acme" and .policy_overrides_switch==true' <<<"$output"
	run -0 tf user show alice
	assert_line "2fa switch: off"
	assert_line "policy:     required (org acme): the organisation's required policy overrides the account's own switch"
	run -0 tf --json org set acme --policy required --no-notify
	run -0 jq -e '.policy=="required" and .overridden==2' <<<"$output"
	# back to optional: their own switches decide again
	run -0 tf --json org set acme --policy optional
	run -0 jq -e '.overridden==0 and .notified==[] and .not_notified==[]' <<<"$output"
	run -0 tf check alice
	assert_line "policy: off (account)"
	# and other fields of an overridden member can still be changed
	tf -q org set acme --policy required --no-notify
	run -0 tf user set alice --email alice@example.org
}

@test "user show and user show --json name the switch, the policy and where it comes from" {
	tf -q org add acme --policy off
	tf -q user add alice --org acme
	run -0 tf user show alice
	assert_line "2fa switch: inherit"
	assert_line "policy:     off (org acme)"
	tf -q user set alice --2fa required
	run -0 tf --json user show alice
	run -0 jq -e '."2fa"=="required" and .policy=="required" and .policy_source=="account" and .policy_overrides_switch==false' <<<"$output"
	tf -q user add bob
	run -0 tf --json user show bob
	run -0 jq -e '."2fa"=="inherit" and .policy=="optional" and .policy_source=="default"' <<<"$output"
}

@test "org simulate: policy x own switch, who would be stopped, whose own switch decides, whose is overridden" {
	tf -q org add acme --policy optional
	for sw in inherit required optional off; do
		tf -q user add "$sw-none" --org acme --2fa $sw
		tf -q user add "$sw-app" --org acme --2fa $sw
		confirmed "$sw-app"
	done
	snapshot=$(find "$TWOFACTL_DIR/accounts" "$TWOFACTL_DIR/orgs" -type f -exec sha256sum {} + | sort)
	for pol in required optional off; do
		run -0 tf --json org simulate acme --policy $pol
		sim=$output
		for sw in inherit required optional off; do
			for e in none app; do
				u="$sw-$e"
				if [ $sw = required ]; then want=required src=account
				elif [ $pol = required ]; then want=required src="org acme"
				elif [ $sw != inherit ]; then want=$sw src=account
				else want=$pol src="org acme"; fi
				stopped=false
				[ $want = required ] && [ $e = none ] && stopped=true
				listed=$stopped
				[ "$src" = account ] && listed=true
				[ $pol = required ] && { [ $sw = optional ] || [ $sw = off ]; } && listed=true
				if [ $listed = true ]; then
					run -0 jq -se --arg u "$u" --arg p "$want" --arg s "$src" --argjson st $stopped \
						'map(select(.name==$u)) | length==1 and .[0].policy==$p and .[0].policy_source==$s and .[0].stopped==$st' <<<"$sim"
				else
					run -0 jq -se --arg u "$u" 'map(select(.name==$u)) | length==0' <<<"$sim"
				fi
			done
		done
	done
	run -0 tf org simulate acme --policy required
	assert_line "inherit-none: no active factor: must enrol at next login"
	assert_line "required-app: its own 2fa switch (required) decides, not the organisation's policy"
	assert_line "off-none: no active factor: must enrol at next login; its own 2fa switch (off) would be overridden"
	assert_line "4 of 8 accounts would be stopped under policy required (now optional); nothing was changed"
	assert_line "2 accounts decide by their own 2fa switch, not by the organisation's policy"
	run -0 tf org simulate acme --policy off
	assert_line "required-none: no active factor: must enrol at next login; its own 2fa switch (required) decides, not the organisation's policy"
	assert_line "1 of 8 accounts would be stopped under policy off (now optional); nothing was changed"
	assert_line "6 accounts decide by their own 2fa switch, not by the organisation's policy"
	assert_equal "$(find "$TWOFACTL_DIR/accounts" "$TWOFACTL_DIR/orgs" -type f -exec sha256sum {} + | sort)" "$snapshot"
}

@test "a recovery's enrolment requirement holds under an account's own optional, not under its own off" {
	tf -q user add alice --email "rec$N@example.org" --2fa optional
	confirmed alice
	run -0 tf --json recovery file alice --reason "lost phone"
	id=$(jq -r .id <<<"$output")
	tf -q recovery approve "$id" --by admin
	run -11 tf check alice
	tf -q user set alice --2fa off
	run -0 tf check alice
}

# ---- told when the organisation turns 2FA on ----

@test "members without a factor are told once, in their language, when their organisation turns 2FA on" {
	tf -q org add acme --policy optional
	tf -q user add alice --org acme --email "alice$N@example.org"
	tf -q user add bob --org acme --email "bob$N@example.org" --lang cs
	tf -q user add carol --org acme --email "carol$N@example.org"
	confirmed carol
	tf -q user add dave --org acme --email "dave$N@example.org" --2fa off
	tf -q user add erin --org acme --email "erin$N@example.org" --service
	tf -q user add frank --email "frank$N@example.org"
	run -0 --separate-stderr tf --json org set acme --policy required
	run -0 jq -e '.policy=="required" and (.notified|sort)==["alice","bob","dave"] and .not_notified==[] and .overridden==1' <<<"$output"
	run -0 mail_to plain "alice$N@example.org"
	assert_line "Subject: Example Hosting: two-factor authentication is now required for your account"
	assert_line "From: 2fa@example.org"
	assert_output --partial "your organisation acme now requires two-factor authentication"
	assert_output --partial "At your next login, after your password, you will be"
	run -0 mail_to plain "bob$N@example.org"
	assert_line "Subject: Example Hosting: dvoufaktorová autentizace je nyní pro Váš účet povinná"
	assert_output --partial "Při příštím přihlášení budete po zadání hesla vyzváni"
	# enrolled, a service account, another organisation's: nothing
	for u in carol erin frank; do
		run -0 mail_count plain "$u$N@example.org"
		assert_output 0
	done
	# set again, or back and forth with --no-notify: no second message
	tf -q org set acme --policy required
	tf -q org set acme --policy optional
	tf -q org set acme --policy required --no-notify
	for u in alice bob dave; do
		run -0 mail_count plain "$u$N@example.org"
		assert_output 1
	done
	run -0 tf audit --user alice
	assert_line --partial "org.notify  alice  sent  (acme)"
}

@test "org set --no-notify tells nobody; the text output counts who was told" {
	tf -q org add acme --policy off
	tf -q user add alice --org acme --email "alice$N@example.org"
	run -0 tf org set acme --policy required --no-notify
	refute_line --partial "told"
	run -0 mail_count plain "alice$N@example.org"
	assert_output 0
	tf -q org add beta --policy off
	tf -q user add bob --org beta --email "bob$N@example.org"
	run -0 tf org set beta --policy required
	assert_output $'organisation \'beta\' now has policy required\ntold 1 member without a second factor that their next login asks them to set one up'
}

@test "delivery failures are listed, never fatal: the policy change stands" {
	tf -q org add acme --policy optional
	tf -q user add alice --org acme --email "alice$N@example.org"
	tf -q user add bob --org acme --email "reject-bob$N@example.org"
	tf -q user add carol --org acme
	tf -q user add dave --org acme --phone +420601000002 --lang nl
	tf -q config set sms.url "spool:$BATS_TEST_TMPDIR/sms"
	mkdir "$BATS_TEST_TMPDIR/sms"
	run -0 --separate-stderr tf --json org set acme --policy required
	res=$output
	run -0 jq -e '(.notified|sort)==["alice","dave"] and (.not_notified|map(.name)|sort)==["bob","carol"]' <<<"$res"
	run -0 jq -e '.not_notified[] | select(.name=="carol") | .error=="no email address or mobile number known"' <<<"$res"
	run -0 jq -e '.not_notified[] | select(.name=="bob") | .error | test("550")' <<<"$res"
	run -0 tf --json org show acme
	run -0 jq -e '.policy=="required"' <<<"$output"
	# dave has no email address: an SMS, in Dutch
	run -0 sh -c "cat '$BATS_TEST_TMPDIR'/sms/*.sms"
	assert_line "To: +420601000002"
	assert_output --partial "acme heeft 2-factor inlog verplicht gesteld. Bij je volgende inlog vragen we je dit in te stellen."
	run -0 tf audit --user bob
	assert_line --partial "org.notify  bob  failed  (acme)"
	# the text form lists them too; a mail server that is down changes nothing either
	tf -q org set acme --policy optional
	tf -q config set smtp.url "smtp://127.0.0.1:$(free_port)"
	run -0 --separate-stderr tf org set acme --policy required
	assert_line "organisation 'acme' now has policy required"
	assert_line --regexp "^not told alice: delivery failed: smtp://127\.0\.0\.1:[0-9]+: "
	assert_line "not told carol: no email address or mobile number known"
	run -0 tf --json org show acme
	run -0 jq -e '.policy=="required"' <<<"$output"
}

@test "two org set --policy required at once tell each member once" {
	tf -q org add acme --policy optional
	for i in 1 2 3 4; do tf -q user add "u$i" --org acme --email "par$N-$i@example.org"; done
	tf -q org set acme --policy required & p1=$!
	tf -q org set acme --policy required & p2=$!
	wait $p1
	wait $p2
	for i in 1 2 3 4; do
		run -0 mail_count plain "par$N-$i@example.org"
		assert_output 1
	done
}
