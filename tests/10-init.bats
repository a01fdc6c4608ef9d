#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

setup() { export TWOFACTL_DIR="$BATS_TEST_TMPDIR/store"; }

@test "init creates a private store with a 32-byte key" {
	run -0 tf init
	assert_output "created store '$TWOFACTL_DIR'"
	run -0 stat -c '%a' "$TWOFACTL_DIR" "$TWOFACTL_DIR/master.key" "$TWOFACTL_DIR/accounts"
	assert_output $'700\n600\n700'
	run -0 stat -c '%s' "$TWOFACTL_DIR/master.key"
	assert_output 32
	assert_file_exists "$TWOFACTL_DIR/store.lock"
	assert_file_exists "$TWOFACTL_DIR/audit.log"
}

@test "init under umask 000 still makes 0700 and 0600" {
	run -0 sh -c "umask 000; exec '$TWOFACTL' -q init"
	run -0 stat -c '%a' "$TWOFACTL_DIR" "$TWOFACTL_DIR/master.key" "$TWOFACTL_DIR/config" "$TWOFACTL_DIR/store.lock"
	assert_output $'700\n600\n600\n600'
	tf -q user add alice
	run -0 sh -c "umask 000; '$TWOFACTL' -q --at $T0 enroll alice --qr none; find '$TWOFACTL_DIR/accounts' -mindepth 1 -exec stat -c '%a' {} +"
	refute_output --partial 644
	refute_output --partial 755
}

@test "init refuses to overwrite an existing store" {
	tf -q init
	cp "$TWOFACTL_DIR/master.key" "$BATS_TEST_TMPDIR/key.before"
	run -2 --separate-stderr tf init
	assert_equal "$stderr" "twofactl: init: '$TWOFACTL_DIR' already holds a store; refusing to overwrite its key"
	run -0 cmp "$TWOFACTL_DIR/master.key" "$BATS_TEST_TMPDIR/key.before"
}

@test "a missing store is a store error that says how to make one" {
	run -5 --separate-stderr tf user list
	assert_equal "$stderr" "twofactl: user list: no store at '$TWOFACTL_DIR': create one with twofactl init"
}

@test "a store readable by group or others is refused" {
	tf -q init
	chmod 750 "$TWOFACTL_DIR"
	run -5 --separate-stderr tf user list
	assert_equal "$stderr" "twofactl: user list: '$TWOFACTL_DIR' is accessible by group or others (mode 0750): chmod 700 it"
}

@test "a master key readable by others is refused" {
	tf -q init
	chmod 644 "$TWOFACTL_DIR/master.key"
	run -5 --separate-stderr tf user list
	assert_equal "$stderr" "twofactl: user list: 'master.key' is accessible by group or others (mode 0644): chmod 600 it"
}

@test "a master key of the wrong size is refused" {
	tf -q init
	head -c 31 /dev/urandom >"$TWOFACTL_DIR/master.key"
	run -5 --separate-stderr tf user list
	assert_output ""
	assert_equal "$stderr" "twofactl: user list: master key 'master.key' has 31 bytes, expected 32"
}

@test "a master key that is a symbolic link is refused" {
	tf -q init
	mv "$TWOFACTL_DIR/master.key" "$BATS_TEST_TMPDIR/real.key"
	ln -s "$BATS_TEST_TMPDIR/real.key" "$TWOFACTL_DIR/master.key"
	run -5 tf user list
	assert_output --partial "cannot open master key"
}

@test "a wrong master key cannot read the accounts" {
	tf -q init
	tf -q user add alice
	head -c 32 /dev/urandom >"$TWOFACTL_DIR/master.key"
	run -5 --separate-stderr tf user show alice
	assert_equal "$stderr" "twofactl: user show alice: the master key does not belong to this store (wrong key?)"
}

