// libFuzzer: OPEN bodies. A decoded OPEN must re-encode to the same capabilities.
#include "bgpd/wire/messages.h"
#include "fuzz_context.h"

using namespace ridgeline;
using namespace ridgeline::bgp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto open = decode_open(ByteSpan(data, size));
  if (!open) {
    RIDGELINE_FUZZ_CHECK(open.error().action == ErrorAction::SessionReset);
    RIDGELINE_FUZZ_CHECK(open.error().code == error_code::kOpenMessage ||
                         open.error().code == error_code::kMessageHeader);
    return 0;
  }
  const Bytes wire = encode_open(*open);
  auto again = decode_open(ByteSpan(wire).subspan(kHeaderSize));
  RIDGELINE_FUZZ_CHECK(again.has_value());
  RIDGELINE_FUZZ_CHECK(again->capabilities == open->capabilities);
  RIDGELINE_FUZZ_CHECK(again->peer_as() == open->peer_as());
  return 0;
}
