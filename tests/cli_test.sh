#!/bin/sh
# The command's contract: every verb has --help (exit 0, text on stdout), a usage error
# exits 2 with exactly one line on stderr, --version names the version, list filters.
# Usage: cli_test.sh path/to/archbench
set -u
ab="$1"
fail=0
check() { # expected-exit description command...
    want=$1; what=$2; shift 2
    err=$("$@" 2>&1 >/dev/null); got=$?
    if [ "$got" != "$want" ]; then
        echo "not ok: $what: exit $got, want $want ($err)"; fail=1; return
    fi
    if [ "$want" = 2 ] && [ "$(printf '%s\n' "$err" | grep -c .)" != 1 ]; then
        echo "not ok: $what: usage error must be one line, got: $err"; fail=1; return
    fi
    echo "ok: $what"
}
check 0 "--help" "$ab" --help
check 0 "--version" "$ab" --version
"$ab" --version | grep -q '^archbench [0-9]' || { echo "not ok: --version text"; fail=1; }
for verb in list sysinfo run eval compare ab; do
    check 0 "$verb --help" "$ab" $verb --help
done
check 2 "unknown verb" "$ab" frobnicate
check 2 "unknown global option" "$ab" --frobnicate list
check 2 "bad cpu mask" "$ab" --cpu-mask sse9 list
check 2 "list: bad regex" "$ab" list --filter 'x('
check 2 "list: stray argument" "$ab" list extra
check 2 "run: bad --set" "$ab" run --set m
check 2 "run: bad thread count" "$ab" run --threads 0
check 2 "run: bad repetitions" "$ab" run --repetitions x
check 2 "run: unknown parameter" "$ab" run --filter '^gemm_f32/' --set nope=1 --no-probes --out /tmp/ab_cli_test_$$
check 2 "eval: no sub-verb arguments" "$ab" eval glue
check 1 "list: nothing matches" "$ab" list --filter '^no_such_family/'
n=$("$ab" list --filter '^gemm_f32/' | tail -n +2 | grep -c .)
[ "$n" -ge 2 ] || { echo "not ok: list --filter ^gemm_f32/ shows $n rows"; fail=1; }
"$ab" list --filter '^gemm_f32/' | tail -n +2 | grep -qv '^gemm_f32' && { echo "not ok: filter leaks other families"; fail=1; }
ARCHBENCH_CPU_MASK=avx512f "$ab" list --filter 'gemm_f32_avx512' | grep -q 'no: needs avx' || { echo "not ok: env mask"; fail=1; }
t=/tmp/ab_cli_test_$$
mkdir -p "$t/dir"
small="--filter ^gemm_f32/gemm_f32_ref\$ --set m=8 --set n=8 --set k=8 -r 3 -m 0.001 --no-probes"
check 2 "run: --min-time out of bounds" "$ab" run --min-time 1e308 --out "$t/o1"
check 2 "run: --max-item-time out of bounds" "$ab" run --max-item-time 1e300 --out "$t/o1"
check 2 "run: bad filter regex" "$ab" run --filter '(' --out "$t/o1"
check 1 "run: --peaks-from a directory is a bad input file" "$ab" run $small --peaks-from "$t/dir" --out "$t/o2"
echo '{"peaks":[{"threads":1e300,"fp32_fma_gflops":1}]}' >"$t/p.json"
check 1 "run: --peaks-from with an impossible thread count" "$ab" run $small --peaks-from "$t/p.json" --out "$t/o3"
check 2 "run: --resume where there is no run" "$ab" run --resume "$t/dir"
check 2 "run: a shape larger than memory is refused" "$ab" run --filter '^mha/mha_ref$' --set n_q=1048576 \
    --set n_kv=1048576 --no-probes --out "$t/o4"
check 0 "run: a small run" "$ab" run $small --out "$t/o5"
# A later --set of a parameter replaces the earlier one (it used to multiply the planning).
check 0 "run: a repeated --set, the last one wins" "$ab" run $small --set m=9 --set m=7,9 --out "$t/o7"
grep -q '"m=7,n=8,k=8' "$t/o7/speed.csv" && grep -q '"m=9,n=8,k=8' "$t/o7/speed.csv" &&
    ! grep -q '"m=8,' "$t/o7/speed.csv" || { echo "not ok: repeated --set m: $(cut -d, -f5-7 "$t/o7/speed.csv")"; fail=1; }
