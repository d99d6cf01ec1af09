#pragma once
// bgpd's side of bfdd: asks for a session per neighbor with `bfd` (over RUN_DIR/bfdd.sock) and
// follows their states on a stream. Two threads of its own, so the protocol thread never waits
// on bfdd: one sends the requests, one reads the stream. When bfdd goes away the client keeps
// retrying and registers everything again once it is back; losing bfdd is not a BFD Down.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/asio.h"
#include "common/net.h"

namespace ridgeline::bgp {

struct BfdRequest {
  IpAddress peer;
  std::optional<IpAddress> local;  // required for multihop
  bool multihop = false;
  std::string profile;
  auto operator<=>(const BfdRequest&) const = default;
  bool operator==(const BfdRequest&) const = default;
};

struct BfdChange {
  IpAddress peer;
  bool multihop = false;
  std::string state, previous;  // "Up", "Down", ...; previous is empty in a first snapshot
  std::string diag;
  bool remote_admin_down = false;  // RFC 5882 §3.2: not a failure
  bool remote_cpi = false;         // the peer's C bit
};

class BfdClient {
 public:
  // `on_change` runs on the io_context thread.
  BfdClient(boost::asio::io_context& io, std::string run_dir, std::function<void(const BfdChange&)> on_change);
  ~BfdClient();
  void start();
  void stop();
  // Any thread. Wanted sessions are (re)registered whenever bfdd is (back) up.
  void want(const BfdRequest& r);
  void unwant(const BfdRequest& r);
  bool connected() const { return connected_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> connected_{false};
};

}  // namespace ridgeline::bgp
