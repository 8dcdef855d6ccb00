#!/usr/bin/env bash
# The installed syncwatch works on its own, outside the source tree:
#   test_install.sh BUILD_DIR SOURCE_DIR
# 1. cmake --install into a temporary prefix; the launcher runs a program
#    built outside the source tree, then again after the prefix was moved
#    (relocatable: no build-tree path baked in);
# 2. man pages and bash completion are installed and work;
# 3. cpack -G DEB builds a package whose contents and dependencies are
#    right, and whose unpacked files work as the installed ones would
#    (LD_PRELOAD=libsyncwatch.so without a path, found on the library path).
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
tmp=$(mktemp -d /tmp/sw-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0
check() { # check WHAT COMMAND...
    local what=$1; shift
    if "$@" >"$tmp/out" 2>&1; then
        passes=$((passes + 1)); echo "ok   $what"
    else
        fails=$((fails + 1)); echo "FAIL $what"; sed 's/^/     /' "$tmp/out" | tail -20
    fi
}
expect_rc() { # expect_rc RC COMMAND...
    local want=$1; shift
    "$@"; local rc=$?
    [ "$rc" -eq "$want" ] || { echo "exit status $rc, want $want"; return 1; }
}

prefix=$tmp/prefix
check "cmake --install" cmake --install "$build" --prefix "$prefix"

# A program of the user's, built outside the source tree.
mkdir "$tmp/app"
cp "$src/samples/abba.c" "$src/samples/sample_util.h" "$tmp/app/"
check "build a user program" cc -g -O1 -pthread -o "$tmp/app/abba" "$tmp/app/abba.c"
cd "$tmp/app" || exit 2

installed_run() { # installed_run PREFIX
    expect_rc 9 "$1/bin/syncwatch" run --output "$tmp/run.$RANDOM" --error-exitcode 9 -- ./abba \
        >"$tmp/report" && grep -q "lock-order-cycle" "$tmp/report" && grep -q lock_a "$tmp/report"
}
check "installed syncwatch run finds the cycle" installed_run "$prefix"
check "syncwatch --help on stdout" sh -c "'$prefix/bin/syncwatch' --help | grep -q -- --error-exitcode"
mv "$prefix" "$tmp/moved"
check "the moved prefix still works" installed_run "$tmp/moved"
preload_run() {
    mkdir -p "$tmp/t" && rm -f "$tmp/t"/* &&
    SYNCWATCH_OUTPUT="$tmp/t/" LD_PRELOAD="$tmp/moved/lib/libsyncwatch.so" ./abba >/dev/null &&
    expect_rc 1 "$tmp/moved/bin/syncwatch-report" "$tmp/t" >/dev/null
}
check "LD_PRELOAD of the installed shim + installed report" preload_run

man_ok() {
    for m in syncwatch syncwatch-report; do
        f="$tmp/moved/share/man/man1/$m.1"
        grep -q '^\.TH' "$f" || { echo "$f: no .TH"; return 1; }
    done
    grep -q -- 'error\\-exitcode' "$tmp/moved/share/man/man1/syncwatch.1" &&
    grep -q 'SYNCWATCH_HANG_TIMEOUT' "$tmp/moved/share/man/man1/syncwatch.1" &&
    grep -q -- 'fail\\-on' "$tmp/moved/share/man/man1/syncwatch-report.1"
}
check "man pages syncwatch(1) and syncwatch-report(1)" man_ok

completion_ok() {
    PATH="$tmp/moved/bin:$PATH" bash -c '
        source "$1/share/bash-completion/completions/syncwatch" || exit 1
        COMP_WORDS=(syncwatch run --ti); COMP_CWORD=2; _syncwatch
        [[ " ${COMPREPLY[*]} " == *" --timeout "* ]] || { echo "run --ti: ${COMPREPLY[*]}"; exit 1; }
        COMP_WORDS=(syncwatch st); COMP_CWORD=1; _syncwatch
        [[ " ${COMPREPLY[*]} " == *" status "* ]] || { echo "st: ${COMPREPLY[*]}"; exit 1; }
        COMP_WORDS=(syncwatch-report --fa); COMP_CWORD=1; _syncwatch_report
        [[ " ${COMPREPLY[*]} " == *" --fail-on "* ]] || { echo "--fa: ${COMPREPLY[*]}"; exit 1; }
    ' _ "$tmp/moved"
}
check "bash completion" completion_ok

# The Debian package.
deb_build() { (cd "$build" && cpack -G DEB -B "$tmp/deb" >/dev/null) && ls "$tmp"/deb/syncwatch_*.deb; }
check "cpack -G DEB" deb_build
deb=$(ls "$tmp"/deb/syncwatch_*.deb 2>/dev/null | head -1)
deb_contents() {
    dpkg-deb -c "$deb" >"$tmp/list" || return 1
    for f in ./usr/bin/syncwatch ./usr/bin/syncwatch-report ./usr/lib/libsyncwatch.so \
             ./usr/share/man/man1/syncwatch.1 ./usr/share/bash-completion/completions/syncwatch; do
        grep -q " $f\$" "$tmp/list" || { echo "missing $f"; return 1; }
    done
    dpkg-deb -f "$deb" Depends | tee /dev/stderr | grep -q libunwind8 &&
    dpkg-deb -f "$deb" Depends | grep -q libdw1
}
check "the package's files and dependencies" deb_contents
deb_works() {
    dpkg-deb -x "$deb" "$tmp/root" &&
    expect_rc 9 "$tmp/root/usr/bin/syncwatch" run --output "$tmp/debrun" --error-exitcode 9 -- ./abba \
        >/dev/null &&
    mkdir -p "$tmp/t2" &&
    SYNCWATCH_OUTPUT="$tmp/t2/" LD_LIBRARY_PATH="$tmp/root/usr/lib" LD_PRELOAD=libsyncwatch.so ./abba \
        >/dev/null &&
    expect_rc 1 "$tmp/root/usr/bin/syncwatch-report" "$tmp/t2" >/dev/null
}
check "the unpacked package runs (launcher; LD_PRELOAD=libsyncwatch.so by name)" deb_works

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
