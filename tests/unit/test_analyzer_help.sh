#!/bin/sh
# --help shows the defaults the report really uses.  For every option whose
# default --help states, the report without the option must equal (stdout
# and exit status) the report with the option set to the value --help
# gives; and a different value must change the report on the same trace, so
# the comparison can tell a wrong default from a right one.
# usage: test_analyzer_help.sh SWGEN SYNCWATCH-REPORT
set -u
SWGEN=$1
REPORT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

"$REPORT" --help >"$TMP/help" || { echo "FAIL: --help exit $?"; exit 1; }

# The option entries of --help, one a line (an entry is the option's line
# and the indented lines that continue it).
entries() {
    awk '/^  -/ { if (e != "") print e; e = $0; next }
         /^                          / { e = e " " $0; next }
         { if (e != "") print e; e = "" }
         END { if (e != "") print e }' "$TMP/help"
}

# The value after "(default " in OPTION's entry.
help_default() {
    entries | grep -E -- "--$1([ =[]|$)" | sed -n 's/.*(default \([^;)]*\)[;)].*/\1/p' | head -1
}

# check OPTION OTHER TRACE: the default and the value --help states agree,
# OTHER disagrees.
checked=" "
check() {
    opt=$1 other=$2 trace=$3
    checked="$checked$opt "
    val=$(help_default "$opt")
    if [ -z "$val" ]; then
        echo "FAIL --$opt: --help states no default"; fails=$((fails + 1)); return
    fi
    "$REPORT" --no-symbols "$trace" >"$TMP/none" 2>&1; s_none=$?
    "$REPORT" --no-symbols "--$opt=$val" "$trace" >"$TMP/val" 2>&1; s_val=$?
    "$REPORT" --no-symbols "--$opt=$other" "$trace" >"$TMP/other" 2>&1; s_other=$?
    if [ "$s_none" -ne "$s_val" ] || ! cmp -s "$TMP/none" "$TMP/val"; then
        echo "FAIL --$opt: --help says the default is $val, but --$opt=$val changes the report"
        diff "$TMP/none" "$TMP/val" | head -10 | sed 's/^/    /'
        fails=$((fails + 1)); return
    fi
    if [ "$s_none" -eq "$s_other" ] && cmp -s "$TMP/none" "$TMP/other"; then
        echo "FAIL --$opt: the test trace does not depend on it (--$opt=$other changes nothing)"
        fails=$((fails + 1)); return
    fi
    echo "ok   --$opt: default $val"
}

# contention: T2 holds twelve locks 5 ms at a time, five times, while a
# thread per lock waits for it: twelve hotspots with long holds.
contention() {
    echo "header pid=400 run=9"
    for w in 3 4 5 6 7 8 9 10 11 12 13 14; do
        echo "T$w start parent=T1 ; T1 create T$w"
    done
    echo "T2 start parent=T1 ; T1 create T2"
    for k in 0 1 2 3 4; do
        t=$((1 + 6 * k))
        for l in 1 2 3 4 5 6 7 8 9 10 11 12; do
            echo "T2 acquire H$l @${t}ms"
        done
        for l in 1 2 3 4 5 6 7 8 9 10 11 12; do
            echo "T$((l + 2)) wait H$l @$((t + 1))ms"
        done
        for l in 12 11 10 9 8 7 6 5 4 3 2 1; do
            echo "T2 release H$l @$((t + 5))ms ; T$((l + 2)) acquire H$l contended @$((t + 5))ms"
            echo "T$((l + 2)) release H$l @$((t + 5))ms"
        done
    done
}
# all: that, then T15 waits for S 150 ms while T2 takes S twelve times
# (starvation), a lock-order cycle of nine locks, one thread per edge,
all() {
    contention
    t=40
    echo "T15 start parent=T1 ; T1 create T15"
    echo "T2 acquire S @$((t + 1))ms ; T15 wait S @$((t + 2))ms ; T2 release S @$((t + 3))ms"
    for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
        echo "T2 acquire S @$((t + 10 * k))ms ; T2 release S @$((t + 10 * k + 1))ms"
    done
    echo "T15 acquire S contended @$((t + 150))ms ; T15 release S @$((t + 151))ms"
    t=$((t + 160))
    for i in 1 2 3 4 5 6 7 8 9; do
        n=$((i % 9 + 1)) th=T$((i + 15))
        echo "$th start parent=T1 ; T1 create $th"
        echo "$th acquire C$i @$((t + i))ms ; $th acquire C$n ; $th release C$n ; $th release C$i"
    done
    # and an inversion seen in one thread (a note by default)
    echo "T2 acquire X ; T2 acquire Y ; T2 release Y ; T2 release X"
    echo "T2 acquire Y ; T2 acquire X ; T2 release X ; T2 release Y"
}
{ contention; echo "T1 proc-exit status=0"; } >"$TMP/contention.txt"
{ all; echo "T1 proc-exit status=0"; } >"$TMP/all.txt"
"$SWGEN" "$TMP/contention.txt" "$TMP/contention.swt" || { echo "FAIL: swgen"; exit 1; }
"$SWGEN" "$TMP/all.txt" "$TMP/all.swt" || { echo "FAIL: swgen"; exit 1; }

check format json "$TMP/all.swt"
check fail-on all "$TMP/contention.swt"
check max-cycle-len 8 "$TMP/all.swt"
check color always "$TMP/all.swt"
check top 11 "$TMP/all.swt"
check hold-threshold 10ms "$TMP/all.swt"
check wait-threshold 200ms "$TMP/all.swt"
check starve-count 20 "$TMP/all.swt"
check single-thread-cycles warn "$TMP/all.swt"

# Every option whose entry says "default" was checked above.
for opt in $(entries | grep "(default " | sed 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z-]*\).*/\2/'); do
    case "$checked" in
    *" ${opt#--} "*) ;;
    *) echo "FAIL $opt: --help states a default this test does not check"; fails=$((fails + 1)) ;;
    esac
done

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
