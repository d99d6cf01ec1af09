#include "common/net.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace ridgeline {

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes_.data()) == 1) return a;
  a.family_ = Family::V6;
  if (inet_pton(AF_INET6, buf, a.bytes_.data()) == 1) return a;
  return std::nullopt;
}

uint32_t IpAddress::v4_host_order() const {
  return static_cast<uint32_t>(bytes_[0]) << 24 | static_cast<uint32_t>(bytes_[1]) << 16 |
         static_cast<uint32_t>(bytes_[2]) << 8 | bytes_[3];
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

bool IpAddress::is_unspecified() const {
  auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[0] == 127;
  static constexpr std::array<uint8_t, 16> kLoopback6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == kLoopback6;
}

bool IpAddress::is_multicast() const {
  return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::is_link_local() const {
  return is_v4() ? (bytes_[0] == 169 && bytes_[1] == 254) : (bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80);
}

void Prefix::clear_host_bits() {
  // As two big-endian 64-bit words (an IPv4 address is the first 4 bytes; the rest are zero).
  length_ = std::min(length_, max_prefix_length(address_.family()));
  const unsigned keep = length_;
  uint64_t w[2];
  std::memcpy(w, address_.raw().data(), 16);
  auto mask = [](unsigned bits) { return bits >= 64 ? ~0ull : bits == 0 ? 0ull : ~0ull << (64 - bits); };
  w[0] &= __builtin_bswap64(mask(keep));
  w[1] &= __builtin_bswap64(mask(keep > 64 ? keep - 64 : 0));
  address_ = IpAddress::from_bytes(address_.family(), {reinterpret_cast<const uint8_t*>(w), 16});
}

std::optional<Prefix> Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  unsigned length = max_prefix_length(address->family());
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
    if (length > max_prefix_length(address->family())) return std::nullopt;
  }
  return Prefix(*address, static_cast<uint8_t>(length));
}

bool Prefix::contains(const IpAddress& address) const {
  return address.family() == family() && Prefix(address, length_).address_ == address_;
}

bool Prefix::contains(const Prefix& other) const {
  return other.family() == family() && other.length_ >= length_ && contains(other.address_);
}

std::string Prefix::to_string() const {
  return address_.to_string() + "/" + std::to_string(length_);
}

}  // namespace ridgeline
