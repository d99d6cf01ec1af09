#pragma once
// Once a daemon's sockets are open it keeps only CAP_NET_ADMIN (netlink routes, nexthops),
// CAP_NET_BIND_SERVICE (ports 179, 3784, 4784) and CAP_NET_RAW (TTL and GTSM): every other
// capability leaves the bounding, permitted, effective and inheritable sets, so nothing it runs
// can get them back. Run under systemd as user `ridgeline` it has only these three already.
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ridgeline {

inline constexpr uint64_t kNetworkCapabilities =
    (1ull << CAP_NET_ADMIN) | (1ull << CAP_NET_BIND_SERVICE) | (1ull << CAP_NET_RAW);

// Returns false (with `error`) if the kernel refused; the daemon then goes on with what it had.
inline bool keep_only_network_capabilities(std::string& error) {
  for (int cap = 0; cap <= 63; ++cap) {
    if (kNetworkCapabilities & (1ull << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      if (errno == EPERM) break;  // without CAP_SETPCAP the bounding set stays; the sets below still shrink
      error = std::string("PR_CAPBSET_DROP: ") + std::strerror(errno);
      return false;
    }
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) {
    error = std::string("capget: ") + std::strerror(errno);
    return false;
  }
  const auto low = static_cast<uint32_t>(kNetworkCapabilities),
             high = static_cast<uint32_t>(kNetworkCapabilities >> 32);
  data[0].effective &= low, data[0].permitted &= low, data[0].inheritable &= low;
  data[1].effective &= high, data[1].permitted &= high, data[1].inheritable &= high;
  if (syscall(SYS_capset, &header, data) != 0) {
    error = std::string("capset: ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace ridgeline
