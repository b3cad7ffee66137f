#!/bin/sh
# reproduce_cli_test.sh ARCHBENCH DATASETS: the reproduce verb end to end on a tiny run
# (--from), its report and table, and its refusals (exit 2 usage, 1 bad input file).
ab=$1
ds=$2
t=/tmp/ab_repro_test_$$
fail=0
check() { # expected-exit description command...
    want=$1 desc=$2
    shift 2
    "$@" >"$t/out" 2>"$t/err"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "not ok: $desc: exit $got, want $want"
        sed 's/^/    /' "$t/err" | head -5
        fail=1
    fi
}
mkdir -p "$t"
# Two cases of the claims' own plan, tiny repetitions: A7.speed's pair at 2048 tokens.
"$ab" run --filter '-(_ref|_openblas|_onednn)$' --no-probes -r 3 -m 0.001 --threads 1 \
    --shape 'mha:heads_q=2,heads_kv=2,n_q=2048,n_kv=2048,d=64,causal=1' \
    --shape 'linear_attn:heads=2,n=2048,d=64,dv=64,causal=1,dist=gaussian' --out "$t/run" >/dev/null 2>&1 ||
    { echo "not ok: the tiny run failed"; exit 1; }
check 0 "reproduce --from a run" "$ab" reproduce --from "$t/run" --out "$t/rep" --datasets "$ds"
for id in A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 B1 B2 B3 B4 B5 B6 B7 B8 B9; do
    grep -q "^| $id[ .]" "$t/rep/reproduction.md" || { echo "not ok: $id has no row in reproduction.md"; fail=1; }
done
head -1 "$t/rep/claims.csv" | grep -q '^claim,id,article,claimed,unit,measured,measured_text,label,verdict' ||
    { echo "not ok: claims.csv header"; fail=1; }
# The pair was measured: A7.speed has a figure and a verdict, not NA.
grep '^A7,A7.speed,' "$t/rep/claims.csv" | grep -q ',measured,\(supported\|contradicted\),' ||
    { echo "not ok: A7.speed not judged from the run:"; grep '^A7,A7.speed' "$t/rep/claims.csv"; fail=1; }
# What the run did not measure is NA, never a verdict.
grep '^A6,A6.growth,' "$t/rep/claims.csv" | grep -q 'not measurable here' ||
    { echo "not ok: A6.growth judged without its lengths"; fail=1; }
grep -q 'needs predictions' "$t/rep/claims.csv" || { echo "not ok: no 'needs predictions' row"; fail=1; }

# With two prediction folders (the GLUE fixtures stand in for the two models here), the
# accuracy claims are scored by the evaluator instead of waiting for predictions.
check 0 "reproduce with predictions" "$ab" reproduce --from "$t/run" --out "$t/pred" --datasets "$ds" \
    --gold-glue "$ds/glue-fixtures/gold" --pred-v3 "$ds/glue-fixtures/pred-a" --pred-r1 "$ds/glue-fixtures/pred-b"
for id in A1.retention A12.glue B5.glue; do
    grep "^[AB][0-9]*,$id," "$t/pred/claims.csv" | grep -q ',\(supported\|contradicted\),' ||
        { echo "not ok: $id not judged from the predictions:"; grep ",$id," "$t/pred/claims.csv"; fail=1; }
done
grep '^B5,B5.superglue,' "$t/pred/claims.csv" | grep -q 'needs predictions' ||
    { echo "not ok: B5.superglue judged without SuperGLUE predictions"; fail=1; }
check 1 "reproduce: a prediction folder missing a task" "$ab" reproduce --from "$t/run" --out "$t/pred2" \
    --datasets "$ds" --gold-glue "$ds/glue-fixtures/gold" --pred-v3 "$t" --pred-r1 "$ds/glue-fixtures/pred-b"
check 2 "reproduce: stray argument" "$ab" reproduce extra
check 2 "reproduce: --pred-v3 without --pred-r1" "$ab" reproduce --pred-v3 x --datasets "$ds"
check 2 "reproduce: --from with --quick" "$ab" reproduce --from "$t/run" --quick --datasets "$ds"
check 1 "reproduce: --from a folder that is no run" "$ab" reproduce --from "$t" --out "$t/rep2" --datasets "$ds"
# A broken claims file is refused with its name and field, before any measuring.
mkdir -p "$t/ds/claims"
cp -r "$ds/models" "$t/ds/models"
cp "$ds/claims/plan.json" "$t/ds/claims/plan.json"
sed 's/"kind": "growth"/"kind": "growht"/' "$ds/claims/claims.json" >"$t/ds/claims/claims.json"
check 1 "reproduce: unknown claim kind" "$ab" reproduce --from "$t/run" --out "$t/rep3" --datasets "$t/ds"
grep -q 'claims.json.*test.kind.*growht' "$t/err" || { echo "not ok: error does not name file and field:"; cat "$t/err"; fail=1; }
[ ! -e "$t/rep3/reproduction.md" ] || { echo "not ok: a report was written after a bad input file"; fail=1; }
# A typo in the plan is refused with the file and entry, before anything is measured.
cp "$ds/claims/claims.json" "$t/ds/claims/claims.json"
sed 's/"rope:n_tokens=4096,heads=16,d=64,d_rot=64"/"rope:n_tokens=4096,heads=16,dd=64"/' "$ds/claims/plan.json" \
    >"$t/ds/claims/plan.json"
check 1 "reproduce: a plan case with an unknown parameter" "$ab" reproduce --quick --out "$t/rep4" --datasets "$t/ds"
grep -q "plan.json: quick\[.*rope.*dd" "$t/err" || { echo "not ok: plan error does not name file and entry:"; cat "$t/err"; fail=1; }
[ ! -e "$t/rep4/run" ] || { echo "not ok: a run was started from a bad plan"; fail=1; }
rm -rf "$t"
exit $fail
