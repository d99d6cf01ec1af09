// libFuzzer: UPDATE bodies. Beyond "no crash, no overread": an UPDATE that decodes cleanly must
// re-encode to bytes that decode to the same routes.
#include "bgpd/wire/messages.h"
#include "fuzz_context.h"

using namespace ridgeline;
using namespace ridgeline::bgp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const DecodeContext ctx = fuzz::context_from(data[0]);
  auto update = decode_update(ByteSpan(data + 1, size - 1), ctx);
  if (!update) {
    RIDGELINE_FUZZ_CHECK(update.error().action == ErrorAction::SessionReset);
    return 0;
  }
  for (const auto& e : update->errors) RIDGELINE_FUZZ_CHECK(e.action != ErrorAction::SessionReset);
  if (!update->errors.empty()) return 0;
  const Bytes wire = encode_update(*update, fuzz::encode_context_for(ctx));
  RIDGELINE_FUZZ_CHECK(wire.size() >= kHeaderSize);
  auto again = decode_update(ByteSpan(wire).subspan(kHeaderSize), ctx);
  RIDGELINE_FUZZ_CHECK(again.has_value());
  RIDGELINE_FUZZ_CHECK(!again->treat_as_withdraw);
  RIDGELINE_FUZZ_CHECK(again->nlri == update->nlri);
  RIDGELINE_FUZZ_CHECK(again->withdrawn == update->withdrawn);
  RIDGELINE_FUZZ_CHECK(again->mp_reach.has_value() == update->mp_reach.has_value());
  if (update->mp_reach) RIDGELINE_FUZZ_CHECK(again->mp_reach->nlri == update->mp_reach->nlri);
  RIDGELINE_FUZZ_CHECK(again->attributes.as_path == update->attributes.as_path);
  RIDGELINE_FUZZ_CHECK(again->attributes.communities == update->attributes.communities);
  return 0;
}
