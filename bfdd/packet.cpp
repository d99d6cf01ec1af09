#include "bfdd/packet.h"

namespace ridgeline::bfd {

std::string_view to_string(State s) {
  switch (s) {
    case State::AdminDown: return "AdminDown";
    case State::Down: return "Down";
    case State::Init: return "Init";
    case State::Up: return "Up";
  }
  return "?";
}

std::string_view to_string(Diag d) {
  switch (d) {
    case Diag::None: return "none";
    case Diag::ControlDetectionTimeExpired: return "control detection time expired";
    case Diag::EchoFunctionFailed: return "echo function failed";
    case Diag::NeighborSignaledSessionDown: return "neighbor signaled session down";
    case Diag::ForwardingPlaneReset: return "forwarding plane reset";
    case Diag::PathDown: return "path down";
    case Diag::ConcatenatedPathDown: return "concatenated path down";
    case Diag::AdministrativelyDown: return "administratively down";
    case Diag::ReverseConcatenatedPathDown: return "reverse concatenated path down";
  }
  return "unknown";
}

std::string_view to_string(Discard d) {
  switch (d) {
    case Discard::BadVersion: return "bad version";
    case Discard::BadLength: return "bad length";
    case Discard::ZeroDetectMult: return "detect multiplier 0";
    case Discard::Multipoint: return "multipoint bit set";
    case Discard::ZeroMyDiscriminator: return "my discriminator 0";
    case Discard::ZeroYourDiscriminatorNotDown: return "your discriminator 0 while not down";
    case Discard::UnknownYourDiscriminator: return "unknown your discriminator";
    case Discard::AuthMismatch: return "authentication mismatch";
    case Discard::BadTtl: return "bad TTL";
    case Discard::NoSession: return "no session";
    case Discard::SessionAdminDown: return "session admin down";
    case Discard::Count: break;
  }
  return "?";
}

Bytes encode(const ControlPacket& p) {
  Bytes out(kControlPacketSize);
  out[0] = static_cast<uint8_t>(p.version << 5 | (static_cast<uint8_t>(p.diag) & 0x1f));
  out[1] = static_cast<uint8_t>(static_cast<uint8_t>(p.state) << 6 | p.poll << 5 | p.final << 4 | p.cpi << 3 |
                                p.auth << 2 | p.demand << 1 | p.multipoint);
  out[2] = p.detect_mult;
  out[3] = kControlPacketSize;
  auto put32 = [&](size_t at, uint32_t v) {
    out[at] = static_cast<uint8_t>(v >> 24);
    out[at + 1] = static_cast<uint8_t>(v >> 16);
    out[at + 2] = static_cast<uint8_t>(v >> 8);
    out[at + 3] = static_cast<uint8_t>(v);
  };
  put32(4, p.my_discriminator);
  put32(8, p.your_discriminator);
  put32(12, p.desired_min_tx_us);
  put32(16, p.required_min_rx_us);
  put32(20, p.required_min_echo_rx_us);
  return out;
}

std::optional<ControlPacket> decode(ByteSpan payload, Discard& why) {
  ByteReader r(payload);
  uint8_t b0 = 0, b1 = 0, length = 0;
  ControlPacket p;
  if (!r.u8(b0) || !r.u8(b1) || !r.u8(p.detect_mult) || !r.u8(length)) {
    why = Discard::BadLength;
    return std::nullopt;
  }
  // RFC 5880 §6.8.6, in its order.
  p.version = b0 >> 5;
  if (p.version != 1) {
    why = Discard::BadVersion;
    return std::nullopt;
  }
  p.diag = static_cast<Diag>(b0 & 0x1f);
  p.state = static_cast<State>(b1 >> 6);
  p.poll = b1 & 0x20;
  p.final = b1 & 0x10;
  p.cpi = b1 & 0x08;
  p.auth = b1 & 0x04;
  p.demand = b1 & 0x02;
  p.multipoint = b1 & 0x01;
  if (length < (p.auth ? kControlPacketSize + 2 : kControlPacketSize) || length > payload.size()) {
    why = Discard::BadLength;
    return std::nullopt;
  }
  if (p.detect_mult == 0) {
    why = Discard::ZeroDetectMult;
    return std::nullopt;
  }
  if (p.multipoint) {
    why = Discard::Multipoint;
    return std::nullopt;
  }
  r.u32(p.my_discriminator);
  r.u32(p.your_discriminator);
  r.u32(p.desired_min_tx_us);
  r.u32(p.required_min_rx_us);
  r.u32(p.required_min_echo_rx_us);
  if (p.my_discriminator == 0) {
    why = Discard::ZeroMyDiscriminator;
    return std::nullopt;
  }
  if (p.your_discriminator == 0 && p.state != State::Down && p.state != State::AdminDown) {
    why = Discard::ZeroYourDiscriminatorNotDown;
    return std::nullopt;
  }
  // Authentication is not configurable yet: a packet that carries it cannot be checked.
  if (p.auth) {
    why = Discard::AuthMismatch;
    return std::nullopt;
  }
  return p;
}

}  // namespace ridgeline::bfd
