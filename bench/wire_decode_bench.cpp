// UPDATE decode throughput: packed /32 UPDATEs (one attribute set, ~800 NLRI per message) decoded
// into RIB-ready form (prefix vector + typed attributes). Reports NLRI per second.
#include <benchmark/benchmark.h>

#include "bgpd/wire/messages.h"

namespace ridgeline::bgp {
namespace {

std::vector<Bytes> packed_host_routes(size_t routes, const EncodeContext& ctx) {
  PathAttributes a;
  a.origin = Origin::Igp;
  a.as_path = AsPath{{{SegmentType::Sequence, {64501}}}};
  a.next_hop = IpAddress::v4(0x0a000102);
  a.med = 0;
  a.communities = {(64500u << 16) | 100};
  a.large_communities = {{64500, 1, 2}};
  std::vector<Nlri> nlri;
  nlri.reserve(routes);
  for (size_t i = 0; i < routes; ++i) nlri.push_back({Prefix(IpAddress::v4(0x0a000000u + uint32_t(i)), 32), 0});
  return encode_announcements(a, kIpv4Unicast, {}, nlri, ctx);
}

void decode_packed(benchmark::State& state, const EncodeContext& ectx, const DecodeContext& dctx) {
  const auto messages = packed_host_routes(100000, ectx);
  size_t nlri = 0;
  for (auto _ : state) {
    for (const auto& m : messages) {
      auto u = decode_update(ByteSpan(m).subspan(kHeaderSize), dctx);
      if (!u) state.SkipWithError("decode failed");
      nlri += u->nlri.size();
      benchmark::DoNotOptimize(u->nlri.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(nlri));
  state.counters["nlri_per_msg"] = double(100000) / double(messages.size());
}

void BM_DecodeUpdate_Packed32(benchmark::State& state) {
  decode_packed(state, {}, {});
}

void BM_DecodeUpdate_Packed32_ExtendedMessage(benchmark::State& state) {
  EncodeContext e;
  e.extended_message = true;
  DecodeContext d;
  d.extended_message = true;
  decode_packed(state, e, d);
}

void BM_EncodeAnnouncements_Packed32(benchmark::State& state) {
  size_t n = 0;
  for (auto _ : state) {
    auto m = packed_host_routes(100000, {});
    n += 100000;
    benchmark::DoNotOptimize(m.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

BENCHMARK(BM_DecodeUpdate_Packed32)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeUpdate_Packed32_ExtendedMessage)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeAnnouncements_Packed32)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ridgeline::bgp

BENCHMARK_MAIN();
