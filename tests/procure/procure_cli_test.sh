#!/bin/sh
# `archbench project` and `archbench merge` on the fixture run folder and on a second
# "machine" made from it the way another node's run would look (times scaled by 1.5 with
# the hidden _scale verb, then machine_id, run_id, host, CPU model and date rewritten in
# every file). Checks exit codes, one-line usage errors, the projection's label and
# figures, catalogue overrides and errors, NA reasons, pooling by machine_id and the
# refusal of another schema version.
# Usage: procure_cli_test.sh path/to/archbench path/to/tests/data path/to/datasets
set -u
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 (checks the CSV figures) not found"; exit 77; }
ab="$1"
run="$2/run_gemm_f32"
ds="$3"
t=$(mktemp -d /tmp/ab_procure_cli_XXXXXX)
fail=0
check() { # expected-exit description command...
    want=$1; what=$2; shift 2
    err=$("$@" 2>&1 >/dev/null); got=$?
    printf '%s\n' "$err" > "$t/last_err"
    if [ "$got" != "$want" ]; then
        echo "not ok: $what: exit $got, want $want ($err)"; fail=1; return
    fi
    if [ "$want" = 2 ] && [ "$(printf '%s\n' "$err" | grep -c .)" != 1 ]; then
        echo "not ok: $what: usage error must be one line, got: $err"; fail=1; return
    fi
    echo "ok: $what"
}
expect() { # description command... (a test that must succeed)
    what=$1; shift
    if "$@"; then echo "ok: $what"; else echo "not ok: $what"; fail=1; fi
}
# column value of the first CSV row whose kernel,shape,threads match (no quoted commas in
# the columns asked for; shape is matched as text)
col() { # file column-name kernel shape threads
    python3 - "$@" <<'PY'
import csv, sys
f, name, kernel, shape, threads = sys.argv[1:]
for r in csv.DictReader(open(f, newline='')):
    if r['kernel'] == kernel and r['shape'].startswith(shape) and r['threads'] == threads:
        print(r[name]); break
PY
}
near() { # a b rel: |a-b| <= rel*|b|
    python3 -c "import sys; a,b,r=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b)<=r*abs(b) else 1)" "$1" "$2" "$3"
}
P="--datasets $ds"

# ---- project ------------------------------------------------------------------------------
check 0 "project --help" "$ab" project --help
check 2 "project without --device" "$ab" project "$run" $P
check 2 "project without a run folder" "$ab" project --device x $P
check 2 "project --efficiency other" "$ab" project "$run" --device x --efficiency assumed $P
check 1 "project onto an unknown device" "$ab" project "$run" --device "A100" $P --out "$t/p0"
expect "unknown device names the near ones" grep -q "no device 'A100'.*'NVIDIA A100 80GB SXM'" "$t/last_err"
check 1 "project of a folder that is not a run" "$ab" project "$t" --device "NVIDIA A100 80GB SXM" $P --out "$t/p0"
expect "nothing written for a bad run" test ! -e "$t/p0/projection.csv"
check 0 "project onto the A100 80GB" "$ab" project "$run" --device "nvidia a100 80gb sxm" --efficiency measured $P --out "$t/p1"
csv="$t/p1/projection.csv"
expect "projection.csv has 14 kernel rows (probes left out)" test "$(python3 -c "import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))" "$csv")" = 14
expect "every row is labelled a projection" python3 -c "
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sys.exit(0 if rows and all(r['label'] == 'projection (roofline bound)' for r in rows) else 1)" "$csv"
expect "measured and projected figures in separately named columns" python3 -c "
import csv, sys
h = next(csv.reader(open(sys.argv[1])))
sys.exit(0 if 'measured_median_ns' in h and 'projected_time_ns' in h and 'median_ns' not in h else 1)" "$csv"
# 1024^3 GEMM: 2*1024^3 FLOP / 19.5e12 FLOP/s = 110.13 us, compute-bound on the A100
v=$(col "$csv" projected_time_ns gemm_f32_avx512 m=1024,n=1024,k=1024 1)
expect "GEMM 1024 projected time is 2*1024^3 / 19.5e12 s ($v ns)" near "$v" 110127.36 1e-6
expect "GEMM 1024 is compute-bound on the device" test "$(col "$csv" projected_bound gemm_f32_avx512 m=1024,n=1024,k=1024 1)" = compute
e=$(col "$csv" measured_pct_bound gemm_f32_avx512 m=1024,n=1024,k=1024 1)
v=$(col "$csv" projected_time_with_efficiency_ns gemm_f32_avx512 m=1024,n=1024,k=1024 1)
expect "--efficiency measured divides by the measured fraction of bound ($e%)" \
    near "$v" "$(python3 -c "print(110127.36 / ($e / 100))")" 1e-6
