// Framing (RFC 4271 §4.1, §6.1), NOTIFICATION, KEEPALIVE and ROUTE-REFRESH, and dispatch.
#include <algorithm>

#include "bgpd/wire/encode_util.h"
#include "bgpd/wire/messages.h"

namespace ridgeline::bgp {

std::optional<Family> family_of(Afi afi) {
  switch (afi) {
    case Afi::Ipv4: return Family::V4;
    case Afi::Ipv6: return Family::V6;
  }
  return std::nullopt;
}

std::string to_string(AfiSafi af) {
  std::string s = af.afi == Afi::Ipv4   ? "ipv4"
                  : af.afi == Afi::Ipv6 ? "ipv6"
                                        : "afi" + std::to_string(static_cast<int>(af.afi));
  s += af.safi == Safi::Unicast     ? "-unicast"
       : af.safi == Safi::Multicast ? "-multicast"
                                    : "-safi" + std::to_string(static_cast<int>(af.safi));
  return s;
}

std::string_view to_string(ErrorAction action) {
  switch (action) {
    case ErrorAction::SessionReset: return "session-reset";
    case ErrorAction::TreatAsWithdraw: return "treat-as-withdraw";
    case ErrorAction::AttributeDiscard: return "attribute-discard";
  }
  return "?";
}

bool DecodeContext::add_path(AfiSafi af) const {
  return std::find(add_path_receive.begin(), add_path_receive.end(), af) != add_path_receive.end();
}

bool EncodeContext::add_path(AfiSafi af) const {
  return std::find(add_path_send.begin(), add_path_send.end(), af) != add_path_send.end();
}

WireError reset_error(uint8_t code, uint8_t subcode, Bytes data, std::string reason) {
  WireError e;
  e.action = ErrorAction::SessionReset;
  e.code = code;
  e.subcode = subcode;
  e.data = std::move(data);
  e.reason = std::move(reason);
  return e;
}

namespace {

Bytes u16_bytes(uint16_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

WireError bad_length(uint16_t length, std::string reason) {
  // RFC 4271 §6.1: the Data field contains the erroneous Length field.
  return reset_error(error_code::kMessageHeader, header_subcode::kBadMessageLength, u16_bytes(length),
                     std::move(reason));
}

}  // namespace

Result<std::optional<Frame>, WireError> next_frame(ByteSpan stream, const DecodeContext& ctx) {
  if (stream.size() < kHeaderSize) return std::optional<Frame>{};
  if (!std::all_of(stream.begin(), stream.begin() + 16, [](uint8_t b) { return b == 0xff; })) {
    return unexpected(reset_error(error_code::kMessageHeader, header_subcode::kConnectionNotSynchronized, {},
                                  "marker is not all ones"));
  }
  const uint16_t length = static_cast<uint16_t>(stream[16] << 8 | stream[17]);
  const uint8_t type = stream[18];
  if (length < kHeaderSize || length > ctx.max_message_size()) {
    return unexpected(bad_length(length, "message length " + std::to_string(length) + " out of range"));
  }
  size_t min = 0, max = ctx.max_message_size();
  switch (static_cast<MessageType>(type)) {
    case MessageType::Open:
      min = kMinOpenSize;
      max = kMaxMessageSize;
      break;  // RFC 8654 §3
    case MessageType::Update: min = kMinUpdateSize; break;
    case MessageType::Notification: min = kMinNotificationSize; break;
    case MessageType::Keepalive: min = max = kKeepaliveSize; break;
    case MessageType::RouteRefresh: min = kRouteRefreshSize; break;
    default:
      return unexpected(reset_error(error_code::kMessageHeader, header_subcode::kBadMessageType, {type},
                                    "unknown message type " + std::to_string(type)));
  }
  if (length < min || length > max) {
    return unexpected(
        bad_length(length, "length " + std::to_string(length) + " is wrong for message type " + std::to_string(type)));
  }
  if (stream.size() < length) return std::optional<Frame>{};
  return std::optional<Frame>{
      Frame{static_cast<MessageType>(type), stream.subspan(kHeaderSize, length - kHeaderSize), length}};
}

Result<Notification, WireError> decode_notification(ByteSpan body) {
  if (body.size() < 2) {
    return unexpected(bad_length(static_cast<uint16_t>(body.size() + kHeaderSize), "NOTIFICATION too short"));
  }
  return Notification{body[0], body[1], Bytes(body.begin() + 2, body.end())};
}

Result<RouteRefresh, WireError> decode_route_refresh(ByteSpan body) {
  ByteReader r(body);
  uint16_t afi = 0;
  uint8_t subtype = 0, safi = 0;
  if (!r.u16(afi) || !r.u8(subtype) || !r.u8(safi)) {
    return unexpected(bad_length(static_cast<uint16_t>(body.size() + kHeaderSize), "ROUTE-REFRESH too short"));
  }
  RouteRefresh rr{{static_cast<Afi>(afi), static_cast<Safi>(safi)}, static_cast<RefreshSubtype>(subtype)};
  const bool borr_eorr = subtype == 1 || subtype == 2;
  if (borr_eorr && body.size() != 4) {
    // RFC 7313 §5: the data is the complete ROUTE-REFRESH message.
    Bytes data;
    data.reserve(kHeaderSize + body.size());
    data.insert(data.end(), 16, 0xff);
    ByteWriter w(data);
    w.u16(static_cast<uint16_t>(kHeaderSize + body.size()));
    w.u8(static_cast<uint8_t>(MessageType::RouteRefresh));
    w.bytes(body);
    return unexpected(reset_error(error_code::kRouteRefreshMessage, route_refresh_subcode::kInvalidMessageLength,
                                  std::move(data),
                                  "BoRR/EoRR with a body of " + std::to_string(body.size()) + " bytes"));
  }
  return rr;
}

Result<Message, WireError> decode_message(ByteSpan message, const DecodeContext& ctx) {
  auto frame = next_frame(message, ctx);
  if (!frame) return unexpected(frame.error());
  if (!frame->has_value() || (*frame)->size != message.size()) {
    return unexpected(bad_length(static_cast<uint16_t>(message.size()), "message is not exactly one BGP message"));
  }
  const Frame& f = **frame;
  switch (f.type) {
    case MessageType::Open: {
      auto m = decode_open(f.body);
      if (!m) return unexpected(m.error());
      return Message{std::move(*m)};
    }
    case MessageType::Update: {
      auto m = decode_update(f.body, ctx);
      if (!m) return unexpected(m.error());
      return Message{std::move(*m)};
    }
    case MessageType::Notification: {
      auto m = decode_notification(f.body);
      if (!m) return unexpected(m.error());
      return Message{std::move(*m)};
    }
    case MessageType::Keepalive: return Message{Keepalive{}};
    case MessageType::RouteRefresh: {
      auto m = decode_route_refresh(f.body);
      if (!m) return unexpected(m.error());
      return Message{*m};
    }
  }
  std::abort();  // next_frame() admits only the types above
}

Bytes encode_keepalive() {
  Bytes out;
  MessageBuilder b(out, MessageType::Keepalive);
  b.finish();
  return out;
}

Bytes encode_notification(const Notification& n) {
  Bytes out;
  MessageBuilder b(out, MessageType::Notification);
  b.w.u8(n.code);
  b.w.u8(n.subcode);
  b.w.bytes(n.data);
  b.finish();
  return out;
}

Bytes encode_route_refresh(const RouteRefresh& rr) {
  Bytes out;
  MessageBuilder b(out, MessageType::RouteRefresh);
  b.w.u16(static_cast<uint16_t>(rr.af.afi));
  b.w.u8(static_cast<uint8_t>(rr.subtype));
  b.w.u8(static_cast<uint8_t>(rr.af.safi));
  b.finish();
  return out;
}

}  // namespace ridgeline::bgp
