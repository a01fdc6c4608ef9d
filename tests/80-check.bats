#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Login decisions: policies, whitelists, trusted devices, incomplete logins,
# service accounts; the warning email goes to a real SMTP server.
load helper

setup_file() { start_smtp plain; }
teardown_file() { stop_peers; }

setup() {
	setup_store
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of plain)"
	tf -q config set smtp.from "2fa@example.org"
	tf -q config set issuer "Example Hosting"
}

@test "check across policy x enrolment x whitelist x device" {
	for pol in off optional required; do tf -q org add "o-$pol" --policy $pol; done
	n=0
	for pol in off optional required; do
		for enrolled in no yes; do
			for wl in no yes; do
				for dev in no yes; do
					n=$((n + 1))
					u="u$n"
					tf -q user add "$u" --org "o-$pol" --email "$u@example.org"
					[ $enrolled = yes ] && { tf -q --at $T0 enroll "$u" --qr none >/dev/null
						tf -q --at $T0 confirm "$u" "$(tf --at $T0 code "$u")" >/dev/null; }
					[ $wl = yes ] && tf -q whitelist add "$u" 192.0.2.0/24
					args=(--ip 192.0.2.7)
					[ $dev = yes ] && args+=(--device-token "$(tf --at $T0 trust add "$u")")
					if [ $pol = off ]; then want=0
					elif [ $enrolled = no ] && [ $pol = required ]; then want=11
					elif [ $enrolled = no ]; then want=0
					elif [ $wl = yes ] || [ $dev = yes ]; then want=0
					else want=10; fi
					run -$want tf --at $((T0 + 60)) check "$u" "${args[@]}"
				done
			done
		done
	done
}

@test "check --json names the methods, and the reason" {
	enrolled alice
	run -10 tf --json --at $((T0 + 60)) check alice
	run -0 jq -e '.result=="code" and .methods==["totp","backup"] and .policy=="optional" and .digits==6' <<<"$output"
	tf -q user add bob
	run -0 tf --json check bob
	run -0 jq -e '.result=="pass" and .reason=="two-factor authentication is optional and not enabled"' <<<"$output"
}

@test "check --json gives the length of the app's codes (pam_twofactl forward_pass splits by it)" {
	tf -q user add carol
	tf -q --at "$T0" enroll carol --digits 8 --qr none >/dev/null
	tf -q --at "$T0" confirm carol "$(tf --at "$T0" code carol)" >/dev/null
	run -10 tf --json --at $((T0 + 60)) check carol
	run -0 jq -e '.methods==["totp","backup"] and .digits==8' <<<"$output"
	tf -q user add dave --email dave@example.org
	run -0 tf --json check dave
	run -0 jq -e 'has("digits") | not' <<<"$output"
}

@test "a required policy without a mobile number says so" {
	tf -q org add acme --policy required
	tf -q user add alice --org acme --email alice@example.org
	run -11 tf check alice
	assert_line "the policy requires two-factor authentication: enrolment needed"
	assert_line "may enrol: totp email"
	assert_line "no mobile number known: SMS needs one (user set --phone)"
	run -11 tf --json check alice
	run -0 jq -e '.result=="enroll" and .missing==["phone"]' <<<"$output"
}

@test "policy.default applies to accounts without an organisation" {
	tf -q user add alice
	tf -q config set policy.default required
	run -11 tf check alice
	tf -q config set policy.default off
	run -0 tf check alice
}

@test "check is exit 4 while locked out" {
	enrolled alice
	for i in $(seq 10); do tf --at $((T0 + 60)) verify alice 000000 2>/dev/null || true; done
	run -4 tf --at $((T0 + 61)) check alice
}

