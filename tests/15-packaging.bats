#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Packaged as a distribution would: a release tarball (git archive) built
# outside any repository and inside another one.
load helper

SRC="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"

# make without the MAKEFLAGS of a make check that runs these tests.
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make "$@"; }

# Build the tarball in DIR: build DIR [MAKE ARGS...]; the log is DIR.log.
build() {
	local dir=$1
	shift
	mkdir -p "$dir"
	git -C "$SRC" archive --format=tar HEAD | tar -x -C "$dir"
	if ! mk -C "$dir" -j2 "$@" >"$dir.log" 2>&1; then
		tail -20 "$dir.log" >&2
		return 1
	fi
}

setup_file() {
	[ "$(git -C "$SRC" rev-parse --show-toplevel 2>/dev/null)" = "$SRC" ] || return 0
	export OUTSIDE="$BATS_FILE_TMPDIR/outside/twofactl"
	export INSIDE="$BATS_FILE_TMPDIR/other-repo/vendor/twofactl"
	build "$OUTSIDE" all
	# A throw-away repository with a commit of its own around the tarball.
	mkdir -p "$BATS_FILE_TMPDIR/other-repo"
	git -C "$BATS_FILE_TMPDIR/other-repo" init -q
	git -C "$BATS_FILE_TMPDIR/other-repo" -c user.name=t -c user.email=t@example.org \
		commit -q --allow-empty -m "another project"
	build "$INSIDE" twofactl
}

setup() {
	[ "$(git -C "$SRC" rev-parse --show-toplevel 2>/dev/null)" = "$SRC" ] ||
		skip "not a git checkout: no git archive to build from"
}

@test "a release tarball built outside any repository prints VERSION's content" {
	run git -C "$OUTSIDE" rev-parse --git-dir
	[ "$status" -ne 0 ] || skip "the temporary directory is inside a git repository"
	run -0 "$OUTSIDE/twofactl" --version
	assert_output "twofactl $(cat "$SRC/VERSION")"
}

@test "a release tarball built inside another repository does not take its commit" {
	run -0 git -C "$INSIDE" rev-parse --show-toplevel
	assert_output "$BATS_FILE_TMPDIR/other-repo"
	run -0 "$INSIDE/twofactl" --version
	assert_output "twofactl $(cat "$SRC/VERSION")"
}
