#pragma once
// BFD Control packets (RFC 5880 §4.1): a pure codec over byte spans. decode() applies the checks
// of RFC 5880 §6.8.6 that need no session state, and says which rule a packet broke.
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.h"

namespace ridgeline::bfd {

// RFC 5880 §4.1, "Sta".
enum class State : uint8_t { AdminDown = 0, Down = 1, Init = 2, Up = 3 };
std::string_view to_string(State s);

// RFC 5880 §4.1, "Diag".
enum class Diag : uint8_t {
  None = 0,
  ControlDetectionTimeExpired = 1,
  EchoFunctionFailed = 2,
  NeighborSignaledSessionDown = 3,
  ForwardingPlaneReset = 4,
  PathDown = 5,
  ConcatenatedPathDown = 6,
  AdministrativelyDown = 7,
  ReverseConcatenatedPathDown = 8,
};
std::string_view to_string(Diag d);

struct ControlPacket {
  uint8_t version = 1;
  Diag diag = Diag::None;
  State state = State::Down;
  bool poll = false;        // P
  bool final = false;       // F
  bool cpi = false;         // C: control plane independent
  bool auth = false;        // A
  bool demand = false;      // D
  bool multipoint = false;  // M
  uint8_t detect_mult = 3;
  uint32_t my_discriminator = 0;
  uint32_t your_discriminator = 0;
  uint32_t desired_min_tx_us = 0;
  uint32_t required_min_rx_us = 0;
  uint32_t required_min_echo_rx_us = 0;
  bool operator==(const ControlPacket&) const = default;
};

inline constexpr size_t kControlPacketSize = 24;  // without authentication

// Why a received packet was discarded (RFC 5880 §6.8.6), counted per reason.
enum class Discard : uint8_t {
  BadVersion,
  BadLength,  // < 24 (26 with A), or more than the payload
  ZeroDetectMult,
  Multipoint,  // M set
  ZeroMyDiscriminator,
  ZeroYourDiscriminatorNotDown,  // Your Discriminator 0 while the packet's state is not Down/AdminDown
  UnknownYourDiscriminator,
  AuthMismatch,      // A set without authentication configured (or clear with it)
  BadTtl,            // GTSM: single-hop TTL not 255 (RFC 5881 §5), multihop below minimum-ttl
  NoSession,         // no session for the addresses (Your Discriminator 0)
  SessionAdminDown,  // our session is AdminDown: packets are ignored
  Count
};
std::string_view to_string(Discard d);

Bytes encode(const ControlPacket& p);
// The payload checks of §6.8.6; the ones that need the session (discriminators, auth, state) are
// the receiver's.
std::optional<ControlPacket> decode(ByteSpan payload, Discard& why);

}  // namespace ridgeline::bfd