v=$(seq -s, 1 20)
check 2 "run: --set lists beyond the plan bound are refused at once" timeout 20 "$ab" run --filter '^gemm_f32/' \
    --set m=$v --set n=$v --set k=$v --no-probes --out "$t/o8"
check 2 "run: a finished run is not overwritten" "$ab" run $small --out "$t/o5"
check 2 "run: resuming a finished run" "$ab" run --resume "$t/o5"
check 0 "run: --overwrite replaces it" "$ab" run $small --out "$t/o5" --overwrite
check 2 "run: --shape with an unknown parameter" "$ab" run --shape 'gemm_f32:mm=8' --no-probes --out "$t/o6"
check 2 "run: --shape of an unknown family" "$ab" run --shape 'gemm_f33:m=8' --no-probes --out "$t/o6"
check 2 "run: --shape out of range" "$ab" run --shape 'gemm_f32:m=0' --no-probes --out "$t/o6"
check 0 "run: explicit --shape cases" "$ab" run --filter '_ref$' --shape 'gemm_f32:m=8,n=9,k=7' \
    --shape 'rope:n_tokens=5,heads=1' -r 3 -m 0.001 --no-probes --out "$t/o6"
# --interleave: each variant against each baseline that ran, by pairs of repetitions; a
# sequential run prints no pairs (its repetitions were not side by side).
il="--filter ^gemm_f32/gemm_f32_(avx512|avx2|openblas|onednn)\$ --set m=40 --set n=40 --set k=40 -r 6 -m 0.002 --no-probes"
"$ab" run $il --interleave --out "$t/o9" > "$t/o9.txt" 2>/dev/null
if grep -q 'openblas\|onednn' "$t/o9/speed.csv" && grep -q 'avx' "$t/o9/speed.csv"; then
    was=$fail; fail=0
    grep -q '^  gemm_f32_avx[0-9]* / gemm_f32_\(openblas\|onednn\) .* t1: \([0-9.]* \[\|[0-9.]* interval NA\|NA (no pair\)' "$t/o9.txt" ||
        { echo "not ok: --interleave prints no paired ratio: $(cat "$t/o9.txt")"; fail=1; }
    "$ab" run $il --out "$t/o10" 2>/dev/null | grep -q 'side by side' &&
        { echo "not ok: a sequential run printed paired ratios"; fail=1; }
    # report: the same pairs as a table of report.md, and none for the sequential run
    "$ab" report "$t/o9" >/dev/null 2>&1 && "$ab" report "$t/o10" >/dev/null 2>&1 ||
        { echo "not ok: report of the interleaved or sequential run failed"; fail=1; }
    grep -q '^| gemm_f32_avx[0-9]* | gemm_f32_\(openblas\|onednn\) | m=40,n=40,k=40,.* | 1 | \([0-9.]* | [0-9.]* - [0-9.]*\|[0-9.]* | NA (too few\|NA: no pair\)' "$t/o9/report.md" ||
        { echo "not ok: report.md of an interleaved run has no paired ratio"; fail=1; }
    grep -q 'by pairs of repetitions' "$t/o10/report.md" &&
        { echo "not ok: report.md of a sequential run shows paired ratios"; fail=1; }
    [ "$fail" = 0 ] && echo "ok: run --interleave: paired ratios against the baselines (summary and report.md)"
    [ "$was" = 0 ] || fail=1
else
    echo "ok # SKIP run --interleave paired ratios: no baseline or no AVX variant runs here"
fi
# Exactly the two cases asked for: no sweep shape of any family sneaks in.
n=$(tail -n +2 "$t/o6/speed.csv" | grep -c .)
[ "$n" = 2 ] || { echo "not ok: --shape planned $n rows, want 2"; fail=1; }
grep -q 'm=8,n=9,k=7' "$t/o6/speed.csv" || { echo "not ok: --shape gemm case missing"; fail=1; }
rm -rf "$t"
exit $fail
