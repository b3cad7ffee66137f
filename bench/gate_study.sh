#!/bin/sh
# gate_study.sh - the A/A, power and slow-build benchmark of the `archbench ab` CI gate
# (issue 10). Not run by `meson test`: it times real runs for tens of minutes. Run it on a
# machine in the state you want to measure; with LOAD=1 a busy loop (one process, not
# pinned: a noisy neighbour) keeps one core busy for the whole study.
#
#   A/A:   PAIRS independent `archbench ab` runs of the build against itself (BLOCKS blocks
#          each); any regression or improvement verdict is a false alarm. Every A/A run is
#          judged at each threshold in THRESHOLDS from the same blocks (`ab --judge`).
#   power: in every A/A run, the candidate's samples of ITEM (regex over
#          family/kernel/shape/tN) are scaled by each factor in FACTORS in every block
#          (`archbench _scale`, through the results model) and judged again: a true shift
#          of exactly that factor on real noise. Counted: caught / undecided / passed.
#   slow:  with SLOW=path/to/slowed/archbench (a build with -Dtest_slowdown_pct=N), one
#          `archbench ab` of the build against it: its mha_flash_avx512 rows really do N%
#          more work.
#
# Usage: bench/gate_study.sh ARCHBENCH OUT_DIR
# Environment (defaults): PAIRS=20 BLOCKS=20 LOAD=0 JUDGE_ONLY=0 MEASURE_ONLY=0 RUN_OPTS='-m 0.03' (per-run options) THRESHOLDS="5% 2%" FACTORS="1.03 1.05 1.10"
#   SLOW= ITEM='^mha/mha_flash_avx512/.*/t1$' and the item set below (RUN_ARGS);
#   PAIRED_TEST= (ab's default, signed-rank) or sign: the paired test the judging uses.
# Output: OUT_DIR/summary.txt (the figures), verdicts.tsv (one line per judged item), and
# every ab run's folder.
set -eu
ab=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkdir -p "$2"; out=$(cd "$2" && pwd)  # absolute: the power folders link to it
PAIRS=${PAIRS:-20}; BLOCKS=${BLOCKS:-20}; LOAD=${LOAD:-0}; SLOW=${SLOW:-}
THRESHOLDS=${THRESHOLDS:-5% 2%}; FACTORS=${FACTORS:-1.03 1.05 1.10}
ITEM=${ITEM:-'^mha/mha_flash_avx512/.*/t1$'}
# Three kernels of different kinds (compute-bound GEMM, attention, memory-bound RoPE), at 1
# and 2 threads, 3 repetitions of at least 0.03 s (the quick mode's) per block and side, so a
# block takes ~4 s on a 2-vCPU VM; shapes chosen so that each call takes 0.1-10 ms. heads_q=10 with n_q=512
# gives 80 query blocks, so a 5% slowed build redoes exactly 4 of them.
set -- --filter '^(gemm_f32/gemm_f32_avx512|mha/mha_flash_avx512|rope/rope_avx512)$' \
    --shape 'gemm_f32:m=256,n=256,k=256' --shape 'mha:heads_q=10,heads_kv=10,n_q=512,n_kv=512' \
    --shape 'rope:n_tokens=4096,heads=8,d=128,d_rot=128' -t 1,2 ${RUN_OPTS:--m 0.03}
mkdir -p "$out"
busy=
if [ "$LOAD" = 1 ]; then
    sh -c 'while :; do :; done' &
    busy=$!
fi
trap '[ -n "$busy" ] && kill "$busy" 2>/dev/null' EXIT INT TERM
echo "start: $(date -u +%FT%TZ) load: $(uptime) LOAD=$LOAD" | tee "$out/load.txt"

# verdict lines "<tag>\t<T>\t<item>\t<verdict>\t<ratio>\t<lo>\t<hi>" of a compare JSON
verdicts() {
    python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for it in d["items"]:
    name="%s/%s/%s/t%d" % (it["family"], it["kernel"], it["shape"], it["threads"])
    print("\t".join([sys.argv[2], sys.argv[3], name, it["verdict"], str(it.get("ratio")), str(it.get("ratio_low")), str(it.get("ratio_high"))]))' "$1" "$2" "$3"
}
judge_all() { # dir tag
    for t in $THRESHOLDS; do
        tn=$(echo "$t" | tr -d %)
        "$ab" ab --judge "$1" --threshold "$t" ${PAIRED_TEST:+--paired-test "$PAIRED_TEST"} --json "$1/judge_$tn.json" --markdown "$1/judge_$tn.md" \
            --junit "$1/judge_$tn.xml" >/dev/null 2>&1 || true
        verdicts "$1/judge_$tn.json" "$2" "$t" >>"$out/verdicts.tsv"
    done
}

