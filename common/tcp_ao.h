#pragma once
// TCP-AO (RFC 5925) keys for the Linux kernel's implementation (6.7+, CONFIG_TCP_AO): the
// setsockopt(TCP_AO_ADD_KEY) argument built as bytes, so that its layout is checked by a unit test
// against the kernel's UAPI (struct tcp_ao_add, include/uapi/linux/tcp.h), which Debian 12's
// headers (6.1) do not have yet.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "common/net.h"

namespace ridgeline::tcp_ao {

inline constexpr int kAddKey = 38;  // TCP_AO_ADD_KEY
inline constexpr size_t kMaxKeyLength = 80;
inline constexpr size_t kAddKeySize = 288;  // sizeof(struct tcp_ao_add), 8-aligned

// Offsets in struct tcp_ao_add.
inline constexpr size_t kAddrOffset = 0;   // struct __kernel_sockaddr_storage (128)
inline constexpr size_t kAlgOffset = 128;  // char alg_name[64]
inline constexpr size_t kIfindexOffset = 192;
inline constexpr size_t kFlagsOffset = 196;   // set_current:1, set_rnext:1, reserved:30 (left 0)
inline constexpr size_t kPrefixOffset = 202;  // after __u16 reserved2
inline constexpr size_t kSndidOffset = 203, kRcvidOffset = 204, kMaclenOffset = 205, kKeyflagsOffset = 206,
                        kKeylenOffset = 207, kKeyOffset = 208;

// RFC 5926 §3.1: HMAC-SHA-1-96 and AES-128-CMAC-96 (MACs of 12 bytes); the kernel's crypto names.
enum class Algorithm : uint8_t { HmacSha1, AesCmac128, HmacSha256 };
struct AlgorithmNames {
  Algorithm algorithm;
  std::string_view config, kernel;
};
inline constexpr AlgorithmNames kAlgorithms[] = {{Algorithm::HmacSha1, "hmac-sha1", "hmac(sha1)"},
                                                 {Algorithm::AesCmac128, "aes-128-cmac", "cmac(aes128)"},
                                                 {Algorithm::HmacSha256, "hmac-sha256", "hmac(sha256)"}};
inline std::string_view kernel_name(Algorithm a) {
  return kAlgorithms[static_cast<size_t>(a)].kernel;
}
inline std::string_view config_name(Algorithm a) {
  return kAlgorithms[static_cast<size_t>(a)].config;
}
inline std::optional<Algorithm> parse_algorithm(std::string_view s) {
  for (const auto& names : kAlgorithms) {
    if (s == names.config) return names.algorithm;
  }
  return std::nullopt;
}

// One Master Key Tuple (RFC 5925 §3.1): the peer's prefix, the key, its KeyIDs and algorithm.
struct Key {
  std::string secret;
  uint8_t send_id = 1;
  uint8_t recv_id = 1;
  Algorithm algorithm = Algorithm::HmacSha1;
  bool operator==(const Key&) const = default;
};

// The TCP_AO_ADD_KEY argument for `key` towards `peer` (a /32 or /128 for a neighbor, shorter
// for a listen range); `v6_socket` writes an IPv4 peer as v4-mapped, as an AF_INET6 socket needs.
// The first key of a socket becomes its current key; the kernel refuses set_current before a
// connection exists, so it is never asked for.
inline std::array<uint8_t, kAddKeySize> add_key(const Prefix& peer, const Key& key, bool v6_socket) {
  std::array<uint8_t, kAddKeySize> out{};
  const auto& raw = peer.address().raw();
  if (peer.family() == Family::V4 && !v6_socket) {
    const uint16_t family = 2;  // AF_INET, host order
    std::memcpy(&out[kAddrOffset], &family, 2);
    std::memcpy(&out[kAddrOffset + 4], raw.data(), 4);  // sin_addr after sin_port
  } else {
    const uint16_t family = 10;  // AF_INET6
    std::memcpy(&out[kAddrOffset], &family, 2);
    uint8_t* addr = &out[kAddrOffset + 8];  // sin6_addr after port and flowinfo
    if (peer.family() == Family::V4) {
      addr[10] = addr[11] = 0xff;
      std::memcpy(addr + 12, raw.data(), 4);
    } else {
      std::memcpy(addr, raw.data(), 16);
    }
  }
  const std::string_view alg = kernel_name(key.algorithm);
  std::memcpy(&out[kAlgOffset], alg.data(), alg.size());
  out[kPrefixOffset] = peer.length();  // v4-mapped keys take the IPv4 length, as for TCP-MD5
  out[kSndidOffset] = key.send_id;
  out[kRcvidOffset] = key.recv_id;
  out[kMaclenOffset] = 12;  // the 96-bit MACs of RFC 5926
  out[kKeylenOffset] = static_cast<uint8_t>(key.secret.size());
  std::memcpy(&out[kKeyOffset], key.secret.data(), std::min(key.secret.size(), kMaxKeyLength));
  return out;
}

// Puts the key on a socket (before connect, or on a listener). Returns 0 or the errno:
// ENOPROTOOPT when the kernel has no TCP-AO.
inline int install(int fd, const Prefix& peer, const Key& key, bool v6_socket) {
  const auto arg = add_key(peer, key, v6_socket);
  return ::setsockopt(fd, IPPROTO_TCP, kAddKey, arg.data(), static_cast<socklen_t>(arg.size())) == 0 ? 0 : errno;
}

inline std::string describe_error(int error) {
  if (error == ENOPROTOOPT) return "this kernel has no TCP-AO (Linux 6.7+ with CONFIG_TCP_AO)";
  return std::strerror(error);
}

}  // namespace ridgeline::tcp_ao
