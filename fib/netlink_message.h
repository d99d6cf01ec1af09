#pragma once
// A netlink request written in place at the end of a byte buffer (RFC 3549 §2.2 framing, the
// attribute layout of netlink(7)): the header, the family's fixed part, then attributes, each
// padded to 4 bytes. No allocation per message: a batch of a million route requests is one
// buffer refilled, where libnl allocates and frees a message for each.
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ridgeline::fib {

class NetlinkMessage {
 public:
  // Starts a message of `type` with NLM_F_REQUEST and `flags` at the end of `out`.
  NetlinkMessage(std::vector<uint8_t>& out, uint16_t type, uint16_t flags, uint32_t seq)
      : out_(out), start_(out.size()) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST);
    h.nlmsg_seq = seq;
    append(&h, sizeof h);
  }
  NetlinkMessage(const NetlinkMessage&) = delete;
  NetlinkMessage& operator=(const NetlinkMessage&) = delete;
  // The length goes into the header once the last attribute is in.
  ~NetlinkMessage() { set_u32(start_ + offsetof(nlmsghdr, nlmsg_len), static_cast<uint32_t>(out_.size() - start_)); }

  // The family's fixed header (rtmsg, nhmsg, ...).
  template <typename T>
  void fixed(const T& value) {
    append(&value, sizeof value);
  }
  void fixed(const void* data, size_t size) { append(data, size); }
  void put(uint16_t type, const void* data, size_t size) {
    const nlattr a{static_cast<uint16_t>(NLA_HDRLEN + size), type};
    append(&a, sizeof a);
    append(data, size);
  }
  void put_u16(uint16_t type, uint16_t value) { put(type, &value, sizeof value); }
  void put_u32(uint16_t type, uint32_t value) { put(type, &value, sizeof value); }
  // A nested attribute (flagged NLA_F_NESTED, which strict kernel policies such as
  // NHA_RES_GROUP's require): put its members, then end_nest() with what begin_nest() returned.
  size_t begin_nest(uint16_t type) {
    const size_t at = out_.size();
    put(static_cast<uint16_t>(type | NLA_F_NESTED), nullptr, 0);
    return at;
  }
  void end_nest(size_t at) {
    const auto len = static_cast<uint16_t>(out_.size() - at);
    std::memcpy(out_.data() + at + offsetof(nlattr, nla_len), &len, sizeof len);
  }
  // `size` zeroed bytes (padded) for a caller to fill later through at(): rtnexthop and such.
  size_t reserve(size_t size) {
    const size_t at = out_.size();
    out_.resize(at + NLMSG_ALIGN(size), 0);
    return at;
  }
  uint8_t* at(size_t offset) { return out_.data() + offset; }
  size_t end() const { return out_.size(); }

 private:
  void append(const void* data, size_t size) {
    const size_t at = out_.size();
    out_.resize(at + NLMSG_ALIGN(size), 0);
    if (size) std::memcpy(out_.data() + at, data, size);
  }
  void set_u32(size_t offset, uint32_t value) { std::memcpy(out_.data() + offset, &value, sizeof value); }

  std::vector<uint8_t>& out_;
  size_t start_;
};

}  // namespace ridgeline::fib
