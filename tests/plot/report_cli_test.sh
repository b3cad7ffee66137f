#!/bin/sh
# `archbench report`'s command contract on the fixture run folder: --help, one-line usage
# errors (exit 2), an unreadable run (exit 1), and a report written into --out.
# Usage: report_cli_test.sh path/to/archbench path/to/tests/data
set -u
ab="$1"
run="$2/run_gemm_f32"
t=$(mktemp -d /tmp/ab_report_cli_XXXXXX)
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
check 0 "report --help" "$ab" report --help
check 2 "report without a run folder" "$ab" report
check 2 "report with two run folders" "$ab" report "$run" "$run"
check 2 "report with an unknown option" "$ab" report --frobnicate "$run"
check 1 "report of a folder that is not a run" "$ab" report "$t" --out "$t/o1"
check 0 "report of the fixture run" "$ab" report "$run" --out "$t/o2"
for f in report.md report.html; do
    [ -s "$t/o2/$f" ] || { echo "not ok: $f missing"; fail=1; }
done
grep -q '^| gemm_f32_onednn | m=1024,n=1024,k=1024 | 2 |' "$t/o2/report.md" || { echo "not ok: table row"; fail=1; }
rm -rf "$t"
exit $fail
