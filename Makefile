# SPDX-License-Identifier: ISC
# twofactl — two-factor accounts in an encrypted flat-file store
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/twofactl
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
# The system's PAM module directory: libpam's libdir/security (Debian: the
# multiarch /lib/x86_64-linux-gnu/security), whatever PREFIX is.
PAMDIR     ?= $(shell d=$$(pkg-config --variable=libdir pam 2>/dev/null); \
                [ -n "$$d" ] || d=/lib/$$($(CC) -print-multiarch 2>/dev/null); echo "$${d%/}/security")

# The version: the content of VERSION; in a git checkout of this very tree,
# git describe (a release tag v*, or VERSION plus the commit). A tarball
# unpacked inside another repository must not take that repository's commit,
# so git is asked only when its top level is this directory.
SRCDIR      := $(realpath $(dir $(lastword $(MAKEFILE_LIST))))
FILE_VERSION := $(shell cat '$(SRCDIR)/VERSION')
ifeq ($(shell git -C '$(SRCDIR)' rev-parse --show-toplevel 2>/dev/null),$(SRCDIR))
GIT_VERSION := $(shell git -C '$(SRCDIR)' describe --tags --match 'v[0-9]*' --always --dirty 2>/dev/null)
endif
VERSION     := $(if $(filter v%,$(GIT_VERSION)),$(patsubst v%,%,$(GIT_VERSION)),$(FILE_VERSION)$(if $(GIT_VERSION),-g$(GIT_VERSION)))

PKGS    := libsodium liboath json-c
# libcurl, libqrencode, libpng, libidn2: headers only; core/transport.c,
# core/qr.c and core/contact.c load them when a message is sent, a QR code
# drawn or an internationalised email domain seen (see README, Benchmarks)
LAZY_CFLAGS := $(shell pkg-config --cflags libcurl libqrencode libpng libfido2 libidn2 2>/dev/null)
CC      ?= cc
CFLAGS  ?= -O2 -g
# -Werror only where a warning must stop the build: make check and CI set
# WERROR=-Werror; a plain make (a packager's, a newer compiler's) warns.
WERROR  ?=
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wwrite-strings -Wvla -Wformat=2 $(WERROR)
# CPPFLAGS and CFLAGS come last so a packager's (dpkg-buildflags: FORTIFY,
# stack protector, -O) apply; LDFLAGS go before the objects and libraries.
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -MMD -MP $(WARN) -I. \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(LAZY_CFLAGS) $(CPPFLAGS) $(CFLAGS)
# Build-time facts compiled into the binary (cmd/twofactl.c, cmd/deliver.c).
BUG_ADDRESS ?= <bugs@twofactl.example>
DEFS    = -DTWOFACTL_VERSION='"$(VERSION)"' -DTWOFACTL_DATADIR='"$(DATADIR)"' \
          -DTWOFACTL_BUG_ADDRESS='"$(BUG_ADDRESS)"'
ALL_CFLAGS = $(BASE_CFLAGS) $(DEFS)
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl

