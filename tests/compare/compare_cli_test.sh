#!/bin/sh
# The gate's command contract on tiny real runs (no figure is asserted, only verdicts that
# the data force): identical runs pass (exit 0), a copy with one item's samples scaled by 20
# (not less: the base run is real, and on a loaded machine its own spread reached 3x once, with
# two fuzzers beside it on 2 vCPUs, which must not make the forced verdict depend on luck)
# through the results model (archbench _scale) is a regression (exit 1), scaled by 1/20 an
# improvement (exit 0), a folder that is not a run is refused naming the file (exit 2),
# documents are written, `ab` with 2 blocks can only be undecided (exit 0), and its turns
# interleave the two builds repetition by repetition.
# Usage: compare_cli_test.sh path/to/archbench
set -u
ab="$1"
tmp=$(mktemp -d /tmp/ab_compare_cli_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # exit-code description command...
    want=$1; what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; got=$?
    if [ "$got" != "$want" ]; then
        echo "not ok: $what: exit $got, want $want"; cat "$tmp/out" "$tmp/err"; fail=1
    else
        echo "ok: $what"
    fi
}
run="--filter ^gemm_f32/gemm_f32_ref$ --set m=8 --set n=8 --set k=8 --set trans_b=0 -t 1 -r 6 -m 0.002 --no-probes --no-pin"
# shellcheck disable=SC2086
"$ab" run $run --out "$tmp/a" >/dev/null 2>&1 || { echo "not ok: archbench run"; exit 1; }
expect 0 "compare --help" "$ab" compare --help
expect 0 "identical runs: no regression" "$ab" compare "$tmp/a" "$tmp/a" --strict
expect 0 "_scale x20" "$ab" _scale "$tmp/a" "$tmp/slow" --filter 'gemm_f32_ref' --factor 20
expect 1 "20x slower: regression" "$ab" compare "$tmp/a" "$tmp/slow" --markdown "$tmp/c.md" --junit "$tmp/c.xml" --json "$tmp/c.json"
grep -q '^regression' "$tmp/out" || { echo "not ok: table shows the regression"; fail=1; }
grep -q '\*\*regression\*\*' "$tmp/c.md" || { echo "not ok: markdown names the regression"; fail=1; }
grep -q '<failure type="regression"' "$tmp/c.xml" || { echo "not ok: junit failure"; fail=1; }
grep -q '"verdict":[[:space:]]*"regression"' "$tmp/c.json" || { echo "not ok: json verdict"; fail=1; }
grep -q 'instructions not counted\|PAPI_TOT_INS\|instructions' "$tmp/c.md" || { echo "not ok: instructions NA reason"; fail=1; }
expect 0 "_scale x1/20" "$ab" _scale "$tmp/a" "$tmp/fast" --filter 'gemm_f32_ref' --factor 0.05
expect 0 "20x faster: improvement, exit 0" "$ab" compare "$tmp/a" "$tmp/fast"
grep -q '^improvement' "$tmp/out" || { echo "not ok: table shows the improvement"; fail=1; }
expect 2 "not a run folder" "$ab" compare "$tmp/a" "$tmp"
grep -q "context.json" "$tmp/err" || { echo "not ok: the error names the file"; cat "$tmp/err"; fail=1; }
expect 2 "bad threshold" "$ab" compare "$tmp/a" "$tmp/a" --threshold 5
expect 2 "one folder only" "$ab" compare "$tmp/a"
"$ab" _scale "$tmp/a" "$tmp/slow2" --filter 'gemm_f32_ref' --factor 2 2>/dev/null
printf '^gemm_f32/ 900%%\n' >"$tmp/thr"
expect 0 "per-family threshold 900%: 2x is within" "$ab" compare "$tmp/a" "$tmp/slow2" --thresholds "$tmp/thr"
printf 'broken\n' >"$tmp/thr"
expect 2 "bad thresholds file" "$ab" compare "$tmp/a" "$tmp/slow" --thresholds "$tmp/thr"
grep -q "line 1" "$tmp/err" || { echo "not ok: thresholds error names the line"; fail=1; }
# ab: 2 blocks cannot support a 95% statement, so every item is undecided and the exit is 0.
# shellcheck disable=SC2086
expect 0 "ab with 2 blocks" "$ab" ab --base "$ab" --cand "$ab" --blocks 2 $(echo $run | sed 's/--no-probes//; s/--no-pin//; s/-r 6/-r 3/') --out "$tmp/ab"
for f in compare.md junit.xml compare.json base/block00/context.json cand/block01/context.json logs/base_block00.log; do
    [ -e "$tmp/ab/$f" ] || { echo "not ok: ab wrote $f"; fail=1; }
done
grep -q 'undecided' "$tmp/out" || { echo "not ok: 2 blocks are undecided"; fail=1; }
# Interleaving by repetitions (the default): every timed repetition of either side was
# preceded by a turn handed to it (turns = samples), and the turns go ABBA, starting with
# the base in block 0 and with the candidate in block 1. A run that never yields (whole runs
# in turn) has one turn per side and block and fails this.
for side in base cand; do
    for b in 0 1; do
        turns=$(awk -v b="$b" -v s="$side" '$1 == b && $3 == s && $6 == "turn"' "$tmp/ab/logs/schedule.tsv" | wc -l)
        samples=$(($(wc -l <"$tmp/ab/$side/block0$b/samples.csv") - 1))
        [ "$samples" -ge 3 ] && [ "$turns" = "$samples" ] ||
            { echo "not ok: $side block $b: $turns turns for $samples timed repetitions"; fail=1; }
    done