# Measure first, judge after: the judging (hundreds of folder reads) never runs between
# the timed runs. JUDGE_ONLY=1 skips the runs and judges the folders already in OUT_DIR (a
# study cut short by time, or judged again).
if [ "${JUDGE_ONLY:-0}" != 1 ]; then
    i=1
    while [ "$i" -le "$PAIRS" ]; do
        "$ab" ab --base "$ab" --cand "$ab" --blocks "$BLOCKS" "$@" --overwrite --out "$out/aa$i" >"$out/aa$i.txt" 2>&1 ||
            echo "A/A $i: ab exit $?" >>"$out/exits.txt"
        echo "pair $i/$PAIRS done $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)"
        i=$((i + 1))
    done
    if [ -n "$SLOW" ]; then
        slow=$(cd "$(dirname "$SLOW")" && pwd)/$(basename "$SLOW")
        "$ab" ab --base "$ab" --cand "$slow" --blocks "$BLOCKS" "$@" --overwrite --out "$out/slow" >"$out/slow.txt" 2>&1 ||
            echo "slow: ab exit $?" >>"$out/exits.txt"
    fi
    [ -n "$busy" ] && kill "$busy" 2>/dev/null
    busy=
fi
# MEASURE_ONLY=1: stop here (judge later with JUDGE_ONLY=1, e.g. while the next study is
# not measuring: the judging is CPU work that must not overlap another study's timed runs).
[ "${MEASURE_ONLY:-0}" = 1 ] && { echo "measured: $(date -u +%FT%TZ)" >>"$out/load.txt"; exit 0; }
: >"$out/verdicts.tsv"
for d in "$out"/aa*/; do
    d=${d%/}; i=${d##*/aa}
    [ -e "$d/cand/block00/context.json" ] || continue
    judge_all "$d" "aa:$i"
    for f in $FACTORS; do
        p="$out/power$i-x$f"
        rm -rf "$p"; mkdir -p "$p/cand"
        ln -s "$d/base" "$p/base"
        for blk in "$d"/cand/block*; do
            "$ab" _scale "$blk" "$p/cand/$(basename "$blk")" --filter "$ITEM" --factor "$f" 2>/dev/null
        done
        judge_all "$p" "x$f:$i"
    done
done
[ -e "$out/slow/cand/block00/context.json" ] && judge_all "$out/slow" "slow:0"
echo "end: $(date -u +%FT%TZ) load: $(uptime)" >>"$out/load.txt"

python3 - "$out/verdicts.tsv" "$ITEM" "$PAIRS" >"$out/summary.txt" <<'EOF'
import re, sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
for r in rows:  # tag "kind:pair" -> kind, pair
    r[0:1] = r[0].split(":")
rows = [[r[0]] + r[2:] + [r[1]] for r in rows]  # kind, T, item, verdict, ratio, lo, hi, pair
item, pairs = re.compile(sys.argv[2]), int(sys.argv[3])
ths = sorted({r[1] for r in rows}, key=lambda t: float(t.rstrip("%")))
for t in ths:
    aa = [r for r in rows if r[0] == "aa" and r[1] == t]
    alarms = [r for r in aa if r[3] in ("regression", "improvement")]
    per = collections.Counter(r[3] for r in aa)
    widths = sorted(float(r[6]) / float(r[5]) - 1 for r in aa if r[5] not in ("None", "nan") and float(r[5]) > 0)
    med_w = widths[len(widths) // 2] if widths else float("nan")
    runs_alarmed = len({r[7] for r in alarms})
    print(f"threshold {t}: A/A: {runs_alarmed} of {len({r[7] for r in aa})} ab runs with a false alarm "
          f"({len(alarms)} of {len(aa)} item judgements); "
          f"verdicts {dict(per)}; median interval width {100 * med_w:.1f}%")
    for tag in sorted({r[0] for r in rows if r[0].startswith("x")}):
        sel = [r for r in rows if r[0] == tag and r[1] == t and item.search(r[2])]
        c = collections.Counter(r[3] for r in sel)
        print(f"  power {tag[1:]}x on {sys.argv[2]}: caught {c['regression']} / {len(sel)}, "
              f"undecided {c['undecided (noisy)'] + c['undecided']}, passed as no change {c['no change']}, other {len(sel) - c['regression'] - c['undecided (noisy)'] - c['undecided'] - c['no change']}")
    for r in rows:
        if r[0] == "slow" and r[1] == t:
            print(f"  slow build: {r[2]}: {r[3]} (ratio {r[4]}, interval {r[5]}-{r[6]})")
EOF
cat "$out/summary.txt"
