#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# At home in a shell: completions, man pages, install, --json everywhere.
load helper

commands() { "$TWOFACTL" help | awk '/^  [a-z]/ {print $1}'; }

@test "every command of the table is in the bash, zsh and fish completions" {
	for c in $(commands); do
		grep -qw -- "$c" "$BATS_TEST_DIRNAME/../completions/twofactl.bash" || fail "bash lacks $c"
		grep -q -- "'$c:" "$BATS_TEST_DIRNAME/../completions/_twofactl" || fail "zsh lacks $c"
		grep -q -- "-a $c " "$BATS_TEST_DIRNAME/../completions/twofactl.fish" || fail "fish lacks $c"
	done
}

@test "the bash completion completes verbs and account names" {
	setup_store
	tf -q user add alice
	tf -q user add albert
	source "$BATS_TEST_DIRNAME/../completions/twofactl.bash"
	PATH="$(dirname "$TWOFACTL"):$PATH"
	COMP_WORDS=(twofactl user ""); COMP_CWORD=2
	_twofactl
	assert_equal "${COMPREPLY[*]}" "add list show set del unlock rename"
	COMP_WORDS=(twofactl verify al); COMP_CWORD=2
	_twofactl
	assert_equal "${COMPREPLY[*]}" "albert alice"
	COMP_WORDS=(twofactl enroll alice --qr ""); COMP_CWORD=4
	_twofactl
	assert_equal "${COMPREPLY[*]}" "ansi utf8 png svg none"
}

@test "the zsh completion parses" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	run -0 zsh -n "$BATS_TEST_DIRNAME/../completions/_twofactl"
}

@test "every config key is in twofactl.conf(5) and both man pages lint clean" {
	setup_store
	for k in $(tf config list | awk '{print $1}'); do
		grep -q -- "^\.B $k\$" "$BATS_TEST_DIRNAME/../man/twofactl.conf.5" || fail "twofactl.conf.5 lacks $k"
	done
	for m in twofactl.1 twofactl.conf.5 twofactl-json.7; do
		run -0 --separate-stderr groff -ww -man -z "$BATS_TEST_DIRNAME/../man/$m"
		assert_equal "$stderr" ""
	done
}

@test "every command is in the man page" {
	for c in $(commands); do
		grep -q -- "^\.B $c\b\|^\.BR $c \|^\.B $c \\\\" "$BATS_TEST_DIRNAME/../man/twofactl.1" ||
			grep -q -- "^\.B $c" "$BATS_TEST_DIRNAME/../man/twofactl.1" || fail "man page lacks $c"
	done
}

@test "make install with DESTDIR puts each file in its place, uninstall removes them" {
	# In a copy of the tree: installing under another PREFIX rebuilds what
	# names the paths, which must not touch the tree the suite runs from.
	src="$BATS_TEST_TMPDIR/src"
	mkdir "$src"
	tar -C "$BATS_TEST_DIRNAME/.." --exclude=./.git --exclude=./demo -cf - . | tar -C "$src" -xf -
	dest="$BATS_TEST_TMPDIR/root"
	unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null) || true
	[ -n "$unitdir" ] || unitdir=/usr/lib/systemd/system
	run -0 env -u MAKEFLAGS -u MAKELEVEL make -s -C "$src" install DESTDIR="$dest" PREFIX=/usr PAMDIR=/lib/security
	assert_file_executable "$dest/usr/bin/twofactl"
	assert_file_exists "$dest/lib/security/pam_twofactl.so"
	assert_file_exists "$dest/usr/share/man/man8/pam_twofactl.8"
	# the module starts the twofactl of this PREFIX, not the one of the last plain make
	run -0 strings "$dest/lib/security/pam_twofactl.so"
	assert_line /usr/bin/twofactl
	refute_line /usr/local/bin/twofactl
	assert_file_exists "$dest/usr/share/man/man1/twofactl.1"
	assert_file_exists "$dest/usr/share/man/man5/twofactl.conf.5"
	assert_file_exists "$dest/usr/share/man/man7/twofactl-json.7"
	assert_file_exists "$dest/usr/share/bash-completion/completions/twofactl"
	assert_file_exists "$dest/usr/share/zsh/vendor-completions/_twofactl"
	assert_file_exists "$dest/usr/share/fish/vendor_completions.d/twofactl.fish"
	assert_file_exists "$dest/usr/share/twofactl/templates/en/login.txt"
	assert_file_exists "$dest/usr/share/twofactl/templates/cs/login.txt"
	assert_file_exists "$dest$unitdir/twofactl-expire.service"
	assert_file_exists "$dest$unitdir/twofactl-expire.timer"
	assert_file_exists "$dest$unitdir/twofactl.socket"
	assert_file_exists "$dest/etc/cron.d/twofactl"
	run -0 stat -c %a "$dest/usr/bin/twofactl" "$dest/usr/share/man/man1/twofactl.1" "$dest/etc/cron.d/twofactl"
	assert_output $'755\n644\n644'
	run -0 env -u MAKEFLAGS -u MAKELEVEL make -s -C "$src" uninstall DESTDIR="$dest" PREFIX=/usr PAMDIR=/lib/security
	run -0 find "$dest" -type f
	assert_output ""
}