done
# A paced run's energy region holds the other build's turns: not measured, and it says why
# (with the region counted, a power model or RAPL would charge the other build's work here).
grep -q 'took turns with another process' "$tmp/ab/base/block00/energy.csv" ||
    { echo "not ok: a paced run's energy is NA with the reason"; head -3 "$tmp/ab/base/block00/energy.csv"; fail=1; }
order=$(awk '$2 ~ /^[0-3]$/ { printf "%s%s ", $1, substr($3, 1, 1) }' "$tmp/ab/logs/schedule.tsv")
[ "$order" = "0b 0c 0c 0b 1c 1b 1b 1c " ] || { echo "not ok: turns not in ABBA order: $order"; fail=1; }
# shellcheck disable=SC2086
expect 0 "ab --interleave runs" "$ab" ab --base "$ab" --cand "$ab" --blocks 2 --interleave runs $(echo $run | sed 's/--no-probes//; s/--no-pin//; s/-r 6/-r 3/') --out "$tmp/abr"
[ -e "$tmp/abr/cand/block01/samples.csv" ] && [ ! -e "$tmp/abr/logs/schedule.tsv" ] ||
    { echo "not ok: --interleave runs ran whole runs"; fail=1; }
expect 2 "ab --interleave: unknown mode" "$ab" ab --base "$ab" --cand "$ab" --interleave items --out "$tmp/abx"
# A build older than --pace (here: one that rejects it as old builds do, with exit 2) stops ab
# at once with a usage error that says what to do, rather than running the other side alone.
printf '#!/bin/sh\nfor a in "$@"; do [ "$a" = --pace ] && { echo "unknown option --pace" >&2; exit 2; }; done\nexec "%s" "$@"\n' "$ab" >"$tmp/old"
chmod +x "$tmp/old"
# shellcheck disable=SC2086
expect 2 "ab: a base build without --pace" "$ab" ab --base "$tmp/old" --cand "$ab" --blocks 2 $(echo $run | sed 's/--no-probes//; s/--no-pin//; s/-r 6/-r 3/') --out "$tmp/abo"
grep -q -- '--interleave runs' "$tmp/err" || { echo "not ok: the error suggests --interleave runs"; cat "$tmp/err"; fail=1; }
[ ! -e "$tmp/abo/cand/block00/samples.csv" ] || { echo "not ok: the candidate ran alone"; fail=1; }
expect 2 "run --pace: not open descriptors" "$ab" run --pace 900,901 --filter x
# ab --judge: blocks made of the real run (base) and its 20x copy (candidate), 8 of each, force
# a regression; the same run on both sides forces no change; no blocks is a usage error.
for b in 0 1 2 3 4 5 6 7; do
    mkdir -p "$tmp/j/base" "$tmp/j/cand" "$tmp/j0/base" "$tmp/j0/cand"
    ln -s "$tmp/a" "$tmp/j/base/block0$b"; ln -s "$tmp/slow" "$tmp/j/cand/block0$b"
    ln -s "$tmp/a" "$tmp/j0/base/block0$b"; ln -s "$tmp/a" "$tmp/j0/cand/block0$b"
done
expect 1 "ab --judge: 8 blocks 20x slower" "$ab" ab --judge "$tmp/j"
grep -q '^regression' "$tmp/out" || { echo "not ok: judge shows the regression"; fail=1; }
[ -e "$tmp/j/compare.json" ] || { echo "not ok: judge writes into its folder"; fail=1; }
expect 0 "ab --judge: 8 identical blocks" "$ab" ab --judge "$tmp/j0" --json "$tmp/j0.json"
grep -q '^no change' "$tmp/out" || { echo "not ok: identical blocks are no change"; cat "$tmp/out"; fail=1; }
grep -q '"test":[[:space:]]*"sign"' "$tmp/j0.json" || { echo "not ok: the JSON names the paired test"; fail=1; }
expect 1 "ab --judge --paired-test signed-rank: 20x slower" "$ab" ab --judge "$tmp/j" --paired-test signed-rank --json "$tmp/js.json"
grep -q '"test":[[:space:]]*"signed-rank"' "$tmp/js.json" || { echo "not ok: --paired-test signed-rank is used"; fail=1; }
expect 2 "ab --judge: unknown paired test" "$ab" ab --judge "$tmp/j" --paired-test t
expect 2 "ab --judge: no blocks" "$ab" ab --judge "$tmp"
expect 2 "ab --judge with --base" "$ab" ab --judge "$tmp/j" --base "$ab"
expect 2 "ab refuses an existing run" "$ab" ab --base "$ab" --cand "$ab" --blocks 2 --filter x --out "$tmp/ab"
expect 2 "ab: missing executable" "$ab" ab --base "$tmp/nope" --cand "$ab" --out "$tmp/ab2"
exit $fail
