#pragma once
// bfdd's core: the sessions (from the config's `bfd` block and from clients such as bgpd), their
// sockets and timers, on one io_context thread of their own so that nothing else delays a packet.
// Single-hop (RFC 5881): UDP 3784, TTL 255 out, TTL 255 required in; multihop (RFC 5883): UDP
// 4784, TTL at least minimum-ttl in. Source ports are from 49152-65535, one per session.
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>

#include "bfdd/session.h"
#include "common/asio.h"
#include "common/config/model.h"
#include "common/net.h"

namespace ridgeline::bfd {

struct SessionKey {
  IpAddress peer;
  std::optional<IpAddress> local;
  std::string interface;
  bool multihop = false;
  auto operator<=>(const SessionKey&) const = default;
  bool operator==(const SessionKey&) const = default;
  std::string to_string() const;
};

// What a session looks like from outside (the API, the CLI).
struct SessionView {
  SessionKey key;
  State state, remote_state;
  Diag local_diag, remote_diag;
  uint32_t local_discriminator, remote_discriminator;
  SessionConfig config;
  uint32_t remote_tx_us, remote_rx_us;
  uint8_t remote_mult;
  Micros detection_time, transmit_interval;
  Clock::time_point since;
  SessionCounters counters;
  std::string profile;
  std::vector<std::string> owners;
  bool remote_cpi = false;
};

struct SessionEvent {
  SessionView session;
  std::optional<State> previous;  // empty: the first snapshot
  bool remote_admin_down = false;
};

class BfdServer {
 public:
  static constexpr const char* kConfigOwner = "config";
  BfdServer(boost::asio::io_context& io, config::Config config);
  ~BfdServer();

  // Opens the receive sockets and starts the config's sessions.
  bool start(std::string& error);
  // Sends AdminDown on every session (so that peers do not see a failure), then closes.
  void stop();
  // A reload: configured peers that are new start, those gone go (AdminDown first, unless a
  // client holds them too), and every session whose timers changed (its own, or its profile's)
  // takes the new ones through a Poll sequence (RFC 5880 §6.8.3). Sessions that did not change are
  // left alone. Returns a one-line summary.
  std::string reload(const config::Config& next);

  // All on the io thread. A session lives while any owner holds it.
  std::optional<SessionView> add(const std::string& owner, const SessionKey& key, const std::string& profile,
                                 std::string& error);
  void remove(const std::string& owner, const SessionKey& key);
  void remove_owner(const std::string& owner);
  std::vector<SessionView> sessions() const;
  const std::array<uint64_t, static_cast<size_t>(Discard::Count)>& discarded() const { return discarded_; }

  using Watcher = std::function<void(const SessionEvent&)>;
  int watch(Watcher watcher);  // called for each change from now on
  void unwatch(int id);

 private:
  struct Entry;
  struct Receiver;
  SessionConfig resolve(const std::string& profile, const config::BfdTimers* own, uint8_t& minimum_ttl) const;
  bool add_configured(const config::BfdPeer& peer, std::string& error);
  bool open_receiver(bool v6, bool multihop, std::string& error);
  void read(Receiver& r);
  void on_packet(const uint8_t* data, size_t size, const IpAddress& from, int ttl, bool multihop);
  void run(Entry& e, Actions& actions);
  void arm(Entry& e);
  bool open_sender(Entry& e, std::string& error);
  uint32_t new_discriminator();
  SessionView view(const Entry& e) const;

  boost::asio::io_context& io_;
  config::Config config_;
  std::map<SessionKey, std::unique_ptr<Entry>> sessions_;
  std::unordered_map<uint32_t, Entry*> by_discriminator_;
  std::vector<std::unique_ptr<Receiver>> receivers_;
  std::array<uint64_t, static_cast<size_t>(Discard::Count)> discarded_{};
  std::map<int, Watcher> watchers_;
  int next_watcher_ = 1;
  std::mt19937 random_;
};

}  // namespace ridgeline::bfd
