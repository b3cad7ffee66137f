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
rm -rf /tmp/ab_cli_test_$$
exit $fail