@test "whitelist entries: IPv4, IPv6, CIDR edges and v4-mapped addresses" {
	enrolled alice
	t=$((T0 + 60))
	tf -q whitelist add alice 203.0.113.5
	run -0 tf --at $t check alice --ip 203.0.113.5
	run -10 tf --at $t check alice --ip 203.0.113.6
	run -0 tf --at $t check alice --ip ::ffff:203.0.113.5
	tf -q whitelist add alice 2001:db8:abcd::/48 --note office
	run -0 tf --at $t check alice --ip 2001:db8:abcd:12::1
	run -10 tf --at $t check alice --ip 2001:db8:abce::1
	tf -q whitelist add alice ::1/128
	run -0 tf --at $t check alice --ip ::1
	run -10 tf --at $t check alice --ip ::2
	tf -q whitelist add alice 10.1.2.3/8
	run -0 tf whitelist list alice
	assert_line --regexp '^10\.0\.0\.0/8 +permanent$'
	assert_line --regexp '^2001:db8:abcd::/48 +permanent  # office$'
	run -0 tf --at $t check alice --ip 10.200.0.1
	enrolled bob
	tf -q whitelist add bob 0.0.0.0/0 --allow-broad
	run -0 tf --at $t check bob --ip 198.51.100.1
	run -10 tf --at $t check bob --ip 2001:db8::1
	tf -q whitelist add bob ::/0 --allow-broad
	run -0 tf --at $t check bob --ip 2001:db8::1
}

@test "malformed addresses and prefixes are usage errors" {
	tf -q user add alice
	for bad in 300.1.1.1 10.0.0.0/33 ::/129 10.0.0.0/ 10.0.0.0/-1 10.0.0.0/08 fe80::1%eth0 "" abc 1.2.3 "10.0.0.0/8 "; do
		run -2 tf whitelist add alice "$bad"
	done
	run -2 tf check alice --ip 1.2.3.4.5
	run -2 tf whitelist add alice 10.0.0.0/8 --ttl forever
	run -3 tf whitelist del alice 10.0.0.0/8
}

@test "a whitelist entry with a TTL ends, and expire removes it" {
	enrolled alice
	tf -q --at $T0 whitelist add alice 192.0.2.0/24 --ttl 12h
	run -0 tf --at $((T0 + 12 * 3600 - 1)) check alice --ip 192.0.2.1
	run -10 tf --at $((T0 + 12 * 3600)) check alice --ip 192.0.2.1
	run -0 tf --json --at $((T0 + 12 * 3600)) whitelist list alice
	run -0 jq -e '.expired==true' <<<"$output"
	run -0 tf --json --at $((T0 + 12 * 3600)) expire
	run -0 jq -e '.whitelist==1' <<<"$output"
	run -0 tf whitelist list alice
	assert_output ""
}

@test "an organisation's whitelist applies to its accounts" {
	tf -q org add acme --policy required
	tf -q user add alice --org acme
	enrolled bob
	tf -q user set bob --org acme
	tf -q whitelist add --org acme 198.51.100.0/24
	run -0 tf --at $((T0 + 60)) check bob --ip 198.51.100.9
	run -10 tf --at $((T0 + 60)) check bob --ip 198.51.101.9
	run -0 tf --json org show acme
	run -0 jq -e '.whitelist==["198.51.100.0/24"]' <<<"$output"
}

@test "a trusted device skips the code until it is revoked" {
	enrolled alice
	run -0 tf --at $T0 trust add alice --label "Firefox on the laptop"
	token=$output
	[[ $token =~ ^[A-Za-z0-9_-]{43}$ ]]
	run -0 tf --at $((T0 + 60)) check alice --device-token "$token"
	assert_output $'trusted device\npolicy: optional (default)'
	run -0 tf --at $((T0 + 61)) check alice --device-token - <<<"$token"
	run -0 tf --json trust list alice
	run -0 jq -e '.id==1 and .label=="Firefox on the laptop" and .created==1800000000
	    and .expires==(1800000000 + 30*86400) and .last_used==1800000061' <<<"$output"
	run -0 tf trust revoke alice 1
	run -10 tf --at $((T0 + 62)) check alice --device-token "$token"
	run -3 tf trust revoke alice 1
}

@test "a trusted device expires after its days, and expire forgets it" {
	enrolled alice
	token=$(tf --at $T0 trust add alice --days 2)
	run -0 tf --at $((T0 + 2 * 86400 - 1)) check alice --device-token "$token"
	run -10 tf --at $((T0 + 2 * 86400)) check alice --device-token "$token"
	run -0 tf --json --at $((T0 + 2 * 86400)) expire
	run -0 jq -e '.devices==1' <<<"$output"
}

