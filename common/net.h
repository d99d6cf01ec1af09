#pragma once
// IP addresses and prefixes, IPv4 and IPv6, in network byte order.
#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ridgeline {

enum class Family : uint8_t { V4 = 4, V6 = 6 };

inline constexpr uint8_t max_prefix_length(Family f) {
  return f == Family::V4 ? 32 : 128;
}
inline constexpr size_t address_bytes(Family f) {
  return f == Family::V4 ? 4 : 16;
}

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(uint32_t host_order);
  static IpAddress from_bytes(Family family, std::span<const uint8_t> bytes) {  // bytes.size() == width
    IpAddress a;
    a.family_ = family;
    std::memcpy(a.bytes_.data(), bytes.data(),
                bytes.size() < address_bytes(family) ? bytes.size() : address_bytes(family));
    return a;
  }
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::V4; }
  uint32_t v4_host_order() const;
  std::span<const uint8_t> bytes() const { return {bytes_.data(), address_bytes(family_)}; }
  const std::array<uint8_t, 16>& raw() const { return bytes_; }
  std::string to_string() const;

  bool is_unspecified() const;
  bool is_loopback() const;
  bool is_multicast() const;
  bool is_link_local() const;  // fe80::/10 or 169.254/16

  // Family, then the bytes in order; as 8-byte words, not memcmp calls (hot in every table).
  std::strong_ordering operator<=>(const IpAddress& o) const {
    if (family_ != o.family_) return family_ <=> o.family_;
    uint64_t a[2], b[2];
    std::memcpy(a, bytes_.data(), 16);
    std::memcpy(b, o.bytes_.data(), 16);
    if (a[0] != b[0]) return __builtin_bswap64(a[0]) <=> __builtin_bswap64(b[0]);
    return __builtin_bswap64(a[1]) <=> __builtin_bswap64(b[1]);
  }
  bool operator==(const IpAddress& o) const {
    uint64_t a[2], b[2];
    std::memcpy(a, bytes_.data(), 16);
    std::memcpy(b, o.bytes_.data(), 16);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0 && family_ == o.family_;
  }

 private:
  Family family_ = Family::V4;
  std::array<uint8_t, 16> bytes_{};
};

class Prefix {
 public:
  Prefix() = default;
  // Host bits beyond `length` are cleared, so equal networks compare equal.
  Prefix(IpAddress address, uint8_t length) : address_(address), length_(length) {
    if (length_ != (address_.is_v4() ? 32 : 128)) clear_host_bits();  // a host route (most) has none
  }
  static std::optional<Prefix> parse(std::string_view text);  // "10.0.0.0/8", "2001:db8::/32"

  Family family() const { return address_.family(); }
  const IpAddress& address() const { return address_; }
  uint8_t length() const { return length_; }
  // A /32 or /128: one address (a MetalLB service IP).
  bool is_host() const { return length_ == (address_.is_v4() ? 32 : 128); }
  bool contains(const Prefix& other) const;
  bool contains(const IpAddress& address) const;
  std::string to_string() const;

  auto operator<=>(const Prefix&) const = default;
  bool operator==(const Prefix& o) const { return address_ == o.address_ && length_ == o.length_; }

 private:
  void clear_host_bits();  // also clamps the length to the family's
  IpAddress address_;
  uint8_t length_ = 0;
};

}  // namespace ridgeline

template <>
struct std::hash<ridgeline::IpAddress> {
  size_t operator()(const ridgeline::IpAddress& a) const noexcept {
    uint64_t hi = 0, lo = 0;
    std::memcpy(&hi, a.raw().data(), 8);
    std::memcpy(&lo, a.raw().data() + 8, 8);
    return std::hash<uint64_t>{}(hi * 0x9e3779b97f4a7c15ull ^ lo ^ static_cast<uint64_t>(a.family()));
  }
};

template <>
struct std::hash<ridgeline::Prefix> {
  size_t operator()(const ridgeline::Prefix& p) const noexcept {
    return std::hash<ridgeline::IpAddress>{}(p.address()) * 31 + p.length();
  }
};
