#!/usr/bin/env bash
# Kernel FIB install rate: N /32 routes through a 2-way nexthop group, batched (fib::Programmer
# over NetlinkKernel) vs the naive loop (one RTM_NEWROUTE per sendmsg, blocking on each ack), and
# the kernel floor: the same routes pre-built (in the same spread order), through the batched
# sender with no FIB logic and no pipelining.
# Each run uses a fresh network namespace of its own; runs alternate; medians are printed.
# Usage: sudo bench/fib_install.sh [N=1000000] [RUNS=3]
set -euo pipefail
N=${1:-1000000}
RUNS=${2:-3}
BIN="$(cd "$(dirname "$0")/.." && pwd)/build/bin/fib_probe"
ns="rlfibbench$$"
run() {  # MODE -> routes/s
  ip netns add "$ns"
  trap 'ip netns del "$ns" 2>/dev/null || true' RETURN
  ip -n "$ns" link set lo up
  ip -n "$ns" link add d0 type veth peer name d1
  ip -n "$ns" link set d0 up
  ip -n "$ns" link set d1 up
  ip -n "$ns" addr add 10.0.1.1/24 dev d0
  local hops=10.0.1.11,10.0.1.12
  [ "$1" = baseline ] && hops=10.0.1.11
  printf 'connected 10.0.1.0/24 d0\n%s %s %s\n' "$1" "$N" "$hops" | ip netns exec "$ns" "$BIN" |
    sed -n 's/.*routes_per_second=\([0-9]*\).*/\1/p'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
batched=() baseline=() floor=()
for _ in $(seq "$RUNS"); do
  batched+=("$(run bulk)")
  baseline+=("$(run baseline)")
  floor+=("$(run floor)")
done
b=$(printf '%s\n' "${batched[@]}" | median)
l=$(printf '%s\n' "${baseline[@]}" | median)
f=$(printf '%s\n' "${floor[@]}" | median)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "routes: $N, runs: $RUNS"
echo "batched (fib::Programmer, nhid groups): ${batched[*]} routes/s, median $b"
echo "baseline (one route per sendmsg):       ${baseline[*]} routes/s, median $l"
echo "kernel floor (pre-built, batched):       ${floor[*]} routes/s, median $f"
awk -v b="$b" -v l="$l" -v f="$f" 'BEGIN {printf "ratio batched/baseline: %.2f, batched/floor: %.2f\n", b / l, b / f}'