@test "revoke --all, forged and malformed tokens" {
	enrolled alice
	t1=$(tf --at $T0 trust add alice)
	t2=$(tf --at $T0 trust add alice)
	[ "${t1:42}" = A ] && last=B || last=A   # a token one character off
	run -10 tf --at $((T0 + 60)) check alice --device-token "${t1:0:42}$last"
	run -2 tf --at $((T0 + 60)) check alice --device-token "short"
	run -0 tf --json trust revoke alice --all
	run -0 jq -e '.revoked==2' <<<"$output"
	run -10 tf --at $((T0 + 60)) check alice --device-token "$t2"
	run -2 tf trust revoke alice
	run -1 grep -rlF -e "$t1" -e "$t2" "$TWOFACTL_DIR"
}

@test "an incomplete login gets one warning email, after login.warn_after" {
	tf -q user add alice --email "warn$BATS_TEST_NUMBER@example.org"
	tf -q --at $T0 enroll alice --qr none
	tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)" >/dev/null
	run -10 tf --at $((T0 + 100)) check alice --ip 192.0.2.44
	run -0 tf --json --at $((T0 + 100 + 899)) expire
	run -0 jq -e '.warnings==0' <<<"$output"
	run -0 tf --json --at $((T0 + 100 + 900)) expire
	run -0 jq -e '.warnings==1' <<<"$output"
	run -0 mail_to plain "warn$BATS_TEST_NUMBER@example.org"
	assert_line "Subject: Example Hosting: a login to your account was not completed"
	assert_line "The login came from address 192.0.2.44."
	run -0 tf --json --at $((T0 + 2000)) expire
	run -0 jq -e '.warnings==0' <<<"$output"
	run -0 mail_count plain "warn$BATS_TEST_NUMBER@example.org"
	assert_output 1
}

@test "repeated checks within login.warn_after are one incomplete login: one warning, not one per check" {
	mail="once$BATS_TEST_NUMBER@example.org"
	tf -q user add alice --email "$mail"
	tf -q --at $T0 enroll alice --qr none
	tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)" >/dev/null
	run -10 tf --at $((T0 + 100)) check alice
	run -10 tf --at $((T0 + 400)) check alice
	run -10 tf --at $((T0 + 700)) check alice
	run -0 tf --json --at $((T0 + 100 + 900)) expire
	run -0 jq -e '.warnings==1' <<<"$output"
	run -0 tf --json --at $((T0 + 5000)) expire
	run -0 jq -e '.warnings==0' <<<"$output"
	run -0 mail_count plain "$mail"
	assert_output 1
	# the same from one address; another address is another attempt
	run -10 tf --at $((T0 + 6000)) check alice --ip 192.0.2.7
	run -10 tf --at $((T0 + 6100)) check alice --ip 192.0.2.7
	run -10 tf --at $((T0 + 6200)) check alice --ip 2001:db8::9
	run -0 tf --json --at $((T0 + 6000 + 900)) expire
	run -0 jq -e '.warnings==1' <<<"$output"
	run -0 mail_to plain "$mail"
	assert_output --partial "192.0.2.7"
	run -0 tf --json --at $((T0 + 6200 + 900)) expire
	run -0 jq -e '.warnings==1' <<<"$output"
	run -0 mail_to plain "$mail"
	assert_output --partial "2001:db8::9"
	# past login.warn_after, a check is a new attempt, warned about again
	run -10 tf --at $((T0 + 8000)) check alice
	run -10 tf --at $((T0 + 8000 + 900)) check alice
	run -0 tf --json --at $((T0 + 8000 + 1800)) expire
	run -0 jq -e '.warnings==2' <<<"$output"
	run -0 mail_count plain "$mail"
	assert_output 5
}

