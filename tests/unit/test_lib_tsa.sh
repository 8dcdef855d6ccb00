#!/usr/bin/env bash
# clang -Wthread-safety checks the lock discipline declared by the
# annotations of sync.h and sync.hpp: a sample that follows it compiles
# without a warning; one that breaks it warns on exactly the lines marked
# EXPECT-WARNING.
# Usage: test_lib_tsa.sh CLANG CLANGXX SOURCE_DIR
set -euo pipefail
cc=$1 cxx=$2 src=$3
fail=0

compile() { # compiler, std, file -> warnings on stdout
  "$1" "$2" -fsyntax-only -Wthread-safety -Wthread-safety-beta -I"$src/include" "$3" 2>&1 || true
}

check_good() {
  local out
  out=$(compile "$1" "$2" "$3")
  if grep -q "warning:" <<<"$out"; then
    echo "FAIL: $3 should compile without thread-safety warnings:"; echo "$out"; fail=1
  else
    echo "ok: $3 has no warnings"
  fi
}

check_bad() {
  local out want got base
  base=$(basename "$3")
  out=$(compile "$1" "$2" "$3")
  want=$(grep -nE "EXPECT-WARNING( \*/)?$" "$3" | cut -d: -f1 | sort -n | tr '\n' ' ')
  got=$(grep -E "^[^:]*$base:[0-9]+:[0-9]+: warning:" <<<"$out" | cut -d: -f2 | sort -nu | tr '\n' ' ')
  if [ -z "$want" ] || [ "$want" != "$got" ]; then
    echo "FAIL: $3 warnings on lines [$got], expected [$want]:"; echo "$out"; fail=1
  else
    echo "ok: $3 warns on lines $got"
  fi
}

check_good "$cc" -std=gnu11 "$src/tests/unit/lib_tsa_good.c"
check_bad "$cc" -std=gnu11 "$src/tests/unit/lib_tsa_bad.c"
check_good "$cxx" -std=c++17 "$src/tests/unit/lib_tsa_good.cpp"
check_bad "$cxx" -std=c++17 "$src/tests/unit/lib_tsa_bad.cpp"
exit $fail
