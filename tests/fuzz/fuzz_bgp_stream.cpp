// libFuzzer: a TCP byte stream cut into messages by next_frame(), each decoded by type.
// Input: one context byte, then the stream.
#include "bgpd/wire/messages.h"
#include "fuzz_context.h"

using namespace ridgeline;
using namespace ridgeline::bgp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const DecodeContext ctx = fuzz::context_from(data[0]);
  ByteSpan stream(data + 1, size - 1);
  while (!stream.empty()) {
    auto frame = next_frame(stream, ctx);
    if (!frame || !frame->has_value()) break;
    const Frame& f = **frame;
    RIDGELINE_FUZZ_CHECK(f.size >= kHeaderSize && f.size <= stream.size());
    auto message = decode_message(stream.first(f.size), ctx);
    if (!message) RIDGELINE_FUZZ_CHECK(message.error().action == ErrorAction::SessionReset);
    stream = stream.subspan(f.size);
  }
  return 0;
}
