// libFuzzer: BFD Control packets. decode() must never read past its input, and what it accepts
// must encode back to the same first 24 bytes (the codec is exact for what it keeps).
#include <cstdlib>
#include <cstring>

#include "bfdd/packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ridgeline::bfd;
  Discard why{};
  auto p = decode({data, size}, why);
  if (!p) return 0;
  const auto wire = encode(*p);
  // Length aside (we send exactly 24), every byte of the mandatory section round-trips.
  if (std::memcmp(wire.data(), data, 3) != 0 || std::memcmp(wire.data() + 4, data + 4, 20) != 0) std::abort();
  return 0;
}
