#!/usr/bin/env bash
# BFD session scale: N single-hop sessions at 50 ms x 3 between two bfdd processes in two network
# namespaces joined by a veth pair. The side measured is "dut"; the other ("gen") is the load
# generator (also Ridgeline's bfdd: it runs the same state machine, so it answers polls and
# keeps to the timers). Both run on this machine, so the 2 cores are shared between them.
# After every session is Up, the sessions are held for HOLD seconds; a Down on either side in
# that time is a false Down. Prints, per N: time to all Up, false Downs, CPU seconds of each side.
# Usage: sudo bench/bfd_sessions.sh [HOLD=60] N...   (default N: 250 500 1000)
set -euo pipefail
HOLD=${1:-60}
shift || true
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(250 500 1000)
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BFDD="$ROOT/build/bin/bfdd"
RLSH="$ROOT/build/bin/rlsh"
tag="rlbfdb$$"
work=$(mktemp -d)
cleanup() {
  for ns in "${tag}dut" "${tag}gen"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

config() {  # SIDE N -> a ridgeline.conf with N peers
  local side=$1 n=$2
  echo "bfd"
  echo " profile fast"
  echo "  receive-interval 50"
  echo "  transmit-interval 50"
  echo "  detect-multiplier 3"
  echo " exit"
  for i in $(seq 1 "$n"); do
    local a="10.100.$((i / 250)).$((i % 250 + 1))" b="10.101.$((i / 250)).$((i % 250 + 1))"
    if [ "$side" = dut ]; then
      echo " peer $b local-address $a"
    else
      echo " peer $a local-address $b"
    fi
    echo "  profile fast"
    echo " exit"
  done
  echo "exit"
}

cpu_seconds() {  # PID -> user+sys seconds
  awk '{print ($14 + $15) / 100}' "/proc/$1/stat"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "sessions at 50 ms x 3, held $HOLD s after all are Up"
for n in "${COUNTS[@]}"; do
  cleanup 2>/dev/null || true
  work=$(mktemp -d)
  ip netns add "${tag}dut"
  ip netns add "${tag}gen"
  ip -n "${tag}dut" link set lo up
  ip -n "${tag}gen" link set lo up
  ip link add "${tag}a" netns "${tag}dut" type veth peer name "${tag}b" netns "${tag}gen"
  ip -n "${tag}dut" link set "${tag}a" up
  ip -n "${tag}gen" link set "${tag}b" up
  for i in $(seq 1 "$n"); do
    echo "addr add 10.100.$((i / 250)).$((i % 250 + 1))/15 dev ${tag}a"
  done | ip -n "${tag}dut" -batch -
  for i in $(seq 1 "$n"); do
    echo "addr add 10.101.$((i / 250)).$((i % 250 + 1))/15 dev ${tag}b"
  done | ip -n "${tag}gen" -batch -
  # Permanent neighbor entries: the kernel's ARP garbage collection (gc_thresh2 = 512 entries,
  # shared by every namespace) would otherwise drop entries past 512 and cap the session count.
  mac_a=$(ip -n "${tag}dut" -j link show "${tag}a" | sed -n 's/.*"address":"\([0-9a-f:]*\)".*/\1/p')
  mac_b=$(ip -n "${tag}gen" -j link show "${tag}b" | sed -n 's/.*"address":"\([0-9a-f:]*\)".*/\1/p')
  for i in $(seq 1 "$n"); do
    echo "neigh add 10.101.$((i / 250)).$((i % 250 + 1)) lladdr $mac_b dev ${tag}a nud permanent"
  done | ip -n "${tag}dut" -batch -
  for i in $(seq 1 "$n"); do
    echo "neigh add 10.100.$((i / 250)).$((i % 250 + 1)) lladdr $mac_a dev ${tag}b nud permanent"
  done | ip -n "${tag}gen" -batch -
  for side in dut gen; do
    mkdir -p "$work/$side"
    config "$side" "$n" > "$work/$side/ridgeline.conf"
    ip netns exec "${tag}$side" "$BFDD" -f "$work/$side/ridgeline.conf" --run-dir "$work/$side" --log-level warn \
      > "$work/$side/log" 2>&1 &
    echo $! > "$work/$side/pid"
  done
  start=$(date +%s.%N)
  up=""
  for _ in $(seq 1 600); do  # bounded: at most 120 s
    count=$("$RLSH" --run-dir "$work/dut" -c "show bfd peers json" 2>/dev/null | { grep -c '"state": "Up"' || true; })
    if [ "$count" -ge "$n" ]; then up=$(date +%s.%N); break; fi
    sleep 0.2
  done
  if [ -z "$up" ]; then
    echo "N=$n: not all Up within 120 s ($count Up)"
    continue
  fi
  downs_before=$({ grep -c "Up -> Down" "$work/dut/log" "$work/gen/log" || true; } | awk -F: '{s += $2} END {print s}')
  c0_dut=$(cpu_seconds "$(cat "$work/dut/pid")")
  c0_gen=$(cpu_seconds "$(cat "$work/gen/pid")")
  sleep "$HOLD"  # the measurement window itself: the sessions run on their own meanwhile
  downs_after=$({ grep -c "Up -> Down" "$work/dut/log" "$work/gen/log" || true; } | awk -F: '{s += $2} END {print s}')
  c1_dut=$(cpu_seconds "$(cat "$work/dut/pid")")
  c1_gen=$(cpu_seconds "$(cat "$work/gen/pid")")
  still=$("$RLSH" --run-dir "$work/dut" -c "show bfd peers json" | { grep -c '"state": "Up"' || true; })
  awk -v n="$n" -v s="$start" -v u="$up" -v d=$((downs_after - downs_before)) -v still="$still" -v hold="$HOLD" \
      -v c0d="$c0_dut" -v c1d="$c1_dut" -v c0g="$c0_gen" -v c1g="$c1_gen" \
    'BEGIN {cd = c1d - c0d; cg = c1g - c0g; printf "N=%d: all Up in %.1f s; false Downs in %d s: %d; Up at the end: %d; CPU per second: dut %.0f%%, generator %.0f%%\n", n, u - s, hold, d, still, 100 * cd / hold, 100 * cg / hold}'
  for side in dut gen; do kill "$(cat "$work/$side/pid")" 2>/dev/null || true; done
  wait 2>/dev/null || true
done
