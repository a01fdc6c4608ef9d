#!/bin/sh
# SPDX-License-Identifier: ISC
# make demo: the main job on a demo store under ./demo — create the store,
# add an account, enrol an authenticator app from a QR code in the terminal,
# confirm it, verify the current code (once), use a backup code.
set -eu
cd "$(dirname "$0")/.."
TF=${TWOFACTL_RUN:-./twofactl}   # make valgrind runs the demo under valgrind
export TWOFACTL_DIR="$PWD/demo/store"
rm -rf demo
mkdir -p demo
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "twofactl init"
$TF init
$TF -q config set issuer "Example Hosting"

step "twofactl user add alice --email alice@example.org --lang en"
$TF user add alice --email alice@example.org --lang en

now=$(date +%s)
step "twofactl enroll alice --qr ansi  (scan it with an authenticator app)"
$TF --at "$now" enroll alice --qr ansi --label phone
$TF --at "$now" show alice -o demo/alice-qr.png >/dev/null
echo "(the same key as a printable PNG: demo/alice-qr.png)"

code=$($TF --at "$now" code alice)
step "twofactl confirm alice $code   (the code the app shows now)"
$TF --at "$now" confirm alice "$code" | tee demo/backup-codes.txt

next=$((now + 30))
code=$($TF --at "$next" code alice)
step "twofactl verify alice $code   (30 s later)"
$TF --at "$next" verify alice "$code"
step "the same code again is refused: each code works once"
$TF --at "$next" verify alice "$code" || echo "exit status $?"

backup=$(tail -n 1 demo/backup-codes.txt)
step "twofactl verify alice   (a backup code, read from stdin)"
echo "$backup" | $TF verify alice

step "email codes: twofactl enroll alice --method email   (to a local spool: demo/mail)"
mkdir -m 700 demo/mail
$TF -q config set smtp.url "spool:$PWD/demo/mail"
$TF -q config set smtp.from 2fa@example.org
$TF --at "$next" enroll alice --method email
code=$(grep -ohE '^    [0-9]{6}' demo/mail/*.eml | head -1 | tr -d ' ')
echo "(the message in demo/mail/ carries code $code and the session id)"
$TF --at "$next" confirm alice "$code" >/dev/null && echo "email is now a method of alice"

later=$((next + 60))
step "a login: twofactl check alice --ip 198.51.100.7   (after the password)"
$TF --at "$later" check alice --ip 198.51.100.7 || echo "exit status $?: a code is needed"
session=$($TF -q --at "$later" send alice --via email)
code=$(grep -lE "session $session" demo/mail/*.eml | xargs grep -ohE '^    [0-9]{6}' | head -1 | tr -d ' ')
step "twofactl send alice --via email -> session $session; the user types $code"
echo "$code" | $TF --at "$later" verify alice --ip 198.51.100.7

step "twofactl whitelist add alice 198.51.100.0/24 --note office; check again"
$TF -q whitelist add alice 198.51.100.0/24 --note office
$TF --at "$later" check alice --ip 198.51.100.7

step "twofactl user show alice"
$TF user show alice
step "twofactl audit verify"
$TF audit verify
step "the store: no name, key or code in clear"
find demo/store -type f | sort
