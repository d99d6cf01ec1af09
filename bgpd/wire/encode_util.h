#pragma once
// Internal helpers shared by the encoders.
#include "bgpd/wire/messages.h"

namespace ridgeline::bgp {

// Writes the header of one message into `out` and patches its length on finish().
struct MessageBuilder {
  MessageBuilder(Bytes& out, MessageType type) : w(out), start(out.size()) {
    w.fill(16, 0xff);
    length_at = w.reserve_u16();
    w.u8(static_cast<uint8_t>(type));
  }
  size_t size() const { return w.size() - start; }
  void finish() { w.patch_u16(length_at, static_cast<uint16_t>(size())); }

  ByteWriter w;
  size_t start;
  size_t length_at;
};

WireError reset_error(uint8_t code, uint8_t subcode, Bytes data, std::string reason);

}  // namespace ridgeline::bgp
