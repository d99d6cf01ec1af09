// Loc-RIB memory and speed per route: 1M /32 from one peer (one attribute set, as MetalLB sends
// them), then the same prefixes from 3 more peers (4-way ECMP). Memory is the heap in use
// (glibc mallinfo2) plus the slabs the path pool maps itself, after minus before, divided by the routes or the extra
// paths; goal (issue 9):
// <= 80 B per route from one peer, <= 24 B per extra path.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include "rib/loc_rib.h"

namespace ridgeline::rib {
namespace {

size_t heap_in_use() {
  malloc_trim(0);
  return mallinfo2().uordblks;
}

bgp::PathAttributes node_attrs(uint32_t asn) {
  bgp::PathAttributes a;
  a.origin = bgp::Origin::Igp;
  a.as_path = bgp::AsPath{{{bgp::SegmentType::Sequence, {asn}}}};
  a.communities = {(64500u << 16) | 100};
  return a;
}

void BM_LocRib_Install(benchmark::State& state) {
  const size_t routes = static_cast<size_t>(state.range(0));
  const PeerId peers = static_cast<PeerId>(state.range(1));
  double per_route = 0, per_extra_path = 0;
  for (auto _ : state) {
    state.PauseTiming();
    AttributeStore store;
    std::vector<AttrRef> attrs;
    for (PeerId p = 1; p <= peers; ++p) attrs.push_back(store.intern(node_attrs(64500 + p)));
    const size_t before = heap_in_use();
    state.ResumeTiming();
    {
      DecisionOptions o;
      o.maximum_paths_ebgp = 64;
      LocRib rib(o);
      for (PeerId p = 1; p <= peers; ++p) rib.set_peer(p, {IpAddress::v4(0x0a010000u + p), p, true});
      size_t one_peer = 0;
      for (PeerId p = 1; p <= peers; ++p) {
        for (size_t i = 0; i < routes; ++i) {
          rib.update(Prefix(IpAddress::v4(0x0b000000u + uint32_t(i)), 32),
                     Path{p, 0, attrs[p - 1], IpAddress::v4(0x0a010000u + p)});
          if ((i & 1023) == 1023) benchmark::DoNotOptimize(rib.drain().fib.size());  // reads come in batches
        }
        benchmark::DoNotOptimize(rib.drain().fib.size());
        if (p == 1) {
          state.PauseTiming();
          one_peer = heap_in_use() + rib.path_pool_bytes();
          state.ResumeTiming();
        }
      }
      state.PauseTiming();
      const size_t all = heap_in_use() + rib.path_pool_bytes();
      per_route = double(one_peer - before) / double(routes);
      if (peers > 1) per_extra_path = double(all - one_peer) / double(routes * (peers - 1));
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * routes * peers));
  state.counters["bytes_per_route"] = per_route;
  if (peers > 1) state.counters["bytes_per_extra_path"] = per_extra_path;
}
BENCHMARK(BM_LocRib_Install)->Args({1000000, 1})->Args({1000000, 4})->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace ridgeline::rib

BENCHMARK_MAIN();
