#!/bin/sh
# The collective families on one machine (Open MPI over shared memory), as TAP:
# unavailable with the reason without mpirun; verified and timed with every rank's
# figures under `mpirun -np 2`; skipped with the reason at another rank count; a
# broken exchange (the mutant's wrong receive displacement) reported as fail; and the
# measured share projected onto every shipped link (`project --interconnect all`).
# Usage: mpi_shm_test.sh ARCHBENCH ARCHBENCH_MPI_MUTANT MPIRUN DATASETS ("" when not built/found)
set -u
ab="$1"
mut="$2"
mpirun="$3"
datasets="${4:-datasets}"
if [ -z "$mpirun" ] || [ ! -x "$mpirun" ]; then
    echo "1..0 # SKIP mpirun not found (Debian: apt-get install openmpi-bin libopenmpi-dev)"; exit 0
fi
if [ -z "$mut" ]; then
    echo "1..0 # SKIP archbench built without MPI (-Dmpi=disabled or libopenmpi-dev missing at setup)"; exit 0
fi
# Open MPI refuses root unless told; tests run as root in CI containers.
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ab_mpi_shm.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
small="--set tokens=1,77 --set d_model=40 --set d_ff=56 --set experts=4 --set k=2 --set dist=normal,one_expert --set d_attn=24"
fast="-r 3 -m 0.002 --max-item-time 5 --no-probes"
echo "1..7"
fail=0

# 1: list without mpirun
if "$ab" list --filter '^moe_ep/' >"$tmp/list" 2>&1 && grep -q 'moe_ep_alltoallv .*no: not started by mpirun' "$tmp/list"; then
    echo "ok 1 - list without mpirun: moe_ep unavailable with the reason"
else
    echo "not ok 1 - list without mpirun"; sed "s/^/# /" "$tmp/list"; fail=1
fi

# 2: run without mpirun skips (77) with the reason
"$ab" run --filter '^(moe_ep|tp_allreduce)/' $small $fast --out "$tmp/alone" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 77 ] && grep -q 'moe_ep skipped: not started by mpirun' "$tmp/err"; then
    echo "ok 2 - run without mpirun: skipped (77) with the reason"
else
    echo "not ok 2 - run without mpirun: exit $rc"; sed "s/^/# /" "$tmp/err"; fail=1
fi

# 3: mpirun -np 2 over shared memory: every variant verified on 4 moe_ep and 2 tp_allreduce
# shapes (a rank without tokens, every token to one expert), every rank's figures written
# shellcheck disable=SC2086 # option lists
timeout 300 "$mpirun" --oversubscribe -np 2 "$ab" run --filter '^(moe_ep|tp_allreduce)/' $small $fast \
    --out "$tmp/shm" >"$tmp/out" 2>"$tmp/err"
rc=$?
n_pass=$(grep -c -E ',(moe_ep_alltoallv|tp_allreduce_mpi),[^,]*,"[^"]*",[0-9]+,pass,' "$tmp/shm/speed.csv" 2>/dev/null)
n_rows=$(grep -c -E ',(moe_ep_alltoallv|tp_allreduce_mpi),' "$tmp/shm/speed.csv" 2>/dev/null)
if [ "$rc" = 0 ] && [ "$n_rows" = 6 ] && [ "$n_pass" = 6 ] &&
   grep -q ',moe_ep_alltoallv,.*,rank1_expert_ns,' "$tmp/shm/metrics.csv" &&
   grep -q ',moe_ep_alltoallv,.*,comm_share,' "$tmp/shm/metrics.csv" &&
   grep -q ',tp_allreduce_mpi,.*,rank1_allreduce_ns,' "$tmp/shm/metrics.csv"; then
    echo "ok 3 - mpirun -np 2 (shared memory): $n_pass of $n_rows collective rows pass, per-rank metrics written"
else
    echo "not ok 3 - mpirun -np 2: exit $rc, $n_pass of $n_rows rows pass (want 6 of 6)"
    sed "s/^/# /" "$tmp/err"; sed "s/^/# /" "$tmp/shm/speed.csv" 2>/dev/null; fail=1
fi

# 4: only rank 0 writes: no stray folder from another rank, one summary printed
if [ "$(grep -c '^-- moe_ep' "$tmp/out")" = 1 ]; then
    echo "ok 4 - one summary (rank 0's)"
else
    echo "not ok 4 - summaries printed: $(grep -c '^-- moe_ep' "$tmp/out")"; sed "s/^/# /" "$tmp/out"; fail=1
fi

# 5: shapes for 2 ranks under 3 ranks: skipped with the reason
# shellcheck disable=SC2086
timeout 120 "$mpirun" --oversubscribe -np 3 "$ab" run --filter '^moe_ep/' --set tokens=8 --set d_model=8 \
    --set d_ff=8 --set experts=4 $fast --out "$tmp/np3" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 77 ] && grep -q 'needs mpirun -np 2 (this run has 3 ranks)' "$tmp/err"; then
    echo "ok 5 - ranks=2 under -np 3: skipped (77) with the reason"
else
    echo "not ok 5 - ranks=2 under -np 3: exit $rc"; sed "s/^/# /" "$tmp/err"; fail=1
fi

# 6: the broken exchange fails verification, the real one beside it passes
# shellcheck disable=SC2086
timeout 300 "$mpirun" --oversubscribe -np 2 "$mut" run --filter '^moe_ep/' --set tokens=77 --set d_model=40 \
    --set d_ff=56 --set experts=4 $fast --out "$tmp/mutant" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && grep -q ',mutant_moe_ep_reversed_return,.*,fail,' "$tmp/mutant/speed.csv" &&
   grep -q ',moe_ep_alltoallv,.*,pass,' "$tmp/mutant/speed.csv" &&
   grep ',mutant_moe_ep_reversed_return,' "$tmp/mutant/speed.csv" | grep -q 'seed'; then
    echo "ok 6 - mutant (reversed receive displacements) fails verification, exit 1"
else
    echo "not ok 6 - mutant: exit $rc (want 1)"; sed "s/^/# /" "$tmp/err"; sed "s/^/# /" "$tmp/mutant/speed.csv" 2>/dev/null; fail=1
fi

# 7: test 3's run projected onto every shipped link: 4 moe_ep rows x 5 links, each with the
# measured share beside a projected one in [0, 1], labelled
"$ab" project "$tmp/shm" --interconnect all --datasets "$datasets" --out "$tmp/ic" >"$tmp/out" 2>"$tmp/err"
rc=$?
bad=$(python3 - "$tmp/ic/comm_projection.csv" 2>&1 <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
bad = [r for r in rows if r['label'] != 'projection (link bound, compute as measured)'
       or not 0.0 <= float(r['projected_comm_share']) <= 1.0 or not 0.0 <= float(r['measured_comm_share']) <= 1.0]
print(len(rows), len(bad))
PY
)
if [ "$rc" = 0 ] && [ "$bad" = "20 0" ]; then
    echo "ok 7 - project --interconnect all: 20 labelled rows, measured and projected shares in [0, 1]"
else
    echo "not ok 7 - project --interconnect all: exit $rc, rows/bad: $bad"; sed "s/^/# /" "$tmp/err"; fail=1
fi
exit $fail
