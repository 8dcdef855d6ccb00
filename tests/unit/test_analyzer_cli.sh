#!/bin/sh
# syncwatch-report as a command: exit codes, messages for bad input, the
# subcommands and the output formats.  Traces come from swgen.
# usage: test_analyzer_cli.sh SWGEN SYNCWATCH-REPORT
set -u
SWGEN=$1
REPORT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

# expect NAME STATUS REGEX -- command...: runs it, checks the exit status and
# that stdout+stderr match REGEX (grep -E).
expect() {
    name=$1 status=$2 regex=$3
    shift 4
    "$@" >"$TMP/out" 2>&1
    got=$?
    if [ "$got" -ne "$status" ]; then
        echo "FAIL $name: exit $got, expected $status"; sed 's/^/    /' "$TMP/out" | head -20
        fails=$((fails + 1)); return
    fi
    if [ -n "$regex" ] && ! grep -Eq "$regex" "$TMP/out"; then
        echo "FAIL $name: output does not match /$regex/"; sed 's/^/    /' "$TMP/out" | head -20
        fails=$((fails + 1)); return
    fi
    echo "ok   $name"
}

cat >"$TMP/abba.txt" <<'T'
header pid=200 run=7
T2 start parent=T1 ; T1 create T2
T3 start parent=T1 ; T1 create T3
T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A
T3 acquire B ; T3 acquire A ; T3 release A ; T3 release B
T2 exit ; T3 exit ; T1 join T2 ; T1 join T3 ; T1 proc-exit status=0
T
cat >"$TMP/clean.txt" <<'T'
header pid=201 run=8
T2 start parent=T1 ; T1 create T2
T3 start parent=T1 ; T1 create T3
T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A
T3 acquire A ; T3 acquire B ; T3 release B ; T3 release A
T2 exit ; T3 exit ; T1 join T2 ; T1 join T3 ; T1 proc-exit status=0
T
"$SWGEN" "$TMP/abba.txt" "$TMP/abba.swt" || exit 1
"$SWGEN" "$TMP/clean.txt" "$TMP/clean.swt" || exit 1
"$SWGEN" --tear "$TMP/abba.txt" "$TMP/torn.swt" || exit 1
"$SWGEN" --cut -100 "$TMP/abba.txt" "$TMP/cut.swt" || exit 1
"$SWGEN" -e "header major=2 run=7" -e "T1 acquire A" "$TMP/v2.swt" || exit 1
"$SWGEN" -e "header magic=NOTATRCE" -e "T1 acquire A" "$TMP/magic.swt" || exit 1
"$SWGEN" -e "header run=7 pid=300" -e "T1 raw 0x3f 1 2" "$TMP/badtype.swt" || exit 1
# Format 1.1 records: the start of a join and of a condvar destroy, and an
# unassigned ext type inside the known range (skipped).
"$SWGEN" -e "header run=7" -e "T1 raw 0x4f 2 5" -e "T1 raw 0x51 1 6" -e "T1 raw 0x50 9 blob=00" \
  "$TMP/join.swt" || exit 1
"$SWGEN" -e "header run=7" -e "T1 acquire A" -e "T1 release A" \
  -e 'T1 note code=table-full text="held list full: lock-order edges from holds beyond it are not recorded"' \
  "$TMP/full.swt" || exit 1
: >"$TMP/empty.swt"
head -c 100 "$TMP/abba.swt" >"$TMP/short.swt"
mkdir "$TMP/run" "$TMP/mixed" "$TMP/none"
cp "$TMP/abba.swt" "$TMP/run/a.swt"
cp "$TMP/abba.swt" "$TMP/mixed/a.swt"
cp "$TMP/clean.swt" "$TMP/mixed/b.swt"

expect abba.exit1 1 "potential deadlock: lock-order cycle L1 -> L2 -> L1" -- "$REPORT" --no-color "$TMP/abba.swt"
expect abba.scenario 1 "holds L2 +waits for L1|waits for L2" -- "$REPORT" "$TMP/abba.swt"
expect clean.exit0 0 "No findings" -- "$REPORT" "$TMP/clean.swt"
expect dir.exit1 1 "lock-order cycle" -- "$REPORT" "$TMP/run"
expect fail_on.none 0 "lock-order cycle" -- "$REPORT" --fail-on none "$TMP/abba.swt"
expect fail_on.misuse 0 "" -- "$REPORT" --fail-on misuse,abandoned "$TMP/abba.swt"
expect fail_on.cycle 1 "" -- "$REPORT" --fail-on cycle "$TMP/abba.swt"
expect fail_on.bad 2 "unknown kind 'cycles'" -- "$REPORT" --fail-on cycles "$TMP/abba.swt"
expect json.exit1 1 '"kind":"cycle"' -- "$REPORT" --format json "$TMP/abba.swt"
if command -v python3 >/dev/null; then
    expect json.valid 0 "" -- sh -c "'$REPORT' --format json '$TMP/abba.swt' | python3 -m json.tool >/dev/null"
    # the fields docs/json-schema.md promises
    cat >"$TMP/schema.py" <<'PY'
