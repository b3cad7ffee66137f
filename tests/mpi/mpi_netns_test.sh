#!/bin/sh
# The collective families over TCP between two "hosts": this network namespace and a
# second one joined by a veth pair whose bandwidth tbf limits (netem is not available
# on these machines), after /work/shared/research/mpi-netns.md. Open MPI reaches the
# second namespace as a remote host through an rsh stand-in that runs its daemon there.
# TAP; skipped, saying why, without root, mpirun, ip or tc, or where namespaces cannot
# be made. The test creates and deletes its own namespace, link and addresses.
# Usage: mpi_netns_test.sh ARCHBENCH MPIRUN   (env AB_NETNS_RATE: tbf rate, default 1gbit)
set -u
ab="$1"
mpirun="$2"
rate="${AB_NETNS_RATE:-1gbit}"
skip() { echo "1..0 # SKIP $*"; exit 0; }
[ -n "$mpirun" ] && [ -x "$mpirun" ] || skip "mpirun not found, or archbench built without MPI"
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
command -v ip >/dev/null 2>&1 || skip "no 'ip' (Debian: iproute2)"
command -v tc >/dev/null 2>&1 || skip "no 'tc' (Debian: iproute2)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# Names and a /24 of our own, from the process id: parallel runs do not collide.
id=$(( $$ % 200 + 20 ))
ns="abmpi$$"
v0="abv0_$$"
v1="abv1_$$"
net="10.211.$id"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ab_mpi_netns.XXXXXX") || exit 1
cleanup() {
    ip link del "$v0" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
if ip -o addr show | grep -q " $net\."; then
    skip "address range $net.0/24 already in use here"
fi
ip netns add "$ns" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
if ! { ip link add "$v0" type veth peer name "$v1" && ip link set "$v1" netns "$ns" &&
       ip addr add "$net.1/24" dev "$v0" && ip link set "$v0" up &&
       ip netns exec "$ns" ip addr add "$net.2/24" dev "$v1" && ip netns exec "$ns" ip link set "$v1" up &&
       ip netns exec "$ns" ip link set lo up; } 2>"$tmp/err"; then
    skip "cannot set up the veth pair: $(cat "$tmp/err")"
fi
# Both directions limited alike: the all-to-all sends both ways at once.
if ! { tc qdisc add dev "$v0" root tbf rate "$rate" burst 64kb latency 50ms &&
       ip netns exec "$ns" tc qdisc add dev "$v1" root tbf rate "$rate" burst 64kb latency 50ms; } 2>"$tmp/err"; then
    skip "tc tbf refused: $(cat "$tmp/err")"
fi

# The rsh stand-in: Open MPI calls it as `agent HOST COMMAND...`; the host can only be
# the namespace's address.
cat >"$tmp/nsrsh" <<RSH
#!/bin/sh
shift
exec ip netns exec $ns sh -c "\$*"
RSH
chmod +x "$tmp/nsrsh"
printf 'localhost slots=1\n%s.2 slots=1\n' "$net" >"$tmp/hosts"

echo "1..2"
fail=0
tx0=$(cat "/sys/class/net/$v0/statistics/tx_bytes")
small="--set tokens=256 --set d_model=64 --set d_ff=96 --set experts=8 --set k=2 --set d_attn=64"
# shellcheck disable=SC2086 # option list
timeout 300 "$mpirun" --hostfile "$tmp/hosts" --mca plm_rsh_agent "$tmp/nsrsh" --mca btl tcp,self \
    --mca btl_tcp_if_include "$net.0/24" --mca oob_tcp_if_include "$net.0/24" -np 2 \
    "$ab" run --filter '^(moe_ep|tp_allreduce)/' $small -r 3 -m 0.005 --max-item-time 10 --no-probes \
    --out "$tmp/tcp" >"$tmp/out" 2>"$tmp/err"
rc=$?
tx1=$(cat "/sys/class/net/$v0/statistics/tx_bytes")
n_pass=$(grep -c -E ',(moe_ep_alltoallv|tp_allreduce_mpi),.*,pass,' "$tmp/tcp/speed.csv" 2>/dev/null)
if [ "$rc" = 0 ] && [ "$n_pass" = 2 ] && grep -q ',moe_ep_alltoallv,.*,rank1_comm_ns,' "$tmp/tcp/metrics.csv"; then
    echo "ok 1 - mpirun -np 2 over TCP across namespaces ($rate tbf): moe_ep and tp_allreduce verified"
else
    echo "not ok 1 - over TCP: exit $rc, $n_pass of 2 rows pass"; sed "s/^/# /" "$tmp/err"; sed "s/^/# /" "$tmp/tcp/speed.csv" 2>/dev/null
    fail=1
fi
# The exchange really crossed the link: at these sizes one layer call sends ~140 kB
# over it, and verification alone makes several calls.
moved=$((tx1 - tx0))
if [ "$moved" -gt 200000 ]; then
    echo "ok 2 - $moved bytes crossed the veth pair"
else
    echo "not ok 2 - only $moved bytes crossed the veth pair"; fail=1
fi
grep -E ',moe_ep_alltoallv,.*,(comm_share|exchange_gbytes_per_s|bytes_remote_per_token),' "$tmp/tcp/metrics.csv" |
    awk -F, '{printf "# %s = %s %s\n", $(NF-2), $(NF-1), $NF}'
exit $fail
