#pragma once
// Helpers to write BGP messages by hand in tests: hex literals, headers, attributes.
#include <gtest/gtest.h>

#include <cctype>
#include <string_view>

#include "bgpd/wire/messages.h"

namespace ridgeline::bgp::testing {

// "ff ff 00 1d" -> bytes; spaces, newlines and ':' are ignored.
inline Bytes hex(std::string_view text) {
  Bytes out;
  int high = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':') continue;
    const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (v < 0 || v > 15) ADD_FAILURE() << "bad hex digit " << c;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) ADD_FAILURE() << "odd number of hex digits";
  return out;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes message(MessageType type, const Bytes& body) {
  Bytes out(16, 0xff);
  const size_t len = 19 + body.size();
  out.push_back(static_cast<uint8_t>(len >> 8));
  out.push_back(static_cast<uint8_t>(len));
  out.push_back(static_cast<uint8_t>(type));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

inline Bytes attribute(uint8_t flags, uint8_t type, const Bytes& value) {
  Bytes out{flags, type};
  if (flags & attr_flag::kExtendedLength) out.push_back(static_cast<uint8_t>(value.size() >> 8));
  out.push_back(static_cast<uint8_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

// An UPDATE body from its three fields.
inline Bytes update_body(const Bytes& withdrawn, const Bytes& attrs, const Bytes& nlri) {
  Bytes out;
  out.push_back(static_cast<uint8_t>(withdrawn.size() >> 8));
  out.push_back(static_cast<uint8_t>(withdrawn.size()));
  out.insert(out.end(), withdrawn.begin(), withdrawn.end());
  out.push_back(static_cast<uint8_t>(attrs.size() >> 8));
  out.push_back(static_cast<uint8_t>(attrs.size()));
  out.insert(out.end(), attrs.begin(), attrs.end());
  out.insert(out.end(), nlri.begin(), nlri.end());
  return out;
}

// Well-formed ORIGIN IGP, AS_PATH [64500] (4-octet) and NEXT_HOP 192.0.2.1.
inline Bytes mandatory_attributes() {
  return cat({attribute(0x40, attr::kOrigin, {0}), attribute(0x40, attr::kAsPath, hex("02 01 0000fbf4")),
              attribute(0x40, attr::kNextHop, hex("c0000201"))});
}

// The same for a 2-octet AS session.
inline Bytes mandatory_attributes_2octet() {
  return cat({attribute(0x40, attr::kOrigin, {0}), attribute(0x40, attr::kAsPath, hex("02 01 fbf4")),
              attribute(0x40, attr::kNextHop, hex("c0000201"))});
}

inline Bytes nlri_10_0_1_5() {
  return hex("20 0a000105");
}

inline Prefix prefix(std::string_view text) {
  auto p = Prefix::parse(text);
  if (!p) ADD_FAILURE() << "bad prefix " << text;
  return p.value_or(Prefix{});
}

inline IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  if (!a) ADD_FAILURE() << "bad address " << text;
  return a.value_or(IpAddress{});
}

inline Update decode_ok(const Bytes& body, const DecodeContext& ctx = {}) {
  auto u = decode_update(body, ctx);
  if (!u) {
    ADD_FAILURE() << "decode failed: " << u.error().reason;
    return {};
  }
  return std::move(*u);
}

inline WireError decode_fails(const Bytes& body, const DecodeContext& ctx = {}) {
  auto u = decode_update(body, ctx);
  if (u) {
    ADD_FAILURE() << "decode unexpectedly succeeded";
    return {};
  }
  return u.error();
}

}  // namespace ridgeline::bgp::testing