expect "projection.md says it is a projection" grep -q "Projection (roofline bound)" "$t/p1/projection.md"
check 0 "project onto the Jetson (no public dense peak)" "$ab" project "$run" --device "NVIDIA Jetson AGX Orin 32GB" $P --out "$t/p2"
expect "no public peak: time NA with the reason" python3 -c "
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sys.exit(0 if rows and all(r['projected_time_ns'] == 'NA' and 'no peak_fp32_flop_per_s' in r['note'] for r in rows) else 1)" "$t/p2/projection.csv"
# BF16 rows (the fixture's GEMM rows relabelled "GFLOP/s bf16") go against the dense
# FP16/BF16 peak, never the FP32 one: 2*1024^3 / 312e12 s, compute-bound
cp -r "$run" "$t/bf16"
sed -i '/,gemm_f32,/s/,GFLOP\/s,/,GFLOP\/s bf16,/' "$t/bf16/speed.csv"
check 0 "project BF16 rows" "$ab" project "$t/bf16" --device "NVIDIA A100 80GB SXM" $P --out "$t/pb"
expect "BF16 rows use the FP16/BF16 peak" test "$(col "$t/pb/projection.csv" device_peak_column gemm_f32_avx512 m=1024,n=1024,k=1024 1)" = peak_fp16_bf16_flop_per_s
v=$(col "$t/pb/projection.csv" projected_time_ns gemm_f32_avx512 m=1024,n=1024,k=1024 1)
expect "BF16 GEMM 1024 projected time is 2*1024^3 / 312e12 s ($v ns)" near "$v" 6882.96041 1e-6
v=$(col "$t/pb/projection.csv" projected_time_ns gemm_f32_avx512 m=256,n=256,k=256 1)
expect "BF16 GEMM 256 is memory-bound on the A100: 786432 B / 2039e9 B/s ($v ns)" near "$v" 385.694948 1e-6

# ---- catalogue overrides and errors ---------------------------------------------------------
head -1 "$ds/hardware/catalogue.csv" > "$t/mine.csv"
printf '%s\n' 'nvidia a100 80gb sxm,gpu,NA,NA,39e12,312e12,624e12,2039e9,80e9,400,9999,"my quote, 2026-12-01",doubled FP32 to test the override' >> "$t/mine.csv"
check 0 "project with a user catalogue row" "$ab" project "$run" --device "NVIDIA A100 80GB SXM" --catalogue "$t/mine.csv" $P --out "$t/p3"
v=$(col "$t/p3/projection.csv" projected_time_ns gemm_f32_avx512 m=1024,n=1024,k=1024 1)
expect "the user's row overrides the shipped one by name ($v ns)" near "$v" 55063.68 1e-6
head -1 "$ds/hardware/catalogue.csv" > "$t/bad.csv"
printf '%s\n' 'Box,cpu,NA,NA,NA,NA,NA,0,NA,NA,NA,quote,zero bandwidth' >> "$t/bad.csv"
check 1 "a catalogue with a zero figure" "$ab" project "$run" --device Box --catalogue "$t/bad.csv" $P --out "$t/p4"
expect "the error names file, line and column" grep -q "bad.csv' line 2, column 'mem_bw_bytes_per_s'" "$t/last_err"
printf '%s\n' 'Box,cpu,NA,NA,NA,NA,NA,NA,NA,NA,NA,,no source' > "$t/bad2.csv"
sed -i "1i $(head -1 "$ds/hardware/catalogue.csv")" "$t/bad2.csv"
check 1 "a catalogue row without a source" "$ab" project "$run" --device Box --catalogue "$t/bad2.csv" $P --out "$t/p4"
expect "the error names the source column" grep -q "line 2, column 'source'" "$t/last_err"

