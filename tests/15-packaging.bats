#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Packaged as a distribution would: a release tarball (git archive) built
# outside any repository and inside another one, hardening flags from
# dpkg-buildflags, an install under another PREFIX than the build's (DESTDIR),
# and the cron file as installed (tests/98-deploy.bats checks the units).
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
	# A release build as a Debian package does it: dpkg-buildflags with
	# every hardening feature, CPPFLAGS (FORTIFY) included.
	if command -v dpkg-buildflags >/dev/null; then
		local f
		for f in CPPFLAGS CFLAGS LDFLAGS; do
			export "$f=$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$f")"
		done
		export HARDENED=1
	fi
	build "$OUTSIDE" all
	unset CPPFLAGS CFLAGS LDFLAGS
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

@test "built with dpkg-buildflags, the binary is fortified and fully hardened" {
	[ -n "${HARDENED:-}" ] || skip "no dpkg-buildflags (package dpkg-dev)"
	bin="$OUTSIDE/twofactl"
	if command -v hardening-check >/dev/null; then
		run -0 hardening-check "$bin"
		refute_output --regexp ': no\b'
		return
	fi
	# What hardening-check looks at, read with binutils: FORTIFY (__*_chk),
	# the stack protector, PIE, full RELRO and BIND_NOW.
	run -0 nm -D --undefined-only "$bin"
	assert_output --regexp ' U __[a-z0-9_]+_chk(@|$)'
	assert_output --regexp ' U __stack_chk_fail(@|$)'
	run -0 readelf -h "$bin"
	assert_output --regexp 'Type: +DYN'
	run -0 readelf -l "$bin"
	assert_output --partial GNU_RELRO
	run -0 readelf -d "$bin"
	assert_output --regexp '\((BIND_NOW|FLAGS)\).*BIND_NOW'
}

@test "installed under another PREFIX than the build's, the binary finds its templates" {
	dest="$BATS_TEST_TMPDIR/root"
	run -0 mk -s -C "$OUTSIDE" install DESTDIR="$dest" PREFIX=/usr
	bin="$dest/usr/bin/twofactl"
	assert_file_executable "$bin"
	# Mark the installed template: the message must come from that copy.
	echo "installed-copy-marker" >>"$dest/usr/share/twofactl/templates/en/enroll.txt"
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/store"
	run -0 "$bin" -q init
	mkdir -m 700 "$BATS_TEST_TMPDIR/spool"
	run -0 "$bin" -q config set smtp.url "spool:$BATS_TEST_TMPDIR/spool"
	run -0 "$bin" -q user add alice --email alice@example.org
	run -0 "$bin" -q enroll alice --method email
	run -0 sh -c "cat '$BATS_TEST_TMPDIR'/spool/*.eml"
	assert_line --regexp '^Subject: twofactl: confirm this address'
	assert_line --partial "installed-copy-marker"
}

@test "a C program links the installed library the documented way: pkg-config --cflags --libs twofactl" {
	dest="$BATS_TEST_TMPDIR/root"
	run -0 mk -s -C "$OUTSIDE" install DESTDIR="$dest" PREFIX=/usr
	cat >"$BATS_TEST_TMPDIR/t.c" <<-'EOF'
		#include <twofactl.h>
		#include <stdio.h>
		static int64_t clk(void *ctx) { (void)ctx; return 1800000000; }
		int main(int argc, char **argv)
		{
			struct tf_options o = { .dir = argv[1], .clock = clk };
			tf *h = NULL;
			tf_status st = argc > 1 ? tf_create(&h, &o, NULL, NULL) : TF_USAGE;

			if (!st)
				st = tf_verify(h, &(struct tf_verify_args){ .name = "nobody", .code = "123456" }, NULL);
			printf("%s\n", tf_status_word(st));
			tf_close(&h);
			return 0;
		}
	EOF
	export PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig"
	run -0 pkg-config --cflags --libs twofactl
	# shellcheck disable=SC2046
	run -0 cc -o "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/t.c" $(pkg-config --cflags --libs twofactl)
	run -0 "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/store"
	assert_output "not_found"
}

@test "the cron file goes where Debian's cron reads it and stands aside for systemd" {
	dest="$BATS_TEST_TMPDIR/root"
	run -0 mk -s -C "$OUTSIDE" install DESTDIR="$dest" PREFIX=/usr
	# cron.d skips file names with a dot: /etc/cron.d/twofactl, not twofactl.cron
	cron="$dest/etc/cron.d/twofactl"
	assert_file_exists "$cron"
	# One job line: five time fields, the store's owner, then a command that
	# skips itself when systemd is PID 1 (the timer does the job) or the
	# binary is gone, and runs the installed binary otherwise.
	run -0 grep -v -e '^#' -e '^$' "$cron"
	assert_equal "${#lines[@]}" 2
	# and the nightly rotation of the audit log, standing aside the same way
	read -r m h dom mon dow user cmd <<<"${lines[1]}"
	assert_equal "$m $h $dom $mon $dow $user" "17 3 * * * _twofactl"
	assert_equal "$cmd" "[ -d /run/systemd/system ] || [ ! -x /usr/bin/twofactl ] || TWOFACTL_DIR=/var/lib/twofactl /usr/bin/twofactl -q audit rotate --if-larger 16M --keep 52"
	read -r m h dom mon dow user cmd <<<"${lines[0]}"
	assert_equal "$m $h $dom $mon $dow $user" "*/5 * * * * _twofactl"
	assert_equal "$cmd" "[ -d /run/systemd/system ] || [ ! -x /usr/bin/twofactl ] || TWOFACTL_DIR=/var/lib/twofactl /usr/bin/twofactl -q expire"
	# The command as cron's sh runs it, on a store and a binary of the test
	# (a wrapper that notes each run): it sweeps without systemd, and stands
	# aside when systemd is PID 1 or when the binary is gone.
	store="$BATS_TEST_TMPDIR/store" fake="$BATS_TEST_TMPDIR/bin/twofactl"
	run -0 "$dest/usr/bin/twofactl" -q -d "$store" init
	mkdir "${fake%/*}"
	printf '#!/bin/sh\necho "$TWOFACTL_DIR $*" >>"%s"\nexec "%s" "$@"\n' \
		"$BATS_TEST_TMPDIR/ran" "$dest/usr/bin/twofactl" >"$fake"
	chmod +x "$fake"
	c=${cmd//\/usr\/bin\/twofactl/$fake}
	c=${c//\/var\/lib\/twofactl/$store}
	run -0 sh -c "${c//\/run\/systemd\/system/$BATS_TEST_TMPDIR/no-systemd}"
	run -0 cat "$BATS_TEST_TMPDIR/ran"
	assert_output "$store -q expire"
	run -0 sh -c "${c//\/run\/systemd\/system/$BATS_TEST_TMPDIR}"
	rm "$fake"
	run -0 sh -c "${c//\/run\/systemd\/system/$BATS_TEST_TMPDIR/no-systemd}"
	run -0 cat "$BATS_TEST_TMPDIR/ran"
	assert_output "$store -q expire"
}
