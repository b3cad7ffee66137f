#!/bin/sh
# Run the libFuzzer targets of a fuzz build, one after another, each for SECONDS, with its
# dictionary and seed corpus; new inputs go to WORK/<target> (kept between runs, so a
# long run resumes where the last one stopped). Exit 1 on the first crash, leak, hang
# (an input over 25 s, or FUZZ_TIMEOUT s: a nice'd long run on a busy machine can starve a
# normal input that long; replay any timeout at normal priority before calling it a hang), undefined behaviour or broken property; the input is left in WORK/artifacts/.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [WORK [TARGET...]]
#   CI smoke:  tests/fuzz/run.sh build-fuzz 30
#   long run:  nice -n 19 tests/fuzz/run.sh build-fuzz 3600 ~/ab-fuzz
set -u
build=${1:?usage: run.sh BUILD_DIR SECONDS [WORK [TARGET...]]}
secs=${2:?usage: run.sh BUILD_DIR SECONDS [WORK [TARGET...]]}
work=${3:-$build/fuzz-work}
here=$(cd "$(dirname "$0")" && pwd)
shift 2; [ $# -gt 0 ] && shift
# target:corpus:dictionary (fuzz_glue_tsv and fuzz_superglue_jsonl share one source)
all="fuzz_glue_tsv:glue_tsv:tsv fuzz_superglue_jsonl:superglue_jsonl:json fuzz_normalize:normalize:text
fuzz_results_read:results_read:csv fuzz_peaks:peaks:json fuzz_run_options:run_options:run_options
fuzz_model_config:model_config:json fuzz_claims:claims:json fuzz_catalogue:catalogue:catalogue"
want="$*"
# UBSan only reports unless told to stop: undefined behaviour is a finding like a crash.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS
mkdir -p "$work/artifacts"
for t in $all; do
    name=${t%%:*}; rest=${t#*:}; corpus=${rest%%:*}; dict=${rest#*:}
    if [ -n "$want" ] && ! printf ' %s ' "$want" | grep -q " $name "; then continue; fi
    exe="$build/tests/fuzz/$name"
    [ -x "$exe" ] || { echo "run.sh: $exe not built (meson setup with -Dfuzz=enabled)" >&2; exit 1; }
    mkdir -p "$work/$corpus"
    "$exe" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-25}" -rss_limit_mb=2048 -print_final_stats=1 \
        -dict="$here/$dict.dict" -artifact_prefix="$work/artifacts/$name-" \
        "$work/$corpus" "$here/corpus/$corpus" >"$work/$name.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
    if [ "$rc" != 0 ]; then
        echo "run.sh: $name FAILED after ${runs:-?} executions (exit $rc); log $work/$name.log:" >&2
        grep -E 'ERROR|SUMMARY|runtime error|^ +#[0-9]+ .* in ' "$work/$name.log" | head -20 >&2
        exit 1
    fi
    echo "run.sh: $name: ${runs:-?} executions in ${secs}s, no finding"
done
