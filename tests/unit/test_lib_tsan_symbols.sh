#!/usr/bin/env bash
# The TSan annotations of libsyncwatch-sync cost nothing in a normal build
# and are there in a ThreadSanitizer build: the shared library references
# __tsan_mutex_* only when built with -fsanitize=thread.
# Usage: test_lib_tsan_symbols.sh LIBRARY none|annotated
set -euo pipefail
lib=$1 want=$2
refs=$(nm -D "$lib" | grep -c ' __tsan_mutex_' || true)
case $want in
  none) [ "$refs" -eq 0 ] || { echo "FAIL: $lib references $refs __tsan_mutex_ symbols"; exit 1; } ;;
  annotated)
    for s in create destroy pre_lock post_lock pre_unlock post_unlock; do
      nm -D "$lib" | grep -q " __tsan_mutex_$s\$" || { echo "FAIL: $lib lacks __tsan_mutex_$s"; exit 1; }
    done ;;
  *) echo "usage: $0 LIBRARY none|annotated" >&2; exit 2 ;;
esac
echo "ok: $lib ($want, $refs references)"