CORE_SRC  := $(wildcard core/*.c)
STORE_SRC := $(wildcard store/*.c)
TFLIB_SRC := $(wildcard lib/*.c)
CMD_SRC   := $(wildcard cmd/*.c)
# libtwofactl.a: the use cases (lib/), the store and the domain; the
# command line, serve and the PAM module are front ends on it.
LIB_OBJ   := $(CORE_SRC:.c=.o) $(STORE_SRC:.c=.o) $(TFLIB_SRC:.c=.o)
OBJ       := $(LIB_OBJ) $(CMD_SRC:.c=.o)
LIBDIR    ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
UNIT_SRC  := $(wildcard tests/unit/*.c)

# Deployment (README, "Web front end"): where systemd looks for units,
# sysusers.d and tmpfiles.d files, where cron does (SYSCONFDIR/cron.d), and
# what they name. SERVICE_USER owns the
# store and runs the socket's serve and the expiry sweep; FRONTEND_GROUP may
# connect to the socket (the web server's group).
SYSCONFDIR ?= /etc
ifndef SYSTEMDUNITDIR
SYSTEMDUNITDIR := $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),$(PREFIX)/lib/systemd/system)
endif
ifndef SYSUSERSDIR
SYSUSERSDIR := $(or $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null),$(PREFIX)/lib/sysusers.d)
endif
ifndef TMPFILESDIR
TMPFILESDIR := $(or $(shell pkg-config --variable=tmpfilesdir systemd 2>/dev/null),$(PREFIX)/lib/tmpfiles.d)
endif
STOREDIR       ?= /var/lib/twofactl
SPOOLDIR       ?= /var/spool/twofactl
SOCKET         ?= /run/twofactl/twofactl.sock
SERVICE_USER   ?= _twofactl
FRONTEND_GROUP ?= www-data
UNITS     := share/systemd/twofactl.socket share/systemd/twofactl@.service \
             share/systemd/twofactl-expire.service
GENERATED := $(UNITS) share/sysusers.d/twofactl.conf share/tmpfiles.d/twofactl.conf \
             share/twofactl.cron
# pam_twofactl.so: libpam and json-c only, and of core/ only input.c (no
# libsodium: the module holds no key). Never built with sanitizers: it is
# loaded into programs (sshd, pamtester) that are not. The binary it starts
# is fixed at build time; the test build starts this tree's twofactl.
PAM_SRC    := pam/pam_twofactl.c core/input.c
PAM_CFLAGS  = -std=c11 -D_GNU_SOURCE $(WARN) -I. -fPIC -fvisibility=hidden \
              $(shell pkg-config --cflags json-c 2>/dev/null) $(CPPFLAGS) $(filter-out -fsanitize=%,$(CFLAGS))
PAM_LIBS   := -lpam $(shell pkg-config --libs json-c 2>/dev/null)
PAM_LDFLAGS := -shared -Wl,--no-undefined -Wl,-z,relro -Wl,-z,now

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Debian packages. A build needs BUILD_PKGS; make demo installs those and
# DEMO_PKGS (the demo's own tools: none beyond coreutils); make check also
# the test peers, TEST_PKGS, one line per peer: a test that needs a package
# has it listed here and nowhere else.
BUILD_PKGS := build-essential pkg-config libsodium-dev liboath-dev libjson-c-dev \
              libcurl4-openssl-dev libqrencode-dev libpng-dev libfido2-dev libpam0g-dev \
              libidn2-dev
DEMO_PKGS  :=
TEST_PKGS  := bats bats-assert bats-support bats-file jq
TEST_PKGS  += python3-aiosmtpd openssl
TEST_PKGS  += oathtool
TEST_PKGS  += zbar-tools librsvg2-bin qrencode
TEST_PKGS  += groff-base zsh fish shellcheck
TEST_PKGS  += libpam-oath pamtester libpam-google-authenticator
TEST_PKGS  += python3-cryptography
TEST_PKGS  += systemd
TEST_PKGS  += php-cli
TEST_PKGS  += openssh-server openssh-client python3-paramiko passwd
TEST_PKGS  += valgrind
# What each line is for: bats and its libraries run the suites, jq reads
# --json; an SMTP server (aiosmtpd) and a throw-away certificate for its
# STARTTLS (openssl); independent codes (oathtool); QR codes read back
# (zbarimg, SVG through rsvg-convert, qrencode's reference); the man page
# lint and the completions in zsh and fish (shellcheck for the bash one);
# pam_oath, pamtester and google-authenticator
# for the importers and bench; a software FIDO2 authenticator; systemd's
# tools for the installed units and socket activation (systemd-analyze,
# systemd-socket-activate, systemd-sysusers, systemd-tmpfiles); PHP for the
# web front end's client example; a real sshd, a client (paramiko) and
# useradd for pam_twofactl; valgrind for the module's loop test.

# ...and for make check-cluster: a GlusterFS volume on this machine.
CLUSTER_PKGS := glusterfs-server glusterfs-client iproute2

.PHONY: all check unit install uninstall clean demo deps demo-deps bench asan fuzz \
        fuzz-standalone valgrind FORCE deps-cluster check-cluster bench-store

all: twofactl twofactl.pc $(GENERATED) pam/pam_twofactl.so pam/test/pam_twofactl.so tests/pam/pam_loop

libtwofactl.a: $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $(LIB_OBJ)

twofactl: $(CMD_SRC:.c=.o) libtwofactl.a .build-flags
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CMD_SRC:.c=.o) libtwofactl.a $(LIBS)

# The library is static only: its dependencies go in Requires and Libs, so
# the documented `pkg-config --cflags --libs twofactl` links (and json-c's
# json_object is in the header).
twofactl.pc: Makefile .build-vars
	@printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(INCLUDEDIR)' 'libdir=$(LIBDIR)' '' \
	  'Name: twofactl' 'Description: two-factor accounts in an encrypted flat-file store' \
	  'Version: $(VERSION)' 'Requires: $(PKGS)' \
	  'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -ltwofactl -ldl -pthread' >$@

# Rebuild what depends on the flags, the version, a path or a user when it
# changes, as git does with GIT-CFLAGS: each file is rewritten only when its
# content differs, so an unchanged build stays up to date.
define write-if-changed
	@printf '%s\n' '$(subst ','\'',$(2))' >$(1).new; \
	if cmp -s $(1).new $(1); then rm -f $(1).new; else mv -f $(1).new $(1); fi
endef
.build-flags: FORCE
	$(call write-if-changed,$@,$(CC) $(BASE_CFLAGS) $(LDFLAGS) $(LIBS))
.build-vars: FORCE
	$(call write-if-changed,$@,$(DEFS) $(BINDIR) $(STOREDIR) $(SPOOLDIR) $(SOCKET) $(SERVICE_USER) \
	  $(FRONTEND_GROUP) $(PREFIX) $(LIBDIR) $(INCLUDEDIR))
FORCE:
cmd/twofactl.o cmd/deliver.o: .build-vars

# The units, sysusers.d, tmpfiles.d and cron files name the installed binary,
# the store, the socket and the users.
$(GENERATED): %: %.in .build-vars
	@echo "  GEN     $@"
	$(Q)sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@STOREDIR@|$(STOREDIR)|g' \
	  -e 's|@SPOOLDIR@|$(SPOOLDIR)|g' -e 's|@SOCKET@|$(SOCKET)|g' \
	  -e 's|@SERVICE_USER@|$(SERVICE_USER)|g' -e 's|@FRONTEND_GROUP@|$(FRONTEND_GROUP)|g' \
	  $< >$@.tmp && mv -f $@.tmp $@

# The binary the module starts and its default store are compiled in: it is
# rebuilt when BINDIR or STOREDIR change (make PREFIX=/usr install after a
# plain make).
pam/pam_twofactl.so: $(PAM_SRC) core/input.h .build-vars .build-flags
	@echo "  LD      $@"
	$(Q)$(CC) $(PAM_CFLAGS) -DTWOFACTL_BIN='"$(BINDIR)/twofactl"' -DTWOFACTL_STORE='"$(STOREDIR)"' \
	  $(PAM_LDFLAGS) $(LDFLAGS) -o $@ $(PAM_SRC) $(PAM_LIBS)

pam/test/pam_twofactl.so: $(PAM_SRC) core/input.h .build-flags
	@mkdir -p pam/test
	@echo "  LD      $@"
	$(Q)$(CC) $(PAM_CFLAGS) -DTWOFACTL_BIN='"$(CURDIR)/twofactl"' $(PAM_LDFLAGS) $(LDFLAGS) -o $@ $(PAM_SRC) $(PAM_LIBS)

# A PAM application that authenticates in a loop (the valgrind test).
tests/pam/pam_loop: tests/pam_loop.c .build-flags
	@mkdir -p tests/pam
	@echo "  LD      $@"
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(filter-out -fsanitize=%,$(CFLAGS)) $(LDFLAGS) -o $@ $< -lpam

%.o: %.c .build-flags
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

FUZZ_NAMES := record base32 cidr uri import config code webauthn request verify
FUZZ_CORE  := $(CORE_SRC) $(STORE_SRC) $(TFLIB_SRC)
FUZZ_SECONDS ?= 30

# The harnesses run over their seed corpus in make check (no libFuzzer needed)...
tests/fuzz/bin/%: tests/fuzz/fuzz_%.c tests/fuzz/standalone.c $(LIB_OBJ) .build-flags
	@mkdir -p tests/fuzz/bin
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< tests/fuzz/standalone.c $(LIB_OBJ) $(LIBS)

fuzz-standalone: $(addprefix tests/fuzz/bin/,$(FUZZ_NAMES))

# ...and under libFuzzer (clang, ASan, UBSan) for FUZZ_SECONDS each in make fuzz.
fuzz:
	@mkdir -p tests/fuzz/lf tests/fuzz/crashes
	@for n in $(FUZZ_NAMES); do \
	  echo "== fuzz $$n ($(FUZZ_SECONDS) s)"; \
	  clang -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
	    $$(pkg-config --cflags $(PKGS) libcurl libqrencode libpng libfido2) \
	    -o tests/fuzz/lf/fuzz_$$n tests/fuzz/fuzz_$$n.c $(FUZZ_CORE) $(LIBS) || exit 1; \
	  rm -rf tests/fuzz/lf/corpus_$$n; cp -R tests/fuzz/corpus/$$n tests/fuzz/lf/corpus_$$n; \
	  tests/fuzz/lf/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -artifact_prefix=tests/fuzz/crashes/$$n- tests/fuzz/lf/corpus_$$n || exit 1; \
	done
	@echo "no crash: new crashes would be in tests/fuzz/crashes/ (copy them to tests/fuzz/corpus/NAME/)"

tests/unit/run-unit: $(UNIT_SRC) $(LIB_OBJ) .build-flags
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(UNIT_SRC) $(LIB_OBJ) $(LIBS)

# Install the missing ones of the packages given, with apt-get, as root only:
# nothing runs when every package is there; without root, say what to
# install and fail (never sudo). Elsewhere than Debian, only a reminder.
define install-missing
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "deps: no dpkg-query: make sure these or their equivalents are installed:"; \
	  echo "  $(strip $(1))"; exit 0; fi; \
	missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all $(words $(1)) packages present"; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "deps: missing packages:$$missing" >&2; \
	  echo "deps: install them as root: apt-get install --no-install-recommends$$missing" >&2; \
	  exit 1; \
	else echo "deps: installing:$$missing"; \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi
endef

deps:
	$(call install-missing,$(BUILD_PKGS) $(DEMO_PKGS) $(TEST_PKGS))

demo-deps:
	$(call install-missing,$(BUILD_PKGS) $(DEMO_PKGS))

# deps and the GlusterFS packages, with one apt-get update at most
deps-cluster:
	$(call install-missing,$(BUILD_PKGS) $(DEMO_PKGS) $(TEST_PKGS) $(CLUSTER_PKGS))

LIBTEST_SRC := $(wildcard tests/lib/*.c)
tests/lib/run-lib: $(LIBTEST_SRC) libtwofactl.a .build-flags
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -pthread $(LDFLAGS) -o $@ $(LIBTEST_SRC) libtwofactl.a $(LIBS)

unit: tests/unit/run-unit tests/lib/run-lib

# Every test: C unit tests, fuzz seeds, bats suites, then the cluster suites
# on a GlusterFS volume of this machine (CLUSTER=no skips them; where FUSE is
# unavailable they are skipped with the reason printed).
check: deps-cluster
	$(MAKE) WERROR=-Werror all unit fuzz-standalone
	tests/run-all

# Several hosts on one store: a GlusterFS replica-3 volume on this machine,
# mounted twice (tests/cluster/). CLUSTER_OPTS=--strict for the strict options.
check-cluster: deps-cluster
	$(MAKE) all
	tests/cluster/run $(CLUSTER_OPTS)

demo: demo-deps
	$(MAKE) all
	./share/demo.sh

asan:
	$(MAKE) clean
	$(MAKE) all unit fuzz-standalone CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run-all
	$(MAKE) clean

bench: all
	bench/run.sh
	/usr/bin/python3 bench/store.py

# The store's write path alone, against its floors (bench/store.py).
bench-store: all
	/usr/bin/python3 bench/store.py

# The demo with every twofactl run under valgrind (memcheck, leaks): any
# report fails it.
valgrind: all unit
	TWOFACTL_RUN="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 ./twofactl" \
	  ./share/demo.sh >/dev/null
	@echo "valgrind: the demo ran clean"
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 tests/lib/run-lib >/dev/null
	@echo "valgrind: the library's tests (two threads included) ran clean"
	tests/valgrind-sessions.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(PAMDIR) \
	  $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	  $(DESTDIR)$(FISHCOMPDIR) $(DESTDIR)$(SYSCONFDIR)/cron.d
	install -m 0755 twofactl $(DESTDIR)$(BINDIR)/twofactl
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 libtwofactl.a $(DESTDIR)$(LIBDIR)/libtwofactl.a
	install -m 0644 include/twofactl.h $(DESTDIR)$(INCLUDEDIR)/twofactl.h
	install -m 0644 twofactl.pc $(DESTDIR)$(PKGCONFIGDIR)/twofactl.pc
	install -m 0644 man/twofactl.1 $(DESTDIR)$(MANDIR)/man1/twofactl.1
	install -m 0644 man/twofactl.conf.5 $(DESTDIR)$(MANDIR)/man5/twofactl.conf.5
	install -m 0644 pam/pam_twofactl.so $(DESTDIR)$(PAMDIR)/pam_twofactl.so
	install -m 0644 man/pam_twofactl.8 $(DESTDIR)$(MANDIR)/man8/pam_twofactl.8
	install -m 0644 man/twofactl-json.7 $(DESTDIR)$(MANDIR)/man7/twofactl-json.7
	install -m 0644 completions/twofactl.bash $(DESTDIR)$(BASHCOMPDIR)/twofactl
	install -m 0644 completions/_twofactl $(DESTDIR)$(ZSHCOMPDIR)/_twofactl
	install -m 0644 completions/twofactl.fish $(DESTDIR)$(FISHCOMPDIR)/twofactl.fish
	for d in share/templates/*/; do \
	  install -d $(DESTDIR)$(DATADIR)/templates/$$(basename $$d); \
	  install -m 0644 $$d* $(DESTDIR)$(DATADIR)/templates/$$(basename $$d)/; done
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0644 $(UNITS) share/systemd/twofactl-expire.timer $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 share/sysusers.d/twofactl.conf $(DESTDIR)$(SYSUSERSDIR)/twofactl.conf
	install -m 0644 share/tmpfiles.d/twofactl.conf $(DESTDIR)$(TMPFILESDIR)/twofactl.conf
	install -m 0644 share/twofactl.cron $(DESTDIR)$(SYSCONFDIR)/cron.d/twofactl
	install -d $(DESTDIR)$(DATADIR)/examples
	install -m 0644 share/examples/twofactl_client.php share/examples/twofactl_client.py \
	  $(DESTDIR)$(DATADIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libtwofactl.a $(DESTDIR)$(INCLUDEDIR)/twofactl.h \
	  $(DESTDIR)$(PKGCONFIGDIR)/twofactl.pc
	rm -f $(DESTDIR)$(BINDIR)/twofactl $(DESTDIR)$(MANDIR)/man1/twofactl.1 \
	  $(DESTDIR)$(MANDIR)/man5/twofactl.conf.5 $(DESTDIR)$(MANDIR)/man7/twofactl-json.7 \
	  $(DESTDIR)$(BASHCOMPDIR)/twofactl \
	  $(DESTDIR)$(PAMDIR)/pam_twofactl.so $(DESTDIR)$(MANDIR)/man8/pam_twofactl.8 \
	  $(DESTDIR)$(ZSHCOMPDIR)/_twofactl $(DESTDIR)$(FISHCOMPDIR)/twofactl.fish
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS)) twofactl-expire.timer) \
	  $(DESTDIR)$(SYSUSERSDIR)/twofactl.conf $(DESTDIR)$(TMPFILESDIR)/twofactl.conf \
	  $(DESTDIR)$(SYSCONFDIR)/cron.d/twofactl
	rm -rf $(DESTDIR)$(DATADIR)

# Everything any target makes, the objects of sources since removed too. A
# fuzzing find in tests/fuzz/crashes/ is kept (copy it to the corpus); the
# directory goes when it is empty.
clean:
	rm -f twofactl libtwofactl.a twofactl.pc tests/unit/run-unit tests/unit/run-unit.d \
	  tests/lib/run-lib tests/lib/*.d $(OBJ) $(OBJ:.o=.d) $(UNIT_SRC:.c=.d) \
	  $(wildcard core/*.[od] store/*.[od] lib/*.[od] cmd/*.[od]) \
	  $(GENERATED) $(GENERATED:=.tmp) .build-flags .build-flags.new .build-vars .build-vars.new
	rm -rf pam/pam_twofactl.so pam/test tests/pam
	rm -rf tests/fuzz/bin tests/fuzz/lf demo
	if [ -d tests/fuzz/crashes ]; then rmdir tests/fuzz/crashes 2>/dev/null || \
	  echo "clean: kept tests/fuzz/crashes/: fuzzing finds to copy into tests/fuzz/corpus/"; fi

-include $(OBJ:.o=.d)
