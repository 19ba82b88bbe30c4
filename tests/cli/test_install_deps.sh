#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# scripts/install-deps.sh without installing anything: stub dpkg-query, apt-get and clang on a
# PATH in front of the real one decide what is "installed"; a PATH without apt-get gives the
# one-line error. Run: test_install_deps.sh MEMVIRT BUILD_DIR
source "$(dirname "$0")/lib.sh"
SCRIPT=$SRC/scripts/install-deps.sh
STUB=$TMP/stub
mkdir -p "$STUB"

# dpkg-query -W -f=FMT PKG: "installed" when PKG is a line of $TMP/installed.
cat >"$STUB/dpkg-query" <<'STUB'
#!/bin/sh
for p; do :; done
grep -qx -- "$p" "$STUB_DIR/installed" && printf 'install ok installed' && exit 0
exit 1
STUB
# apt-get ARGS: logged, never run.
cat >"$STUB/apt-get" <<'STUB'
#!/bin/sh
echo "apt-get $*" >>"$STUB_DIR/apt.log"
STUB
cat >"$STUB/clang" <<'STUB'
#!/bin/sh
echo "Debian clang version 16.0.6 (15)"
STUB
chmod +x "$STUB"/*
export STUB_DIR=$TMP
stubbed() { PATH="$STUB:$PATH" bash "$SCRIPT" "$@"; }

# The groups and their packages, written here from the README's list, not from the script.
BUILD="build-essential cmake make pkg-config git libelf-dev zlib1g-dev libzstd-dev libcapstone-dev linux-libc-dev clang-format python3"
SWEEP="parallel"
REPORTS="gnuplot-nox chromium"

# Nothing installed: --check reports all seven groups as missing and exits 1.
: >"$TMP/installed"
expect 1 "--check with nothing installed" -- stubbed --check
for g in build tracer lab reports sweep bench docs; do
	check "--check reports group $g" grep -q "^install-deps: $g: missing" "$TMP/out"
done
check "--check reports seven lines" [ "$(wc -l <"$TMP/out")" -eq 7 ]
check "--check installs nothing" [ ! -e "$TMP/apt.log" ]
# The clang runtime follows the installed clang's major version (the stub says 16).
check "tracer wants libclang-rt-16-dev" grep -q "^install-deps: tracer: missing.* libclang-rt-16-dev" "$TMP/out"

# Every build package present, one missing from reports: --only build passes, --only reports not.
printf '%s\n' $BUILD chromium >"$TMP/installed"
expect 0 "--check --only build with build present" -- stubbed --check --only build
check "--only build reports only build" [ "$(cat "$TMP/out")" = "install-deps: build: ok ($BUILD)" ]
expect 1 "--check --only reports without gnuplot-nox" -- stubbed --check --only reports,sweep
check "reports names gnuplot-nox missing" grep -qx "install-deps: reports: missing gnuplot-nox (present: chromium)" "$TMP/out"
check "sweep names parallel missing" grep -qx "install-deps: sweep: missing $SWEEP" "$TMP/out"

# Nothing to do: one line, apt-get never called.
expect 0 "install with build present" -- stubbed --only build
check "nothing to do is one line" one_line "$TMP/out"
check "nothing to do calls no apt-get" [ ! -e "$TMP/apt.log" ]

# Something missing (we may be root or not): as root apt-get installs exactly the missing ones.
if [ "$(id -u)" -eq 0 ]; then
	expect 0 "install the missing reports and sweep packages" -- stubbed --only reports,sweep
	check "apt-get install names exactly the missing" \
		grep -q "install -y -qq --no-install-recommends gnuplot-nox parallel\$" "$TMP/apt.log"
	check "apt-get waits for the dpkg lock" grep -q "DPkg::Lock::Timeout=" "$TMP/apt.log"
fi

# Bad arguments: usage error 2.
expect 2 "unknown group" -- stubbed --only nosuch
check "unknown group names the groups" grep -q "build tracer lab reports sweep bench docs" "$TMP/err"
expect 2 "unknown option" -- stubbed --frobnicate

# No apt-get/dpkg: a PATH holding only the shell tools the script needs.
NOAPT=$TMP/noapt
mkdir -p "$NOAPT"
for t in bash sed grep cat dirname id head; do ln -s "$(command -v "$t")" "$NOAPT/$t"; done
expect 1 "no apt-get" -- env PATH="$NOAPT" bash "$SCRIPT" --only build,sweep
check "no apt-get: one line" one_line "$TMP/err"
check "no apt-get: names the packages" grep -q "build: .*libzstd-dev.*; sweep: parallel" "$TMP/err"
expect 1 "no apt-get with --check" -- env PATH="$NOAPT" bash "$SCRIPT" --check

# The real system: --check runs and reports every group (present or not).
expect_any() { "$@" >"$TMP/out" 2>"$TMP/err" </dev/null; }
expect_any bash "$SCRIPT" --check
check "real --check reports seven groups" [ "$(grep -c '^install-deps: [a-z]*: ' "$TMP/out")" -eq 7 ]

finish
