#!/usr/bin/env bash
# The installed libsyncwatch-sync works outside the source tree:
#   test_lib_install.sh BUILD_DIR SOURCE_DIR
# cmake --install into a temporary prefix, then a sample program (C and C++)
# is built against it with pkg-config (shared and static) and with CMake's
# find_package(syncwatch) (syncwatch::sync, syncwatch::sync-static), and
# each one runs; the man page is installed.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
tmp=$(mktemp -d /tmp/sw-lib-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check WHAT COMMAND...
    local what=$1; shift
    if "$@" >"$tmp/out" 2>&1; then
        echo "ok   $what"
    else
        fails=$((fails + 1)); echo "FAIL $what"; sed 's/^/     /' "$tmp/out" | tail -20
    fi
}

prefix=$tmp/prefix
check "cmake --install" cmake --install "$build" --prefix "$prefix"
libdir=$(dirname "$(find "$prefix" -name syncwatch-sync.pc | head -1)")/..
check "headers installed" test -f "$prefix/include/syncwatch/sync.h" -a \
      -f "$prefix/include/syncwatch/sync.hpp" -a -f "$prefix/include/syncwatch/annotations.h"
check "man page syncwatch-sync(3)" grep -q '^\.TH SYNCWATCH-SYNC 3' "$prefix/share/man/man3/syncwatch-sync.3"

app=$tmp/app
cp -r "$src/tests/install/lib_consumer" "$app"
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc_build() {
    cc -std=gnu11 -Wall -Werror -o "$app/pc_consumer" "$app/consumer.c" \
        $(pkg-config --cflags --libs syncwatch-sync) &&
    LD_LIBRARY_PATH=$libdir "$app/pc_consumer" | grep -q 'caught UNLOCK_NOT_LOCKED on "counter_lock"'
}
check "pkg-config: build and run (shared)" pc_build
pc_static() {
    cc -std=gnu11 -Wall -Werror -o "$app/pc_static" "$app/consumer.c" \
        $(pkg-config --cflags syncwatch-sync) "$libdir/libsyncwatch-sync.a" \
        $(pkg-config --static --libs-only-other --libs-only-l syncwatch-sync | sed 's/-lsyncwatch-sync//') &&
    ! ldd "$app/pc_static" | grep -q syncwatch-sync && "$app/pc_static" >/dev/null
}
check "pkg-config: build and run (static)" pc_static
pc_cxx() {
    c++ -std=c++17 -Wall -Werror -o "$app/pc_cpp" "$app/consumer.cpp" \
        $(pkg-config --cflags --libs syncwatch-sync) &&
    LD_LIBRARY_PATH=$libdir "$app/pc_cpp" | grep -q 'cpp consumer: 1'
}
check "pkg-config: C++ build and run" pc_cxx
cmake_build() {
    cmake -S "$app" -B "$app/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null &&
    cmake --build "$app/build" >/dev/null &&
    "$app/build/consumer" | grep -q "caught UNLOCK_NOT_LOCKED" &&
    "$app/build/consumer_static" >/dev/null && ! ldd "$app/build/consumer_static" | grep -q syncwatch-sync &&
    "$app/build/consumer_cpp" | grep -q 'cpp consumer: 1'
}
check "find_package(syncwatch): syncwatch::sync, sync-static, C++" cmake_build
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