@test "every --json output parses and has its documented fields" {
	setup_store
	t=$T0
	j() { run -0 --separate-stderr tf --json "$@"; jq -e . >/dev/null <<<"$output" || fail "not JSON: $*"; }
	j user add alice --email alice@example.org
	assert_equal "$(jq -r .name <<<"$output")" alice
	j --at $t enroll alice
	jq -e 'has("uri") and has("secret") and has("factor")' <<<"$output" >/dev/null
	j --at $t confirm alice "$(tf --at $t code alice)"
	jq -e '(.backup_codes|length)==10' <<<"$output" >/dev/null
	j --at $((t + 30)) code alice
	jq -e 'has("code") and has("valid_for")' <<<"$output" >/dev/null
	j --at $((t + 30)) verify alice "$(tf --at $((t + 30)) code alice)"
	jq -e '.result=="accepted"' <<<"$output" >/dev/null
	j backup list alice
	jq -e 'has("left") and has("issued")' <<<"$output" >/dev/null
	j user list
	j user show alice
	j org add acme --policy optional
	jq -e '.policy=="optional"' <<<"$output" >/dev/null
	j org list
	j whitelist add alice 10.0.0.0/8
	j whitelist list alice
	jq -e 'has("net") and has("expires")' <<<"$output" >/dev/null
	j trust add alice
	jq -e 'has("token") and has("id")' <<<"$output" >/dev/null
	j trust list alice
	run -10 --separate-stderr tf --json --at $((t + 60)) check alice
	jq -e '.result=="code" and (.methods|length)>0' <<<"$output" >/dev/null
	j expire --dry-run
	jq -e 'has("warnings") and has("codes")' <<<"$output" >/dev/null
	j recovery file alice --reason lost
	jq -e '.status=="pending"' <<<"$output" >/dev/null
	j recovery list
	j audit --user alice
	j audit verify
	jq -e '.intact==true' <<<"$output" >/dev/null
	j fsck
	jq -e '.clean==true' <<<"$output" >/dev/null
	j health
	jq -e '.status=="OK" or .status=="WARNING"' <<<"$output" >/dev/null || true
	j config list
	j config get issuer
	j export alice
	j rekey
	jq -e '.rekeyed==true' <<<"$output" >/dev/null
}

# The FILES section of twofactl(1), roff escapes dropped.
man_files() {
	sed -n '/^\.SH FILES/,/^\.SH /p' "$BATS_TEST_DIRNAME/../man/twofactl.1" | sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g'
}

@test "every file a store holds is in FILES of twofactl(1)" {
	setup_store
	tf -q org add acme --policy optional
	tf -q user add alice --email alice@example.org
	tf -q oidc link alice --issuer https://mojeid.cz --subject 1
	tf -q recovery file alice --reason lost 2>/dev/null
	f=$(account_files | head -1)
	echo junk >"$f"
	run -0 tf -q fsck --repair
	files=$(man_files)
	for e in $(cd "$TWOFACTL_DIR" && find . -mindepth 1 -maxdepth 1 -printf '%f\n'); do
		grep -qF -- "DIR/$e" <<<"$files" || fail "FILES lacks DIR/$e"
	done
	assert [ -d "$TWOFACTL_DIR/quarantine" ]
	for e in rekey.begin rekey.commit rekey.old master.key.rk .tmp-; do
		grep -qF -- "$e" <<<"$files" || fail "FILES lacks $e"
	done
}

@test "every installed file is in FILES of twofactl(1)" {
	dest="$BATS_TEST_TMPDIR/root"
	run -0 make -s -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$dest" PREFIX=/usr/local
	files=$(man_files)
	while read -r f; do
		case $f in */templates/*) f=${f%/*/*}/templates ;; esac
		grep -qF -- "${f##*/}" <<<"$files" || fail "FILES lacks $f"
	done < <(cd "$dest" && find . -type f | sed 's#^\.##')
}
