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
	for v in get set list; do
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