@test "--key-file keeps the key outside the store" {
	run -0 tf -q init --key-file "$BATS_TEST_TMPDIR/outside.key"
	assert_file_not_exists "$TWOFACTL_DIR/master.key"
	run -0 stat -c '%a %s' "$BATS_TEST_TMPDIR/outside.key"
	assert_output "600 32"
	tf -q user add alice
	run -0 tf user list
	assert_output alice
	run -2 tf config set key.file /tmp/elsewhere
}

@test "--key-file must be absolute" {
	run -2 tf init --key-file relative.key
}

@test "--passphrase-file wraps the master key; every command needs the passphrase" {
	printf 'correct horse battery staple\n' >"$BATS_TEST_TMPDIR/pass"
	chmod 600 "$BATS_TEST_TMPDIR/pass"
	run -0 tf -q init --passphrase-file "$BATS_TEST_TMPDIR/pass"
	run -0 stat -c %s "$TWOFACTL_DIR/master.key"
	assert_output 108
	tf -q user add alice
	run -0 tf user list
	assert_output alice
	printf 'wrong\n' >"$BATS_TEST_TMPDIR/wrong"
	chmod 600 "$BATS_TEST_TMPDIR/wrong"
	run -5 --separate-stderr env TWOFACTL_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/wrong" "$TWOFACTL" user list
	assert_equal "$stderr" "twofactl: user list: the passphrase does not open the master key (wrong passphrase?)"
	chmod 644 "$BATS_TEST_TMPDIR/pass"
	run -5 --separate-stderr tf user list
	assert_equal "$stderr" "twofactl: user list: the passphrase file '$BATS_TEST_TMPDIR/pass' must be 0600 and owned by uid 0"
	chmod 600 "$BATS_TEST_TMPDIR/pass"
	run -0 tf rekey
	run -0 stat -c %s "$TWOFACTL_DIR/master.key"
	assert_output 108
	run -0 tf user list
	assert_output alice
	run -1 grep -c "correct horse" "$TWOFACTL_DIR/config" "$TWOFACTL_DIR/master.key"
	run -2 tf init --passphrase-file relative
}

@test "init never takes over a non-empty 1777 directory: exit 2, the directory left as it was" {
	mkdir -m 1777 "$TWOFACTL_DIR"
	chmod 1777 "$TWOFACTL_DIR"
	echo theirs >"$TWOFACTL_DIR/somebody.txt"
	run -2 --separate-stderr tf init
	assert_equal "$stderr" "twofactl: init: '$TWOFACTL_DIR' exists and is not empty: init makes a store only in a new or empty directory"
	run -0 stat -c %a "$TWOFACTL_DIR"
	assert_output 1777
	run -0 ls -A "$TWOFACTL_DIR"
	assert_output somebody.txt
}

@test "init refuses an empty directory others can write to, or one an ordinary user owns (exit 5, 2); accepts an empty private one" {
	mkdir -m 1777 "$TWOFACTL_DIR"
	chmod 1777 "$TWOFACTL_DIR"
	run -5 --separate-stderr tf init
	assert_equal "$stderr" "twofactl: init: '$TWOFACTL_DIR' is writable by group or others (mode 1777): init makes a store only in a directory nobody else can write to"
	run -0 stat -c %a "$TWOFACTL_DIR"
	assert_output 1777
	chmod 755 "$TWOFACTL_DIR"
	chown nobody "$TWOFACTL_DIR"
	run -2 tf init   # nobody is no system user: refused before root acts as it
	run -0 ls -A "$TWOFACTL_DIR"
	assert_output ""
	chown 0 "$TWOFACTL_DIR"
	run -0 tf -q init
	run -0 stat -c %a "$TWOFACTL_DIR"
	assert_output 700
	tf -q user add alice
}

@test "init refuses a non-empty private directory and a path that is not a directory" {
	mkdir -m 700 "$TWOFACTL_DIR"
	touch "$TWOFACTL_DIR/notes"
	run -2 tf init
	assert_file_not_exists "$TWOFACTL_DIR/master.key"
	rm -r "$TWOFACTL_DIR"
	touch "$TWOFACTL_DIR"
	run -2 --separate-stderr tf init
	assert_regex "$stderr" "is not a directory"
}
