#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

@test "--help on the top level lists the commands and exits 0" {
	run -0 tf --help
	assert_output --partial "verify"
	assert_output --partial "backup"
}

@test "--version prints the version" {
	run -0 tf --version
	assert_output --regexp '^twofactl '
}

@test "help lists every command with one line each" {
	run -0 tf help
	for c in init user enroll confirm show disable verify code backup config; do
		assert_output --partial "  $c "
	done
}

@test "every command and verb answers --help with exit 0" {
	for c in init enroll confirm show disable verify code; do
		run -0 tf "$c" --help
		assert_output --partial "Usage: twofactl $c"
	done
	for v in add list show set del unlock; do
		run -0 tf user "$v" --help
		assert_output --partial "Usage: twofactl user $v"
	done
	for v in issue list revoke; do
		run -0 tf backup "$v" --help
	done
	for v in get set list diff accept; do
		run -0 tf config "$v" --help
	done
}

@test "no command is a usage error" {
	run -2 tf
}

@test "a misspelt command suggests the closest one" {
	run -2 --separate-stderr tf verfy alice
	assert_equal "$stderr" "twofactl: unknown command 'verfy': did you mean 'verify'?"
}

@test "an unknown option is a usage error" {
	run -2 tf verify --bogus alice
}

@test "an unknown verb is a usage error naming the noun" {
	run -2 --separate-stderr tf user frobnicate
	assert_equal "$stderr" "twofactl: user: unknown verb 'frobnicate': try twofactl user --help"
}

@test "global options work before and after the command" {
	setup_store
	run -0 tf --json user add alice
	assert_output --partial '"name":"alice"'
	run -0 tf user show alice --json
	run -0 jq -e '.name == "alice"' <<<"$output"
}

@test "--at must be a number of seconds" {
	run -2 tf --at yesterday help
}

@test "the man page lints clean" {
	run -0 --separate-stderr groff -ww -man -z "$BATS_TEST_DIRNAME/../man/twofactl.1"
	assert_equal "$stderr" ""
}

# man/twofactl.1 as plain text, one entry of COMMANDS per paragraph:
# roff escapes and fonts dropped, "\-" as "-".
man_text() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\(em/--/g' "$BATS_TEST_DIRNAME/../man/twofactl.1"
}

# The entries of COMMANDS whose heading names CMD (and VERB): ".B user add NAME"
# or ".B org list | show ORG | set ...".
man_entries() {
	man_text | awk -v cmd="$1" -v verb="${2:-}" '
		/^\.SH / { in_cmds = ($2 == "COMMANDS"); on = 0; next }
		!in_cmds { next }
		/^\.TP/ { head = 1; on = 0; next }
		head { head = 0; line = $0; sub(/^\.BR? /, "", line); gsub(/"/, "", line)
		       n = split(line, w, /[ |[\]]+/)
		       on = (w[1] == cmd)
		       if (on && verb != "") { on = 0; for (i = 2; i <= n; i++) if (w[i] == verb) on = 1 } }
		on { print }'
}

@test "every option of every command's and verb's --help is in its entry of twofactl(1)" {
	global=$(man_text | awk '/^\.SH GLOBAL OPTIONS/ {f = 1; next} /^\.SH/ {f = 0} f')
	# the options of twofactl --help itself are every command's: GLOBAL OPTIONS
	globals=" $(help_options | tr '\n' ' ') "
	while read -r cv; do
		# shellcheck disable=SC2086
		entry=$(man_entries $cv)
		[ -n "$entry" ] || { echo "twofactl($cv): no entry"; continue; }
		# shellcheck disable=SC2086
		while read -r short long; do
			for o in $short $long; do
				re="(^|[^-a-z])${o//\?/\\?}($|[^-a-z])"
				if [[ $globals == *" $o "* ]]; then
					grep -qE -- "$re" <<<"$global" || echo "GLOBAL OPTIONS lacks $o"
					continue
				fi
				grep -qE -- "$re" <<<"$entry" || echo "$cv: $o"
			done
		done < <(help_options $cv)
	done < <(commands_and_verbs) | sort -u >"$BATS_TEST_TMPDIR/missing"
	run cat "$BATS_TEST_TMPDIR/missing"
	assert_output ""
}
