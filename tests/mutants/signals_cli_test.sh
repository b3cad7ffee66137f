#!/bin/sh
# Issue 15, defect 8: `archbench run` must stop when asked. A second Ctrl-C abandons a
# long item at its next kernel call (it used to finish the item: 12 s on a 1536^3
# reference), and SIGTERM, what a CI time limit sends once, quits within its 5 s grace
# even while a kernel call never returns (it used to need SIGKILL). Exit 1 both times.
# Usage: signals_cli_test.sh path/to/archbench_mutants
set -u
ab="$1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ab_signals.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
check() { # description, command...
    n=$((n + 1)); d="$1"; shift
    if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fail=1; fi
}
# Wait up to $2 seconds for child $1 to end; sets rc to its exit status, or "running"
# (not in a $(...) subshell: only the parent can wait for the child). An
# ended child stays a zombie until waited for (kill -0 still succeeds): read its state.
alive() {
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$st" ] && [ "$st" != Z ]
}
wait_for() {
    i=0
    while alive "$1" && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$1"; then kill -KILL "$1"; wait "$1" 2>/dev/null; rc=running; return; fi
    wait "$1"; rc=$?
}
sets="--set m=37 --set n=29 --set k=41 --set trans_b=0"

# A long item of short calls: 3 repetitions of at least 60 s each.
# shellcheck disable=SC2086
"$ab" run --filter '^gemm_f32/gemm_f32_ref$' $sets -r 3 -m 60 --no-probes --out "$tmp/int" \
    >/dev/null 2>"$tmp/int.err" &
pid=$!
sleep 2; kill -INT "$pid"; sleep 1; kill -INT "$pid"
wait_for "$pid" 15
check "a second Ctrl-C stops a long item within seconds (exit $rc)" test "$rc" = 1
check "it says it abandons the item" grep -q "abandoning the current item" "$tmp/int.err"

# A kernel call that never returns, then SIGTERM once.
# shellcheck disable=SC2086
"$ab" run --filter '^gemm_f32/mutant_gemm_f32_hangs$' $sets -r 3 -m 0.001 --no-probes --out "$tmp/term" \
    >/dev/null 2>"$tmp/term.err" &
pid=$!
sleep 2; kill -TERM "$pid"
wait_for "$pid" 15
check "SIGTERM stops a hung kernel call within its grace (exit $rc)" test "$rc" = 1
check "it says why" grep -q "still inside a kernel call" "$tmp/term.err"
echo "1..$n"
exit $fail