# ---- a second machine ------------------------------------------------------------------------
"$ab" _scale "$run" "$t/b" --filter '^gemm_f32' --factor 1.5 >/dev/null || { echo "not ok: _scale"; fail=1; }
sed -i 's/1796154698-9003/1796160000-4242/g; s/vm-49d35dea1f3cad99/node-b-0123456789abcdef/g' "$t"/b/*.csv "$t/b/context.json"
sed -i 's/"hostname":\t"vm"/"hostname":\t"node-b"/; s/"cpu_model":\t"AMD EPYC"/"cpu_model":\t"Intel(R) Xeon(R) Platinum 8480+"/; s/"date":\t"2026-12-01T19:53:15+0000"/"date":\t"2026-12-01T20:10:00+0000"/' "$t/b/context.json"

check 0 "merge --help" "$ab" merge --help
check 2 "merge without --out" "$ab" merge "$run" $P
check 2 "merge with a bad --machine-device" "$ab" merge "$run" --machine-device nodevice $P --out "$t/m0"
check 1 "merge with a machine no run has" "$ab" merge "$run" --machine-device "nosuch=AMD EPYC 9654" $P --out "$t/m0"
check 1 "merge with a device not in the catalogue" "$ab" merge "$run" --machine-device "vm-49d35dea1f3cad99=EPYC" $P --out "$t/m0"
check 0 "merge two machines" "$ab" merge "$run" "$t/b" --machine-device "node-b-0123456789abcdef=Intel Xeon Platinum 8480+" $P --out "$t/m1"
m="$t/m1/merged.csv"
expect "merged.csv: 14 items x 2 machines" test "$(python3 -c "import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))" "$m")" = 28
expect "CPU model from each context.json" python3 -c "
import csv, sys
s = {(r['machine_id'], r['cpu_model']) for r in csv.DictReader(open(sys.argv[1]))}
sys.exit(0 if s == {('vm-49d35dea1f3cad99', 'AMD EPYC'), ('node-b-0123456789abcdef', 'Intel(R) Xeon(R) Platinum 8480+')} else 1)" "$m"
expect "per TDP watt = rate / 350 W and per dollar = rate / 10710 USD on the matched machine" python3 -c "
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['machine_id'].startswith('node-b')]
ok = rows and all(abs(float(r['rate_per_tdp_w']) - float(r['measured_rate']) / 350) < 1e-9 * float(r['measured_rate'])
                  and abs(float(r['rate_per_usd']) - float(r['measured_rate']) / 10710) < 1e-9 * float(r['measured_rate']) for r in rows)
sys.exit(0 if ok else 1)" "$m"
expect "core-scaled estimate beside it: rate / (350 W x threads / 56 cores)" python3 -c "
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['machine_id'].startswith('node-b')]
ok = rows and all(abs(float(r['rate_per_core_scaled_tdp_w_estimate']) - float(r['measured_rate']) / (350 * int(r['threads']) / 56)) < 1e-9 * float(r['measured_rate'])
                  and r['rate_per_tdp_w'] != r['rate_per_core_scaled_tdp_w_estimate'] for r in rows)
sys.exit(0 if ok else 1)" "$m"
expect "merge writes a self-contained report.html" grep -q "<h2>Throughput per machine</h2>" "$t/m1/report.html"
expect "unmatched machine: per watt NA with the reason, never 0" python3 -c "
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['machine_id'].startswith('vm-')]
sys.exit(0 if rows and all(r['rate_per_tdp_w'] == 'NA' and r['rate_per_usd'] == 'NA' and 'not matched' in r['note'] for r in rows) else 1)" "$m"
v_a=$(col "$m" measured_rate gemm_f32_avx512 m=1024,n=1024,k=1024 1)
expect "the slower machine's rate is 1/1.5 of the other's" python3 -c "
import csv, sys
r = [float(x['measured_rate']) for x in csv.DictReader(open(sys.argv[1])) if x['kernel'] == 'gemm_f32_avx512' and x['shape'].startswith('m=1024,') and x['threads'] == '1']
sys.exit(0 if len(r) == 2 and abs(r[0] / r[1] - 1.5) < 1e-6 else 1)" "$m"
expect "procurement.md has a column per machine" grep -q '^| family | kernel | shape | threads | vm-49d35dea1f3cad99 | node-b-0123456789abcdef |' "$t/m1/procurement.md"
if grep -q "^Plots NA" "$t/m1/procurement.md"; then
    echo "ok: plots NA (built without PLplot), and procurement.md says so"
else
    # PLplot writes text as character references: parse the SVG, one line per <text>
    python3 -c "
import sys, xml.etree.ElementTree as ET
for e in ET.parse(sys.argv[1]).iter('{http://www.w3.org/2000/svg}text'):
    print(''.join(e.itertext()))" "$t/m1/plots/throughput_gemm_f32_t1.svg" > "$t/svg_text"
    expect "throughput-by-machine plot drawn with its title" grep -qx "gemm_f32, 1 thread: throughput by machine" "$t/svg_text"
    expect "the plot names the machines" grep -q "1 = vm-49d35dea1f3cad99, 2 = node-b-0123456789abcdef" "$t/svg_text"
    expect "the plot's legend names an item" grep -qxF "gemm_f32_avx512 m=1024,n=1024,k=1024,..." "$t/svg_text"
    expect "a roofline per machine" test -s "$t/m1/plots/roofline_node-b-0123456789abcdef_fp32_t1.svg"
    expect "procurement.md links the plots" grep -q "](plots/throughput_gemm_f32_t2.svg)" "$t/m1/procurement.md"
fi

# same machine twice: the newer run wins, stated
cp -r "$run" "$t/a_old"
check 0 "merge with an older run of the same machine" "$ab" merge "$t/a_old" "$t/b" "$run" $P --out "$t/m2"
sed -i 's/"date":\t"2026-12-01T19:53:15+0000"/"date":\t"2026-11-30T08:00:00+0000"/' "$t/a_old/context.json"
check 0 "merge with an older-dated run of the same machine" "$ab" merge "$run" "$t/b" "$t/a_old" $P --out "$t/m3"
expect "the older run is named as superseded" grep -q "Superseded: run 1796154698-9003 ($t/a_old, 2026-11-30" "$t/m3/procurement.md"
expect "pooled: still 2 machines, 28 rows" test "$(python3 -c "import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))" "$t/m3/merged.csv")" = 28

# another schema version is refused
cp -r "$t/b" "$t/c"
sed -i 's/"schema_version":\t2,/"schema_version":\t99,/' "$t/c/context.json"
check 1 "merge refuses another schema version" "$ab" merge "$run" "$t/c" $P --out "$t/m4"
expect "the refusal names the schema version" grep -q "schema version 99" "$t/last_err"
expect "nothing written when refused" test ! -e "$t/m4/merged.csv"

# --interconnect: the all-to-all share projected onto links needs moe_ep rows (mpirun)
check 1 "--interconnect on a run without moe_ep rows" "$ab" project "$run" --interconnect "NVLink 3" --datasets "$ds" --out "$t/ic"
expect "the refusal says mpirun" grep -q "needs a run under mpirun" "$t/last_err"
expect "nothing written when refused" test ! -e "$t/ic/comm_projection.csv"
check 1 "an unknown interconnect" "$ab" project "$run" --interconnect "NVLink 9" --datasets "$ds" --out "$t/ic"
expect "the error names the known links" grep -q "'PCIe 4.0 x16'" "$t/last_err"
printf 'interconnect,bw_bytes_per_s_per_direction,latency_s,source,note\nL,fast,NA,doc,\n' > "$t/links.csv"
check 1 "a bad --interconnects file" "$ab" project "$run" --interconnect all --interconnects "$t/links.csv" --datasets "$ds"
expect "the error names file, line and column" grep -q "links.csv' line 2, column 'bw_bytes_per_s_per_direction'" "$t/last_err"
check 2 "--device and --interconnect together" "$ab" project "$run" --device "NVIDIA A100 80GB SXM" --interconnect "NVLink 3"

rm -rf "$t"
exit $fail
