#!/bin/sh
# split_debug.sh LIB OUTDIR: makes OUTDIR/stripped/NAME (LIB without debug
# info, same build-id) and OUTDIR/debug/.build-id/xx/yyyy.debug (the debug
# info alone), the layout of /usr/lib/debug, for test_symbolize.
set -eu
lib=$1
out=$2
name=$(basename "$lib")
id=$(readelf -n "$lib" | awk '/Build ID/ { print $3 }')
if [ -z "$id" ]; then
  echo "split_debug.sh: $lib has no build-id" >&2
  exit 1
fi
rest=${id#??}
dir=${id%"$rest"}
rm -rf "$out"
mkdir -p "$out/stripped" "$out/debug/.build-id/$dir"
objcopy --only-keep-debug "$lib" "$out/debug/.build-id/$dir/$rest.debug"
objcopy --strip-debug "$lib" "$out/stripped/$name"
