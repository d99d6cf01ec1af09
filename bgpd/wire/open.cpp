// OPEN (RFC 4271 §4.2, §6.2), optional parameters (RFC 9072) and capabilities (RFC 5492).
#include "bgpd/wire/encode_util.h"
#include "bgpd/wire/messages.h"

namespace ridgeline::bgp {
namespace {

WireError open_error(uint8_t subcode, std::string reason, Bytes data = {}) {
  return reset_error(error_code::kOpenMessage, subcode, std::move(data), std::move(reason));
}

AfiSafi read_afi_safi(uint16_t afi, uint8_t safi) {
  return {static_cast<Afi>(afi), static_cast<Safi>(safi)};
}

// Decodes one capability TLV's value into `caps`. Malformed values of known capabilities are an
// OPEN error (2/0): their meaning is unknowable, and guessing would mis-negotiate the session.
std::optional<WireError> decode_capability(uint8_t code, ByteSpan value, Capabilities& caps) {
  ByteReader r(value);
  auto malformed = [&](const char* what) {
    return open_error(open_subcode::kUnspecific,
                      std::string("malformed ") + what + " capability (length " + std::to_string(value.size()) + ")");
  };
  switch (code) {
    case cap::kMultiprotocol: {  // RFC 4760 §8
      uint16_t afi = 0;
      uint8_t reserved = 0, safi = 0;
      if (value.size() != 4 || !r.u16(afi) || !r.u8(reserved) || !r.u8(safi)) return malformed("multiprotocol");
      caps.multiprotocol.push_back(read_afi_safi(afi, safi));
      return std::nullopt;
    }
    case cap::kRouteRefresh: caps.route_refresh = true; return std::nullopt;
    case cap::kRouteRefreshCisco: caps.route_refresh_cisco = true; return std::nullopt;
    case cap::kEnhancedRouteRefresh: caps.enhanced_route_refresh = true; return std::nullopt;
    case cap::kExtendedMessage: caps.extended_message = true; return std::nullopt;
    case cap::kFourOctetAs: {  // RFC 6793 §3
      uint32_t asn = 0;
      if (value.size() != 4 || !r.u32(asn)) return malformed("4-octet AS");
      caps.four_octet_as = asn;
      return std::nullopt;
    }
    case cap::kGracefulRestart: {  // RFC 4724 §3
      uint16_t flags_time = 0;
      if (value.size() < 2 || (value.size() - 2) % 4 != 0 || !r.u16(flags_time)) return malformed("graceful restart");
      GracefulRestartCapability gr;
      gr.restarting = flags_time & 0x8000;
      gr.notification = flags_time & 0x4000;
      gr.restart_time = flags_time & 0x0fff;
      while (!r.empty()) {
        uint16_t afi = 0;
        uint8_t safi = 0, flags = 0;
        r.u16(afi), r.u8(safi), r.u8(flags);
        gr.families.push_back({read_afi_safi(afi, safi), (flags & 0x80) != 0});
      }
      caps.graceful_restart = std::move(gr);
      return std::nullopt;
    }
    case cap::kAddPath: {  // RFC 7911 §4
      if (value.empty() || value.size() % 4 != 0) return malformed("add-path");
      AddPathCapability ap;
      while (!r.empty()) {
        uint16_t afi = 0;
        uint8_t safi = 0, sr = 0;
        r.u16(afi), r.u8(safi), r.u8(sr);
        ap.families.push_back({read_afi_safi(afi, safi), sr});
      }
      caps.add_path = std::move(ap);
      return std::nullopt;
    }
    case cap::kFqdn: {  // hostname capability: len, name, len, domain
      uint8_t hlen = 0, dlen = 0;
      ByteSpan host, domain;
      if (!r.u8(hlen) || !r.bytes(hlen, host) || !r.u8(dlen) || !r.bytes(dlen, domain)) return malformed("FQDN");
      caps.fqdn = FqdnCapability{std::string(host.begin(), host.end()), std::string(domain.begin(), domain.end())};
      return std::nullopt;
    }
    default: caps.unknown.push_back({code, Bytes(value.begin(), value.end())}); return std::nullopt;
  }
}

std::optional<WireError> decode_capabilities(ByteSpan param, Capabilities& caps) {
  ByteReader r(param);
  while (!r.empty()) {
    uint8_t code = 0, length = 0;
    ByteSpan value;
    if (!r.u8(code) || !r.u8(length) || !r.bytes(length, value)) {
      return open_error(open_subcode::kUnspecific, "capability overruns its optional parameter");
    }
    if (auto err = decode_capability(code, value, caps)) return err;
  }
  return std::nullopt;
}

}  // namespace

Result<Open, WireError> decode_open(ByteSpan body) {
  ByteReader r(body);
  Open open;
  uint8_t opt_len = 0;
  if (!r.u8(open.version) || !r.u16(open.my_as) || !r.u16(open.hold_time) || !r.u32(open.bgp_identifier) ||
      !r.u8(opt_len)) {
    return unexpected(reset_error(error_code::kMessageHeader, header_subcode::kBadMessageLength,
                                  {0, static_cast<uint8_t>(body.size() + kHeaderSize)}, "OPEN too short"));
  }
  if (open.version != 4) {
    // RFC 4271 §6.2: data is the largest version we support.
    return unexpected(
        open_error(open_subcode::kUnsupportedVersion, "unsupported version " + std::to_string(open.version), {0, 4}));
  }
  if (open.hold_time == 1 || open.hold_time == 2) {
    return unexpected(open_error(open_subcode::kUnacceptableHoldTime,
                                 "hold time " + std::to_string(open.hold_time) + " (must be 0 or >= 3)"));
  }
  if (open.bgp_identifier == 0) {
    return unexpected(open_error(open_subcode::kBadBgpIdentifier, "BGP identifier 0"));
  }

  // RFC 9072 §2: a non-extended parameter type of 255 announces 2-octet lengths.
  size_t params_len = opt_len;
  size_t param_len_width = 1;
  if (opt_len != 0 && r.remaining() >= 1 && r.rest()[0] == kOptParamExtendedLength) {
    uint8_t marker = 0;
    uint16_t ext_len = 0;
    if (!r.u8(marker) || !r.u16(ext_len)) {
      return unexpected(open_error(open_subcode::kUnspecific, "truncated extended optional parameters length"));
    }
    params_len = ext_len;
    param_len_width = 2;
    open.extended_parameters = true;
  }
  ByteSpan params;
  if (!r.bytes(params_len, params) || !r.empty()) {
    return unexpected(open_error(open_subcode::kUnspecific, "optional parameters length " + std::to_string(params_len) +
                                                                " disagrees with the message length"));
  }
  ByteReader pr(params);
  while (!pr.empty()) {
    uint8_t type = 0;
    uint16_t len = 0;
    uint8_t len8 = 0;
    ByteSpan value;
    const bool ok = pr.u8(type) && (param_len_width == 2 ? pr.u16(len) : (pr.u8(len8) && ((len = len8), true))) &&
                    pr.bytes(len, value);
    if (!ok) return unexpected(open_error(open_subcode::kUnspecific, "optional parameter overruns its field"));
    if (type != kOptParamCapabilities) {
      return unexpected(open_error(open_subcode::kUnsupportedOptionalParameter,
                                   "unsupported optional parameter " + std::to_string(type)));
    }
    if (auto err = decode_capabilities(value, open.capabilities)) return unexpected(*err);
  }
  return open;
}

namespace {

void put_capability(Bytes& out, uint8_t code, const Bytes& value) {
  out.push_back(code);
  out.push_back(static_cast<uint8_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
}

// Each capability as a code/length/value TLV.
std::vector<Bytes> capability_tlvs(const Capabilities& caps) {
  std::vector<Bytes> tlvs;
  auto add = [&](uint8_t code, const Bytes& value) {
    Bytes tlv;
    put_capability(tlv, code, value);
    tlvs.push_back(std::move(tlv));
  };
  for (auto af : caps.multiprotocol) {
    Bytes v;
    ByteWriter w(v);
    w.u16(static_cast<uint16_t>(af.afi));
    w.u8(0);
    w.u8(static_cast<uint8_t>(af.safi));
    add(cap::kMultiprotocol, std::move(v));
  }
  if (caps.route_refresh) add(cap::kRouteRefresh, {});
  if (caps.route_refresh_cisco) add(cap::kRouteRefreshCisco, {});
  if (caps.enhanced_route_refresh) add(cap::kEnhancedRouteRefresh, {});
  if (caps.extended_message) add(cap::kExtendedMessage, {});
  if (caps.four_octet_as) {
    Bytes v;
    ByteWriter(v).u32(*caps.four_octet_as);
    add(cap::kFourOctetAs, std::move(v));
  }
  if (caps.add_path) {
    Bytes v;
    ByteWriter w(v);
    for (const auto& f : caps.add_path->families) {
      w.u16(static_cast<uint16_t>(f.af.afi));
      w.u8(static_cast<uint8_t>(f.af.safi));
      w.u8(f.send_receive);
    }
    add(cap::kAddPath, std::move(v));
  }
  if (caps.graceful_restart) {
    const auto& gr = *caps.graceful_restart;
    Bytes v;
    ByteWriter w(v);
    w.u16(static_cast<uint16_t>((gr.restarting ? 0x8000 : 0) | (gr.notification ? 0x4000 : 0) |
                                (gr.restart_time & 0x0fff)));
    for (const auto& f : gr.families) {
      w.u16(static_cast<uint16_t>(f.af.afi));
      w.u8(static_cast<uint8_t>(f.af.safi));
      w.u8(f.forwarding_preserved ? 0x80 : 0);
    }
    add(cap::kGracefulRestart, std::move(v));
  }
  if (caps.fqdn) {
    Bytes v;
    const auto& host = caps.fqdn->hostname;
    const auto& domain = caps.fqdn->domain;
    const size_t hlen = std::min<size_t>(host.size(), 255 - 2);
    const size_t dlen = std::min<size_t>(domain.size(), 255 - 2 - hlen);
    v.push_back(static_cast<uint8_t>(hlen));
    v.insert(v.end(), host.begin(), host.begin() + static_cast<long>(hlen));
    v.push_back(static_cast<uint8_t>(dlen));
    v.insert(v.end(), domain.begin(), domain.begin() + static_cast<long>(dlen));
    add(cap::kFqdn, std::move(v));
  }
  for (const auto& raw : caps.unknown) add(raw.code, raw.value);
  return tlvs;
}

}  // namespace

Bytes encode_open(const Open& open) {
  const std::vector<Bytes> tlvs = capability_tlvs(open.capabilities);
  size_t caps_total = 0;
  for (const auto& t : tlvs) caps_total += t.size();

  Bytes out;
  MessageBuilder b(out, MessageType::Open);
  b.w.u8(open.version);
  b.w.u16(open.my_as);
  b.w.u16(open.hold_time);
  b.w.u32(open.bgp_identifier);

  // Classic format: parameters of <= 255 bytes each, 255 bytes in all. RFC 9072 beyond that.
  std::vector<Bytes> params;
  Bytes current;
  for (const auto& t : tlvs) {
    if (current.size() + t.size() > 255) params.push_back(std::move(current)), current.clear();
    current.insert(current.end(), t.begin(), t.end());
  }
  if (!current.empty()) params.push_back(std::move(current));
  size_t classic_len = 0;
  for (const auto& p : params) classic_len += 2 + p.size();

  if (!open.extended_parameters && classic_len <= 255) {
    b.w.u8(static_cast<uint8_t>(classic_len));
    for (const auto& p : params) {
      b.w.u8(kOptParamCapabilities);
      b.w.u8(static_cast<uint8_t>(p.size()));
      b.w.bytes(p);
    }
  } else {
    // RFC 9072 §2: opt len 255, type 255, 2-octet total, then type + 2-octet length each.
    b.w.u8(255);
    b.w.u8(kOptParamExtendedLength);
    b.w.u16(static_cast<uint16_t>(3 + caps_total));
    b.w.u8(kOptParamCapabilities);
    b.w.u16(static_cast<uint16_t>(caps_total));
    for (const auto& t : tlvs) b.w.bytes(t);
  }
  b.finish();
  return out;
}

}  // namespace ridgeline::bgp