@test "a warning whose address is unknown leaves the address line out; it goes in the account's language" {
	tf -q user add alice --email "noip$BATS_TEST_NUMBER@example.org"
	tf -q user add bob --email "noip-cs$BATS_TEST_NUMBER@example.org" --lang cs
	tf -q user add carol --email "noip-nl$BATS_TEST_NUMBER@example.org" --lang nl
	for u in alice bob carol; do
		tf -q --at $T0 enroll $u --qr none
		tf -q --at $T0 confirm $u "$(tf --at $T0 code $u)" >/dev/null
	done
	run -10 tf --at $((T0 + 100)) check alice
	run -10 tf --at $((T0 + 100)) check bob
	run -10 tf --at $((T0 + 100)) check carol --ip 198.51.100.4
	run -0 tf --json --at $((T0 + 1000)) expire
	run -0 jq -e '.warnings==3' <<<"$output"
	run -0 mail_to plain "noip$BATS_TEST_NUMBER@example.org"
	assert_line "Subject: Example Hosting: a login to your account was not completed"
	refute_output --partial "unknown"
	refute_output --partial "address"
	assert_line "but did not complete the second step."
	run -0 mail_to plain "noip-cs$BATS_TEST_NUMBER@example.org"
	assert_line "Subject: Example Hosting: přihlášení k Vašemu účtu nebylo dokončeno"
	refute_output --partial "unknown"
	refute_output --partial "adres"
	run -0 mail_to plain "noip-nl$BATS_TEST_NUMBER@example.org"
	assert_line "Subject: Example Hosting: een inlogpoging op je account is niet afgerond"
	assert_line "De inlogpoging kwam vanaf adres 198.51.100.4."
}

@test "a login completed by verify is not warned about" {
	tf -q user add alice --email "done$BATS_TEST_NUMBER@example.org"
	tf -q --at $T0 enroll alice --qr none
	tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)" >/dev/null
	run -10 tf --at $((T0 + 100)) check alice
	run -0 tf --at $((T0 + 110)) verify alice "$(tf --at $((T0 + 110)) code alice)"
	run -0 tf --json --at $((T0 + 5000)) expire
	run -0 jq -e '.warnings==0' <<<"$output"
	run -0 mail_count plain "done$BATS_TEST_NUMBER@example.org"
	assert_output 0
}

@test "two overlapping sweeps send each warning once" {
	for i in 1 2 3 4 5 6; do
		tf -q user add "u$i" --email "par$BATS_TEST_NUMBER-$i@example.org"
		tf -q --at $T0 enroll "u$i" --qr none
		tf -q --at $T0 confirm "u$i" "$(tf --at $T0 code "u$i")" >/dev/null
		tf -q --at $((T0 + 10)) check "u$i" || true
	done
	tf -q --at $((T0 + 3600)) expire & p1=$!
	tf -q --at $((T0 + 3600)) expire & p2=$!
	wait $p1
	wait $p2
	for i in 1 2 3 4 5 6; do
		run -0 mail_count plain "par$BATS_TEST_NUMBER-$i@example.org"
		assert_output 1
	done
}

@test "expire --dry-run counts and changes nothing; pending enrolments expire" {
	tf -q user add alice
	tf -q --at $T0 enroll alice --qr none
	before=$(sha256sum "$(account_files)")
	run -0 tf --json --at $((T0 + 86401)) expire --dry-run
	run -0 jq -e '.enrolments==1 and .dry_run==true' <<<"$output"
	assert_equal "$(sha256sum "$(account_files)")" "$before"
	run -0 tf --at $((T0 + 86401)) expire
	assert_output --partial "1 unconfirmed enrolments"
	run -0 tf --json user show alice
	run -0 jq -e '(.factors|length)==0' <<<"$output"
}

@test "org simulate lists who a stricter policy would stop, and changes nothing" {
	tf -q org add acme --policy optional
	tf -q user add alice --org acme
	tf -q user add bob --org acme
	tf -q --at $T0 enroll bob --qr none
	tf -q --at $T0 confirm bob "$(tf --at $T0 code bob)" >/dev/null
	tf -q user add carol --org acme
	tf -q --at $T0 enroll carol --qr none
	tf -q --at $T0 confirm carol "$(tf --at $T0 code carol)" >/dev/null
	tf -q backup issue carol --count 2 >/dev/null
	tf -q user add dave
	snapshot=$(find "$TWOFACTL_DIR/accounts" "$TWOFACTL_DIR/orgs" -type f -exec sha256sum {} + | sort)
	run -0 tf org simulate acme --policy required
	assert_line "alice: no active factor: must enrol at next login"
	assert_line "carol: few backup codes left"
	refute_line --partial "bob"
	refute_line --partial "dave"
	assert_line "2 of 3 accounts would be stopped under policy required (now optional); nothing was changed"
	run -0 tf --json org simulate acme --policy required
	run -0 jq -se 'map(.name)==["alice","carol"] or map(.name)==["carol","alice"]' <<<"$output"
	assert_equal "$(find "$TWOFACTL_DIR/accounts" "$TWOFACTL_DIR/orgs" -type f -exec sha256sum {} + | sort)" "$snapshot"
	run -0 tf --json org show acme
	run -0 jq -e '.policy=="optional"' <<<"$output"
}

