#!/bin/sh
# aa_power.sh - the A/A and power benchmark of the performance gate (issue 10). Not run by
# `meson test`: it times real runs and takes minutes. Run it on a machine in the state you
# want to measure (quiet, or with `stress-ng --cpu 1` keeping one core busy) and give the
# load average (uptime) with any figure.
#
#   A/A:   PAIRS pairs of independent runs of the same build; each pair judged by
#          `archbench compare` at THRESHOLD: a regression or improvement is a false alarm.
#   power: in each pair, every sample of one item (ITEM regex over family/kernel/shape/tN)
#          of the candidate is scaled by 1.03, 1.05 and 1.10 through the results model
#          (`archbench _scale`), then judged: caught / undecided / passed as no change.
#   ab:    with AB=1, also PAIRS `archbench ab` A/A runs of the build against itself.
#
# Usage: bench/aa_power.sh ARCHBENCH OUT_DIR
# Environment (defaults): PAIRS=20 THRESHOLD=5% REPS=10 BLOCKS=20 AB=0
#   FILTER='^gemm_f32/gemm_f32_(ref|avx512)$' SETS='--set m=64 --set n=64 --set k=64'
#   ITEM='gemm_f32_ref/'
set -eu
ab=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
PAIRS=${PAIRS:-20}; THRESHOLD=${THRESHOLD:-5%}; REPS=${REPS:-10}; BLOCKS=${BLOCKS:-20}; AB=${AB:-0}
FILTER=${FILTER:-'^gemm_f32/gemm_f32_(ref|avx512)$'}
SETS=${SETS:-'--set m=64 --set n=64 --set k=64'}
ITEM=${ITEM:-'gemm_f32_ref/'}
mkdir -p "$out"
echo "load: $(uptime)" | tee "$out/load.txt"
# verdict of the first item whose name matches ITEM in a compare JSON
item_verdict() {
    python3 -c 'import json,re,sys
d=json.load(open(sys.argv[1]))
for it in d["items"]:
    if re.search(sys.argv[2], "%s/%s/%s/t%d" % (it["family"], it["kernel"], it["shape"], it["threads"])):
        print(it["verdict"]); break' "$1" "$2"
}
aa_alarms=0; pw_log="$out/power.tsv"; : >"$pw_log"
i=1
while [ "$i" -le "$PAIRS" ]; do
    mkdir -p "$out/pair$i"
    for side in a b; do
        # shellcheck disable=SC2086
        "$ab" run --filter "$FILTER" $SETS -t 1 -r "$REPS" --no-probes --overwrite --out "$out/pair$i/$side" >/dev/null 2>&1 || true
    done
    rc=0
    "$ab" compare "$out/pair$i/a" "$out/pair$i/b" --threshold "$THRESHOLD" --json "$out/pair$i/aa.json" >"$out/pair$i/aa.txt" 2>&1 || rc=$?
    [ "$rc" = 1 ] && aa_alarms=$((aa_alarms + 1))
    for f in 1.03 1.05 1.10; do
        "$ab" _scale "$out/pair$i/b" "$out/pair$i/b_x$f" --filter "$ITEM" --factor "$f" 2>/dev/null
        "$ab" compare "$out/pair$i/a" "$out/pair$i/b_x$f" --threshold "$THRESHOLD" --json "$out/pair$i/x$f.json" >/dev/null 2>&1 || true
        printf '%s\t%s\t%s\n' "$i" "$f" "$(item_verdict "$out/pair$i/x$f.json" "$ITEM")" >>"$pw_log"
    done
    if [ "$AB" = 1 ]; then
        # shellcheck disable=SC2086
        "$ab" ab --base "$ab" --cand "$ab" --blocks "$BLOCKS" --filter "$FILTER" $SETS --threshold "$THRESHOLD" \
            --overwrite --out "$out/pair$i/ab" >"$out/pair$i/ab.txt" 2>&1 || echo "ab A/A pair $i: exit $?" >>"$out/ab_alarms.txt"
    fi
    echo "pair $i/$PAIRS done (compare exit $rc)"
    i=$((i + 1))
done
echo "A/A (compare, unpaired): $aa_alarms false alarms in $PAIRS pairs at $THRESHOLD" | tee "$out/summary.txt"
[ "$AB" = 1 ] && echo "A/A (ab, paired): $( (cat "$out/ab_alarms.txt" 2>/dev/null || true) | grep -c 'exit 1' || true) false alarms in $PAIRS" | tee -a "$out/summary.txt"
for f in 1.03 1.05 1.10; do
    awk -F'\t' -v f="$f" '$2 == f { n++; c[$3]++ } END { printf "power x%s: %d pairs:", f, n; for (v in c) printf " %s %d,", v, c[v]; printf "\n" }' "$pw_log"
done | tee -a "$out/summary.txt"
echo "load: $(uptime)" | tee -a "$out/load.txt"
