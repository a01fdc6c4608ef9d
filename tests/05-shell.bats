#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# At home in a shell: completions, man pages, install, --json everywhere.
load helper

commands() { "$TWOFACTL" help | awk '/^  [a-z]/ {print $1}'; }

COMPLETIONS="$BATS_TEST_DIRNAME/../completions"

# complete_in SHELL WORD... CURRENT: the candidates SHELL's completion offers
# for "twofactl WORD... CURRENT", one per line (descriptions dropped), from a
# real bash, zsh (compinit, compadd captured) or fish (complete -C).
complete_in() {
	local sh=$1
	shift
	case $sh in
	bash)
		bash -c 'source "$0"; COMP_WORDS=(twofactl "$@"); COMP_CWORD=$#
			_twofactl; printf "%s\n" "${COMPREPLY[@]}"' "$COMPLETIONS/twofactl.bash" "$@" ;;
	zsh)
		zsh -f -c 'autoload -Uz compinit && compinit -u -D
			compadd() { shift $(( ${@[(i)--]} )); print -l -- "$@"; }
			_files() { print -- @files; }
			words=(twofactl "$@"); CURRENT=${#words}; PREFIX=$words[CURRENT]
			source "$0"' "$COMPLETIONS/_twofactl" "$@" ;;
	fish)
		local line="twofactl" w
		for w in "$@"; do line+=" $w"; done
		fish -c 'source $argv[1]; complete -C $argv[2]' "$COMPLETIONS/twofactl.fish" "$line" ;;
	esac | cut -f1 | sed '/^$/d' | sort
}

# The options of a command's --help, long and short, sorted.
help_option_words() { help_options "$@" | tr ' ' '\n' | sed '/^$/d' | sort; }

setup() {
	PATH="$(dirname "$TWOFACTL"):$PATH"
}

@test "bash registers the completion function" {
	run -0 bash -c 'source "$1"; complete -p twofactl' _ "$COMPLETIONS/twofactl.bash"
	assert_output "complete -F _twofactl twofactl"
}

@test "bash, zsh and fish offer the binary's commands and each noun's verbs" {
	want=$(tf help | awk '/^  [a-z]/ {print $1}' | sort)
	for sh in bash zsh fish; do
		assert_equal "$(complete_in $sh "")" "$want"
	done
	for noun in user backup org whitelist trust recovery reset webauthn oidc config; do
		want=$(tf "$noun" --help | awk '/^Verbs:/ {f = 1; next} f && /^  [a-z]/ {print $1}' | sort)
		for sh in bash zsh fish; do
			assert_equal "$(complete_in $sh "$noun" "")" "$want"
		done
	done
}

@test "for every command and verb, bash, zsh and fish offer exactly the options of its --help" {
	while read -r cv; do
		# shellcheck disable=SC2086
		want=$(help_option_words $cv)
		for sh in bash zsh fish; do
			# shellcheck disable=SC2086
			got=$(complete_in $sh $cv -)
			[ "$got" = "$want" ] || echo "$sh: twofactl $cv: offers $(tr '\n' ' ' <<<"$got"), --help has $(tr '\n' ' ' <<<"$want")"
		done
	done < <(commands_and_verbs) >"$BATS_TEST_TMPDIR/drift"
	run cat "$BATS_TEST_TMPDIR/drift"
	assert_output ""
}

@test "account names come from the store named by -d or --dir= on the line" {
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/a"
	tf -q init
	tf -q user add alice
	tf -q -d "$BATS_TEST_TMPDIR/b" init
	tf -q -d "$BATS_TEST_TMPDIR/b" user add bob
	for sh in bash zsh fish; do
		assert_equal "$(complete_in $sh verify "")" "alice"
		assert_equal "$(complete_in $sh -d "$BATS_TEST_TMPDIR/b" verify "")" "bob"
		assert_equal "$(complete_in $sh verify -d "$BATS_TEST_TMPDIR/b" "")" "bob"
		assert_equal "$(complete_in $sh -q --dir="$BATS_TEST_TMPDIR/b" user show "")" "bob"
		assert_equal "$(complete_in $sh --rhost h.example --at 1 -d "$BATS_TEST_TMPDIR/b" --via-service=sshd verify "")" "bob"
		assert_equal "$(complete_in $sh -d "$BATS_TEST_TMPDIR/nowhere" verify "")" ""
	done
	# bash splits --dir=DIR at "=" (COMP_WORDBREAKS): as it does on a real line
	run -0 bash -c 'source "$1"; COMP_WORDS=(twofactl --dir = "$2" verify ""); COMP_CWORD=5
		_twofactl; echo "${COMPREPLY[*]}"' _ "$COMPLETIONS/twofactl.bash" "$BATS_TEST_TMPDIR/b"
	assert_output "bob"
}

@test "account names only where a name goes; values, keys and files where they go" {
	setup_store
	tf -q user add alice
	tf -q user add albert
	tf -q org add acme --policy off
	for sh in bash zsh fish; do
		assert_equal "$(complete_in $sh user show al)" $'albert\nalice'
		assert_equal "$(complete_in $sh verify alice "")" ""
		assert_equal "$(complete_in $sh whitelist add alice "")" ""
		assert_equal "$(complete_in $sh user add "")" ""
		assert_equal "$(complete_in $sh user rename alice "")" ""
		assert_equal "$(complete_in $sh whitelist add --org "")" "acme"
		assert_equal "$(complete_in $sh user set alice --org "")" "acme"
		assert_equal "$(complete_in $sh audit --user al)" $'albert\nalice'
		assert_equal "$(complete_in $sh enroll alice --qr "")" $'ansi\nnone\npng\nsvg\nutf8'
		assert_equal "$(complete_in $sh org set acme --policy "")" $'off\noptional\nrequired'
		assert_equal "$(complete_in $sh enroll alice --qr png "")" ""
		assert_equal "$(complete_in $sh config get lockout.)" "lockout.after"
		assert_equal "$(complete_in $sh audit "")" "verify"
		assert_equal "$(complete_in $sh send alice --purpose "")" $'confirm\nenroll\nlogin'
		assert_equal "$(complete_in $sh webauthn challenge alice --purpose "")" $'login\nregister'
	done
	cd "$BATS_TEST_TMPDIR" && touch import-me.txt
	assert_equal "$(complete_in bash import import-)" "import-me.txt"
	assert_equal "$(complete_in fish import import-)" "import-me.txt"
	assert_equal "$(complete_in zsh import import-)" "@files"
}

@test "the zsh completion parses" {
	run -0 zsh -n "$COMPLETIONS/_twofactl"
}

@test "the bash completion is shellcheck clean" {
	run -0 shellcheck -s bash "$COMPLETIONS/twofactl.bash"
}

@test "every #!/bin/sh script of the tree parses in dash (Debian's /bin/sh)" {
	local root f n=0
	command -v dash >/dev/null || skip "dash is not installed"
	root="$BATS_TEST_DIRNAME/.."
	while IFS= read -r f; do
		run -0 dash -n "$f"
		n=$((n + 1))
	done < <(cd "$root" && grep -rlx --exclude-dir=.git '#!/bin/sh' . | sed "s|^\\.|$root|")
	[ "$n" -ge 4 ]
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
	j config diff
	jq -e '.state=="sealed" and .changes==0' <<<"$output" >/dev/null
	j config accept
	jq -e '.accepted==true and .changes==0' <<<"$output" >/dev/null
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