@test "org add, list, set, del" {
	run -0 tf org add acme --policy required
	run -2 tf org add acme --policy off
	run -2 tf org add other --policy sometimes
	run -2 tf org add other
	tf -q org add beta --policy off
	run -0 tf org list
	assert_output $'acme                     required\nbeta                     off'
	run -0 tf org set beta --policy optional
	tf -q user add alice --org beta
	run -2 --separate-stderr tf org del beta
	assert_equal "$stderr" "twofactl: org del beta: 1 account still belongs to it: move them with user set --org"
	tf -q user set alice --org ""
	run -0 tf org del beta
	run -3 tf org show beta
}

@test "user show says whether phone requests may be trusted" {
	tf -q user add bob
	run -0 tf --json user show bob
	run -0 jq -e '.phone_requests_trusted==true' <<<"$output"
	enrolled alice
	run -0 tf user show alice
	assert_line "support:    requests by phone must not be trusted while 2FA is on: ask for a code"
	run -0 tf --json user show alice
	run -0 jq -e '.phone_requests_trusted==false' <<<"$output"
}

@test "service accounts: a long random password shown once, Argon2id, exempt from 2FA, not from lockout" {
	run -0 tf -q user add api --service
	pw=$output
	[[ $pw =~ ^[A-Za-z0-9]{32}$ ]]
	run -1 grep -rlF -e "$pw" "$TWOFACTL_DIR"
	run -0 tf verify api --password <<<"$pw"
	run -1 tf verify api --password <<<"${pw}x"
	run -2 tf verify api --password "$pw"
	run -0 tf check api
	assert_output $'service account: exempt from the second factor\npolicy: optional (default)'
	tf -q org add strict --policy required
	tf -q user set api --org strict
	run -0 tf check api
	for i in $(seq 10); do tf --at $((T0 + i)) verify api --password <<<"wrong" 2>/dev/null || true; done
	run -4 tf --at $((T0 + 11)) verify api --password <<<"$pw"
	run -4 tf --at $((T0 + 11)) check api
	run -0 tf --json user show api
	run -0 jq -e '.service==true and .password_failures==10 and .failures==0' <<<"$output"
	run -3 tf verify nobody --password <<<"$pw"
	tf -q user add alice
	run -3 tf verify alice --password <<<"$pw"
}

@test "whitelist entries that cover every address, or most of a family, are refused without --allow-broad" {
	enrolled alice
	tf -q org add acme --policy optional
	for net in ::/0 0.0.0.0/0 ::/80 ::ffff:0:0/96 0.0.0.0/1 128.0.0.0/7 2000::/3 ::/1; do
		run -2 --separate-stderr tf whitelist add alice "$net"
		assert_regex "$stderr" "^twofactl: whitelist add alice: '${net//./\\.}' is too broad: it covers (every IPv4 address|a large part of the Internet); add --allow-broad if that is really meant$"
		run -2 tf whitelist add acme "$net" --org
	done
	run -0 tf whitelist list alice
	assert_output ""
	run -10 tf --at $((T0 + 60)) check alice --ip 203.0.113.9
	run -0 tf whitelist add alice 10.0.0.0/8
	run -0 tf whitelist add alice 2001:db8::/32
	run -0 tf whitelist add alice ::/0 --allow-broad --note "maintenance window"
	run -0 tf --at $((T0 + 60)) check alice --ip 203.0.113.9
}

@test "secrets shown once are never lost: a device token or a password stdout cannot take is not kept" {
	enrolled alice
	run -5 sh -c "'$TWOFACTL' --at $T0 trust add alice >/dev/full"
	run -0 tf trust list alice
	assert_output ""
	run -5 sh -c "'$TWOFACTL' user add api --service >/dev/full"
	run -5 sh -c "'$TWOFACTL' --json user add bob --generate-password >/dev/full"
	run -3 tf user show api
	run -3 tf user show bob
	run -0 tf -q user add api --service
	[[ $output =~ ^[A-Za-z0-9]{32}$ ]]
	run -0 tf verify api --password <<<"$output"
}
