#!/bin/sh
# `archbench run` must report every mutant as verified=fail and exit 1, with the
# family's reference in the same run: the reference's timed calls are what used to
# leave the right answer in the TEST slot, so a mutant writing nothing passed. first_call_only
# (right once, then does nothing) is caught by the check the runner repeats after timing.
# The layer mutants run with 8 experts top-2: renormalising one expert's weight 1 changes nothing.
# Usage: mutants_cli_test.sh path/to/archbench_mutants
set -u
ab="$1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ab_mutants.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for m in gemm_f32_writes_nothing gemm_f32_writes_zeros gemm_f32_skips_last_block gemm_f32_writes_past_end \
         gemm_f32_writes_input gemm_f32_one_thread_only gemm_f32_first_call_only \
         gemm_i8_writes_nothing gemm_i8_skips_last_block gemm_i8_writes_past_end gemm_i8_writes_input \
         gemm_i8_one_thread_only layer_skips_second_residual layer_renormalises_topk gemm_bf16_drops_last_odd_k \
         gemm_f16_drops_k_tail; do
    n=$((n + 1))
    case $m in
    gemm_f32_*) fam=gemm_f32; sets="--set m=37 --set n=29 --set k=41" ;;
    gemm_i8_*) fam=gemm_i8; sets="--set m=37 --set n=33 --set k=70" ;;
    gemm_bf16_*) fam=gemm_bf16; sets="--set m=37 --set n=29 --set k=41" ;;
    gemm_f16_*) fam=gemm_f16; sets="--set m=37 --set n=29 --set k=41" ;;
    layer_*) fam=layer; sets="--set n=65 --set d_model=64 --set heads=2 --set head_dim=32 --set d_ff=96 --set ffn=topk --set experts=8 --set k=2" ;;
    esac
    out="$tmp/$m"
    # shellcheck disable=SC2086 # $sets is a list of options
    "$ab" run --filter "^$fam/(${fam}_ref|mutant_$m)\$" $sets --threads 2 -r 1 -m 0.001 --no-probes \
        --out "$out" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    if [ "$rc" != 1 ]; then
        echo "not ok $n - $m: archbench run exit $rc, want 1"; cat "$tmp/stderr"; fail=1; continue
    fi
    if ! grep -q "^[^,]*,[^,]*,$fam,${fam}_ref,.*,reference," "$out/speed.csv"; then
        echo "not ok $n - $m: the reference did not run before it"; fail=1; continue
    fi
    rows=$(grep -c ",mutant_$m," "$out/speed.csv")
    bad=$(grep ",mutant_$m," "$out/speed.csv" | grep -vc ',fail,')
    if [ "$rows" = 0 ] || [ "$bad" != 0 ]; then
        echo "not ok $n - $m: $bad of $rows rows not 'fail'"; grep "mutant_$m" "$out/speed.csv"; fail=1; continue
    fi
    if ! grep ",mutant_$m," "$out/speed.csv" | grep -q '(seed [0-9]*)'; then
        echo "not ok $n - $m: the failure note lacks the seed"; fail=1; continue
    fi
    echo "ok $n - $m: fail, exit 1"
done
echo "1..$n"
exit $fail
