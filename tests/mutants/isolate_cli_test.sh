#!/bin/sh
# `archbench run --isolate`: a variant that crashes becomes a `crash` row naming the
# signal, one that hangs a `timeout` row, and the sweep goes on (the reference and the
# correct variants after them are measured); exit 1. Without --isolate the crash takes
# the whole run down (shown, so the test proves isolation is what saves the sweep).
# Usage: isolate_cli_test.sh path/to/archbench_mutants
set -u
ab="$1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ab_isolate.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
sets="--set m=37 --set n=29 --set k=41 --set trans_b=0"
# shellcheck disable=SC2086 # $sets is a list of options
"$ab" run --isolate --item-timeout 3 --filter '^gemm_f32/(gemm_f32_ref|mutant_gemm_f32_(crashes|hangs)|gemm_f32_openblas|gemm_f32_avx512)$' \
    $sets --threads 1 -r 3 -m 0.001 --no-probes --out "$tmp/iso" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
n=0
fail=0
check() { # description, command...
    n=$((n + 1)); d="$1"; shift
    if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fail=1; fi
}
check "exit 1 with a crashed and a hung variant (got $rc)" test "$rc" = 1
check "crash row names the signal (SIGSEGV, or SIGABRT where a sanitizer catches it)" grep -q ',mutant_gemm_f32_crashes,.*,crash,.*signal [0-9]' "$tmp/iso/speed.csv"
check "hang becomes a timeout row" grep -q ',mutant_gemm_f32_hangs,.*,timeout,' "$tmp/iso/speed.csv"
check "the reference was measured" grep -q ',gemm_f32_ref,.*,reference,' "$tmp/iso/speed.csv"
check "the sweep went on: the variants after the faults passed" sh -c \
    "grep -v mutant '$tmp/iso/speed.csv' | grep -c ',pass,' | grep -qv '^0$'"
check "no child folders left behind" test ! -e "$tmp/iso/.isolate"
# shellcheck disable=SC2086
"$ab" run --filter '^gemm_f32/(gemm_f32_ref|mutant_gemm_f32_crashes)$' $sets --threads 1 -r 3 -m 0.001 \
    --no-probes --out "$tmp/plain" >/dev/null 2>&1
rc=$?
check "without --isolate the crash kills the run (exit $rc)" test "$rc" -gt 128
echo "1..$n"
exit $fail