import json, sys
r = json.load(sys.stdin)
for k in ("schema_version", "tool", "files", "processes", "events", "duration_ns",
          "dropped_events", "summary", "findings", "threads", "locks", "stacks", "notes",
          "warnings"):
    assert k in r, k
f = r["findings"][0]
for k in ("id", "kind", "code", "severity", "title", "why", "fix", "pruned", "locks",
          "threads", "steps", "scenario", "metrics"):
    assert k in f, k
for s in f["steps"]:
    for k in ("role", "thread", "lock", "stack", "site", "time_ns", "note"):
        assert k in s, k
ids = {l["id"] for l in r["locks"]}
assert set(f["locks"]) <= ids
tids = {t["id"] for t in r["threads"]}
assert set(f["threads"]) <= tids
for k in ("id", "name", "kind", "type", "robust", "pshared", "static", "binary_semaphore",
          "pid", "address", "label", "same_as", "init_stack", "init_site", "acquisitions",
          "contentions"):
    assert k in r["locks"][0], k
for k in ("id", "name", "pid", "tid", "index", "parent", "create_stack", "create_site", "end"):
    assert k in r["threads"][0], k
assert r["summary"]["by_kind"]["cycle"] == 1
print("schema ok")
PY
    expect json.schema 0 "schema ok" -- sh -c "'$REPORT' --format json '$TMP/abba.swt' | python3 '$TMP/schema.py'"
fi
expect verbose.pruned 0 "" -- "$REPORT" --verbose "$TMP/clean.swt"
expect missing 2 "nothere.swt: No such file or directory" -- "$REPORT" "$TMP/nothere.swt"
expect empty 2 "empty.swt: .*empty" -- "$REPORT" "$TMP/empty.swt"
expect short 2 "short.swt: offset [0-9]+" -- "$REPORT" "$TMP/short.swt"
expect truncated 2 "cut.swt: offset [0-9]+: truncated" -- "$REPORT" "$TMP/cut.swt"
expect newer_major 2 "v2.swt: offset 8: .*version 2" -- "$REPORT" "$TMP/v2.swt"
expect bad_magic 2 "magic.swt: offset 0" -- "$REPORT" "$TMP/magic.swt"
expect corrupt 2 "badtype.swt: offset [0-9]+: .*unknown core record type 0x3f" -- "$REPORT" "$TMP/badtype.swt"
expect torn.warns 1 "warning: .*torn.swt: offset [0-9]+: torn tail" -- "$REPORT" "$TMP/torn.swt"
expect mixed_runs 1 "\(2 runs\)" -- "$REPORT" "$TMP/mixed"
expect same_twice 2 "the same trace as .* is given twice" -- "$REPORT" "$TMP/abba.swt" "$TMP/run/a.swt"
expect empty_dir 2 "no trace" -- "$REPORT" "$TMP/none"
expect no_args 2 "no trace given" -- "$REPORT"
expect bad_option 2 "unknown option" -- "$REPORT" --frobnicate "$TMP/abba.swt"
expect bad_format 2 "unknown format" -- "$REPORT" --format xml "$TMP/abba.swt"
expect bad_len 2 "max-cycle-len" -- "$REPORT" --max-cycle-len x "$TMP/abba.swt"
expect bad_output 2 "cannot write the report" -- "$REPORT" -o "$TMP/no/such/dir/out" "$TMP/abba.swt"
expect output_file 1 "" -- "$REPORT" -o "$TMP/report.txt" "$TMP/abba.swt"
expect output_written 0 "lock-order cycle" -- cat "$TMP/report.txt"
expect help 0 "usage: syncwatch-report" -- "$REPORT" --help
expect version 0 "syncwatch-report [0-9]" -- "$REPORT" --version
expect info 0 "run id: +0000000000000007" -- "$REPORT" info "$TMP/abba.swt"
expect info.bad 2 "empty" -- "$REPORT" info "$TMP/empty.swt"
expect dump 0 "T2 +acquire +lock=1 flags=0x0" -- "$REPORT" dump "$TMP/abba.swt"
expect dump.args 2 "exactly one" -- "$REPORT" dump
expect dump.join 0 "T1 +join_begin +thread=2 site=5" -- "$REPORT" dump "$TMP/join.swt"
expect dump.cond_destroy 0 "T1 +cond_destroy_begin cond=1 site=6" -- "$REPORT" dump "$TMP/join.swt"
expect report.join 0 "No findings" -- "$REPORT" "$TMP/join.swt"
expect report.table_full 0 "note: T1 \\(pid [0-9]+\\): the recorder noted: held list full" -- "$REPORT" "$TMP/full.swt"
expect no_symbols 1 "lock-order cycle" -- "$REPORT" --no-symbols "$TMP/abba.swt"
expect thresholds 1 "" -- "$REPORT" --top 3 --hold-threshold 5ms --wait-threshold 1s --starve-count 4 "$TMP/abba.swt"
expect bad_duration 2 "duration" -- "$REPORT" --wait-threshold soon "$TMP/abba.swt"

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
