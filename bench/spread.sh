#!/bin/sh
# spread.sh - invocation-to-invocation spread of archbench medians: runs the same
# selection N times (separate processes), then `archbench spread` over the N folders.
# Usage: bench/spread.sh ARCHBENCH N OUTDIR [run options...]
# Issue 9's contention goal (>= 10 ms kernels, 10 invocations):
#   bench/spread.sh build/bench/archbench 10 /tmp/spread --quick --filter \
#     '^(gemm_f32/gemm_f32_avx512|mha/mha_flash_avx512)$' --set gemm_f32.m=1280 --set gemm_f32.n=1280 \
#     --set gemm_f32.k=1280 --set gemm_f32.trans_b=0 --set mha.causal=0 -t 1,2 -r 10 -m 0.1 --no-probes
# and the same with a competing process: `yes >/dev/null & bench/spread.sh ...; kill %1`.
set -eu
ab=$1; n=$2; out=$3; shift 3
mkdir -p "$out"
i=1
dirs=
while [ "$i" -le "$n" ]; do
    "$ab" run "$@" --out "$out/run$i" --overwrite >/dev/null 2>"$out/run$i.log" || { echo "run $i failed" >&2; exit 1; }
    dirs="$dirs $out/run$i"
    i=$((i + 1))
done
# shellcheck disable=SC2086 # a list of folders
"$ab" spread $dirs
