#!/bin/sh
# Rebuild the fuzzers' seed corpora (tests/fuzz/corpus/) from the fixtures in datasets/
# and from two tiny real runs of the archbench given as $1 (a normal build's
# bench/archbench). Files of one input are joined with the byte 0x1E, as the targets
# split them (fuzz_util.h). Run from anywhere; rewrites the seeds it makes.
set -eu
ab=${1:?usage: make_seeds.sh path/to/archbench}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
c="$here/corpus"
rs=$(printf '\036')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# join OUT FLAGBYTE_OCTAL FILE... : flag byte, then the files separated by 0x1E
join() {
    out=$1; flag=$2; shift 2
    { printf "\\$flag"; first=1
      for f in "$@"; do [ $first = 1 ] || printf '%s' "$rs"; first=0; cat "$f"; done; } > "$out"
}

g="$root/datasets/glue-fixtures"
i=0
for pair in CoLA/dev.tsv:CoLA SST-2/dev.tsv:SST-2 MRPC/dev.tsv:MRPC STS-B/dev.tsv:STS-B QQP/dev.tsv:QQP \
            MNLI/dev_matched.tsv:MNLI-m MNLI/dev_mismatched.tsv:MNLI-mm QNLI/dev.tsv:QNLI RTE/dev.tsv:RTE \
            WNLI/dev.tsv:WNLI diagnostic/diagnostic-full.tsv:AX; do
    gold=${pair%%:*}; name=${pair#*:}
    for side in a b; do
        join "$c/glue_tsv/$name-$side" "$(printf '%03o' $i)" "$g/gold/$gold" "$g/pred-$side/$name.tsv"
    done
    i=$((i + 1))
done

s="$root/datasets/superglue-fixtures"
i=0
for pair in BoolQ/val.jsonl:BoolQ CB/val.jsonl:CB COPA/val.jsonl:COPA MultiRC/val.jsonl:MultiRC \
            ReCoRD/val.jsonl:ReCoRD RTE/val.jsonl:RTE WiC/val.jsonl:WiC WSC/val.jsonl:WSC \
            AX-b/AX-b.jsonl:AX-b AX-g/AX-g.jsonl:AX-g; do
    gold=${pair%%:*}; name=${pair#*:}
    for side in a b; do
        join "$c/superglue_jsonl/$name-$side" "$(printf '%03o' $i)" "$s/gold/$gold" "$s/pred-$side/$name.jsonl"
    done
    i=$((i + 1))
done

# Two real runs: a one-item run without probes, and one with a probe at 1 and 2 threads.
"$ab" run --filter '^gemm_f32/gemm_f32_ref$' --set m=8 --set n=8 --set k=8 -r 3 -m 0.001 --no-probes \
    --out "$tmp/r1" >/dev/null 2>&1
"$ab" run --filter '^gemm_f32/gemm_f32_avx2$' --set m=8 --set n=8 --set k=8 -r 3 -m 0.001 \
    --set peak.kind=fp32_fma --threads 1,2 -e PAPI_TOT_CYC --out "$tmp/r2" >/dev/null 2>&1 ||
"$ab" run --filter '^gemm_f32/gemm_f32_ref$' --set m=8 --set n=8 --set k=8 -r 3 -m 0.001 \
    --set peak.kind=fp32_fma --threads 1,2 --out "$tmp/r2" >/dev/null 2>&1
for r in r1 r2; do
    set -- context.json speed.csv samples.csv counters.csv memory.csv energy.csv metrics.csv
    files=""
    for f in "$@"; do files="$files $tmp/$r/$f"; done
    # shellcheck disable=SC2086
    join "$c/results_read/$r-final" 000 $files
    # The same rows as the journal of an interrupted run (.partial files, same layout).
    # shellcheck disable=SC2086
    join "$c/results_read/$r-journal" 001 $files
done
cp "$tmp/r2/context.json" "$c/peaks/context-run"
printf '{"peaks":[{"threads":1,"fp32_gflops":120.5,"int8_gops":"NA","read_gbytes_per_s":20,"triad_gbytes_per_s":18,"fp32_spread":0.01,"int8_spread":"NA","read_spread":0,"triad_spread":0.2,"remeasured":false}]}\n' \
    > "$c/peaks/peaks-min"

# The normaliser: the SQuAD test vectors of the research notes (prediction 0x1E gold).
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" | tr '|' "$rs" > "$c/normalize/s$n"
done <<'VEC'
The Cat!|the cat
an apple, a day|apple day
the-cat|(the)
U.S.|us
naïve—test|«the»
Bob’s|bob’s
ΣΑΣ ΟΔΟΣ|σας οδος
İstanbul|i̇stanbul
éthe cat|é cat
obama|Barack Obama
VEC

# Command-line options: flags byte, filter, threads, sets.
o="$c/run_options"
printf '\002^gemm_f32/%s1,2%sm=64,128%sn=64%sk=64' "$rs" "$rs" "$rs" "$rs" > "$o/gemm"
printf '\000-_ref$%s1%sgemm_f32.k=512%smoe_route.k=2' "$rs" "$rs" "$rs" > "$o/scoped"
printf '\001%s%speak.kind=fp32_fma' "$rs" "$rs" > "$o/probe"
printf '\002^mha/%s2%sn_q=1048576%sn_kv=1048576' "$rs" "$rs" "$rs" > "$o/huge"
# Model configurations: the real ones and the reader's refusals (tests/data/models-bad).
for f in "$root"/datasets/models/*.json; do cp "$f" "$c/model_config/$(basename "$f" .json)"; done
for f in "$root"/tests/data/models-bad/*.json; do cp "$f" "$c/model_config/bad-$(basename "$f" .json)"; done
# Hardware catalogue: the shipped file; it with a user's file of quotes behind 0x1E; a row
# with CRLF and doubled quotes.
h="$root/datasets/hardware/catalogue.csv"
mkdir -p "$c/catalogue"
cp "$h" "$c/catalogue/shipped"
{ cat "$h"; printf '%s' "$rs"; head -1 "$h"
  printf '%s\n' 'amd epyc 9654,cpu,96,192,NA,NA,NA,460.8e9,NA,360,9000,"quote, 2026-12-01",my price' \
      'My Box,cpu,8,16,1e12,NA,NA,1e11,64e9,100,NA,my measurement,'; } > "$c/catalogue/override"
{ head -1 "$h"; printf '%s\r\n' 'X,gpu,NA,NA,1.5e13,NA,NA,NA,NA,NA,NA,"a ""quoted"" source",'; } > "$c/catalogue/crlf_quoted"

# Claims and plan: both files whole; the plan alone (behind an empty claims file); and
# each claim alone (judged with the real plan), small inputs that mutate fast.
d="$root/datasets/claims"
{ cat "$d/claims.json"; printf '%s' "$rs"; cat "$d/plan.json"; } > "$c/claims/claims-plan"
{ printf '{}%s' "$rs"; cat "$d/plan.json"; } > "$c/claims/plan-only"
if command -v jq >/dev/null 2>&1; then
    jq -c '.claims[]' "$d/claims.json" | while IFS= read -r claim; do
        id=$(printf '%s' "$claim" | jq -r .id)
        printf '{"claims":[%s]}\n' "$claim" > "$c/claims/claim-$id"
    done
else
    echo "make_seeds.sh: no jq: the one-claim seeds of corpus/claims are not rebuilt" >&2
fi
echo "seeds written to $c"
