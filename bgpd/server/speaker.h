#pragma once
// The BGP speaker: the peers, their TCP connections, the Loc-RIB and advertisement, on one
// Boost.Asio io_context thread. Everything here runs on that thread; other threads post to it.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "bgpd/policy/policy.h"
#include "bgpd/server/bfd_client.h"
#include "bgpd/session/fsm.h"
#include "bgpd/session/peer_settings.h"
#include "common/asio.h"
#include "common/config/model.h"
#include "common/log_limiter.h"
#include "rib/loc_rib.h"

namespace ridgeline::bgp {

// Where Loc-RIB forwarding changes go: the fib library, or a log with --no-fib.
class RouteSink {
 public:
  virtual ~RouteSink() = default;
  virtual void apply(std::vector<rib::RouteChange> changes) = 0;
  // Every peer the RIB waited for after a start has sent End-of-RIB, and what they sent has
  // been applied: routes a previous run left that nobody confirmed can go.
  virtual void rib_converged() {}
  // A next hop is dead (its BFD went down) or back (its session is up again): the FIB takes it
  // out of every ECMP group at once, before the RIB's own withdrawals.
  virtual void next_hop_down(const IpAddress& /*next_hop*/, bool /*down*/) {}
  // Some peer is sending its initial table (Established, no End-of-RIB yet for all its families),
  // or none is any more: the FIB may write a bulk load in one batch (`fib bulk-hold`).
  virtual void initial_tables(bool /*arriving*/) {}
  // Changes applied and not yet taken by the kernel writer: peers stop being read at
  // `fib pending-limit`.
  virtual uint64_t queued() const { return 0; }
};

// Logs every change; keeps nothing. Used with --no-fib.
class LoggingRouteSink : public RouteSink {
 public:
  void apply(std::vector<rib::RouteChange> changes) override;
};

struct SpeakerOptions {
  uint16_t port = 179;         // 0: do not listen
  std::string listen_address;  // empty: all addresses, both families
};

class Peer;
struct Connection;

struct PeerCounters {
  uint64_t messages_in = 0, messages_out = 0;
  uint64_t updates_in = 0, updates_out = 0;
  uint64_t notifications_in = 0, notifications_out = 0;
  uint64_t established_count = 0;
  uint64_t treat_as_withdraw = 0;
};

// What the API shows of one peer.
struct PeerView {
  std::string name;
  IpAddress address;
  std::optional<std::string> peer_group;
  bool dynamic = false;
  uint32_t local_as = 0;
  uint32_t remote_as = 0;  // as learned from OPEN, or configured
  State state = State::Idle;
  std::optional<uint32_t> remote_router_id;
  uint16_t hold_time = 0, keepalive = 0;
  std::chrono::system_clock::time_point state_since;
  PeerCounters counters;
  std::map<config::Afi, uint64_t> prefixes_received, prefixes_accepted, prefixes_advertised;
  std::optional<Notification> last_error;
  bool last_error_sent = false;
  std::vector<std::string> capabilities;  // negotiated, by name
  bool ebgp_policy_missing = false;       // RFC 8212 blocks this eBGP peer (no policy in or out)
  std::string description;
};

class Speaker {
 public:
  Speaker(boost::asio::io_context& io, config::Config config, SpeakerOptions options, std::unique_ptr<RouteSink> sink);
  ~Speaker();

  // Opens the listening sockets and starts every configured neighbor.
  bool start(std::string& error);
  // Stops every session with Cease/Administrative Shutdown (or silently, for a graceful-restart
  // stop that keeps the routes in the kernel), then closes the listeners.
  void stop();

  const config::Config& config() const { return config_; }
  const rib::LocRib& loc_rib() const { return rib_; }
  std::vector<PeerView> peers() const;
  // The peer's Adj-RIB-In (pre-policy when soft-reconfiguration inbound keeps it, else post).
  struct ReceivedRoute {
    Prefix prefix;
    rib::AttrRef attrs;
    IpAddress next_hop;
    bool accepted = false;  // false: denied by inbound policy (visible with soft-reconfiguration)
  };
  std::vector<ReceivedRoute> received_routes(const std::string& peer) const;
  std::vector<std::pair<Prefix, rib::AttrRef>> advertised_routes(const std::string& peer) const;
  const Peer* find_peer(const std::string& name) const;
  const Peer* peer_by_id(rib::PeerId id) const;

  // After a restart, the RIB has converged once each of these (configured neighbors, and the
  // gateways of routes the FIB adopted that could be peers) has sent End-of-RIB for all its
  // families (RFC 4724 §4.1's deferral, applied to the kernel). Call before start().
  void expect_end_of_rib_from(const std::set<IpAddress>& gateways);
  bool rib_converged() const { return converged_; }

  // BFD (optional): sessions for neighbors with `bfd`, and what their state changes do.
  void set_bfd(BfdClient* bfd) { bfd_ = bfd; }
  void on_bfd(const BfdChange& change);
  bool bfd_up(const IpAddress& peer) const;
  // The last BFD state bfdd reported for that address ("Up", "Down", "Init", "AdminDown"), or
  // empty when no BFD session is known.
  std::string bfd_state(const IpAddress& peer) const;
  // The clock the Loc-RIB's change stamps (RibEntry::changed_at) are read on, in seconds.
  static uint32_t rib_clock_s();
  void want_bfd(const Peer& peer, bool wanted);

  // Watchers (the API's watch streams), called on this thread: a neighbor changed state, or a
  // prefix's best path or next hops changed (a null entry: it left the Loc-RIB).
  struct Watcher {
    std::function<void(const PeerView& peer, State previous)> neighbor;
    std::function<void(const Prefix& prefix, const rib::RibEntry* entry)> route;
  };
  int watch(Watcher watcher);
  void unwatch(int id);
  void peer_state_changed(const Peer& peer, State previous);

  // Paths originated through the API (path id 1 of the local peer; `network` lines are 0).
  void add_api_path(const Prefix& prefix, PathAttributes attrs);
  bool delete_api_path(const Prefix& prefix);

  // Hard reset of one peer (or all with "*"): Cease/Administrative Reset, then reconnect.
  bool clear_peer(const std::string& name);
  // Soft reset (RFC 2918): inbound policy applied again, or the Adj-RIB-Out re-evaluated. False if
  // there is no such peer; `incomplete` names peers whose soft in was not possible.
  bool soft_clear_peer(const std::string& name, bool in, bool out, std::vector<std::string>& incomplete);

  // A reload: applies only what differs from the running config. Sessions whose settings did not
  // change stay up; policy changes refresh the sessions softly; neighbors that are new start, those
  // gone stop (Cease, Administrative Shutdown). Returns false (and changes nothing) for what needs a restart.
  struct ReloadSummary {
    size_t added = 0, removed = 0, reset = 0, refreshed = 0;
    std::string to_string() const;
  };
  bool reload(config::Config next, ReloadSummary& summary, std::string& error);

  // Internal, for Peer.
  boost::asio::io_context& io() { return io_; }
  rib::LocRib& rib() { return rib_; }
  rib::AttributeStore& attributes() { return store_; }
  const policy::Policy& policy() const { return policy_; }
  uint32_t router_id() const { return router_id_; }
  void routes_changed();  // after input: decide, program the FIB, advertise
  // FIB backpressure (`fib pending-limit`): true while the kernel writer is that far behind; a
  // peer then parks its connection here instead of reading on, and is read again below half.
  bool fib_backlogged() const;
  void park_reading(std::shared_ptr<Connection> conn);
  uint64_t reads_parked() const { return reads_parked_; }
  void peer_finished(Peer* peer);     // a dynamic peer is down for good: remove it
  void peer_established(Peer* peer);  // send it the current table
  void peer_end_of_rib(Peer* peer);   // End-of-RIB for every family of its session
  void table_sent(const Peer* peer);  // its initial table is complete (End-of-RIB), or it went
  RouteSink& sink() { return *sink_; }
  std::vector<Peer*> established_peers();
  // UPDATEs for one attribute set (nullptr: withdrawals) and prefix list, encoded once per
  // batch for every peer with the same encoding context: peers with the same outbound policy
  // share one encoded stream.
  using SharedMessages = std::vector<std::shared_ptr<const Bytes>>;
  const SharedMessages& encoded_update(AfiSafi af, const EncodeContext& ctx, const rib::AttrRef& attrs,
                                       const std::vector<Prefix>& prefixes);
  uint64_t update_encodings() const { return update_encodings_; }
  uint64_t shared_update_sends() const { return shared_update_sends_; }

 private:
  void accept_loop(boost::asio::ip::tcp::acceptor& acceptor);
  void on_accept(boost::asio::ip::tcp::socket socket);
  Peer* add_peer(PeerSettings settings);
  void originate_networks();
  void check_converged();
  void set_listener_keys();
  void retire_peer(const std::string& name);

  boost::asio::io_context& io_;
  config::Config config_;
  SpeakerOptions options_;
  std::unique_ptr<RouteSink> sink_;
  policy::Policy policy_;
  uint32_t router_id_ = 0;
  rib::AttributeStore store_;
  rib::LocRib rib_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::vector<bool> acceptor_is_v6_;
  std::map<std::string, std::unique_ptr<Peer>> peers_;  // by name (address text)
  std::unordered_map<rib::PeerId, Peer*> peers_by_id_;
  rib::PeerId next_peer_id_ = 1;
  // Peers a reload removed: kept (stopped) until their Cease has gone out.
  std::vector<std::unique_ptr<Peer>> retired_;
  std::unique_ptr<boost::asio::steady_timer> retire_timer_;
  size_t dynamic_peers_ = 0;
  bool stopping_ = false;
  bool drain_scheduled_ = false;
  std::vector<std::shared_ptr<Connection>> parked_;
  std::unique_ptr<boost::asio::steady_timer> park_timer_;
  void arm_park_timer();
  uint64_t fib_pending_limit() const;     // `fib pending-limit`, or its default
  std::set<const Peer*> sending_tables_;  // Established, End-of-RIB not yet complete
  uint64_t reads_parked_ = 0;
  uint64_t fib_changes_ = 0;         // route changes handed to the sink since start
  std::set<IpAddress> waiting_for_;  // End-of-RIB still expected from these, after a start
  BfdClient* bfd_ = nullptr;
  std::map<IpAddress, std::string> bfd_states_;  // last state bfdd reported, by peer address
  bool converged_ = false;
  bool converged_pending_ = false;  // tell the sink after the next drain
  bool fib_frozen_ = false;         // a graceful-restart stop: the kernel keeps what it has
  struct UpdateKey {
    AfiSafi af;
    bool four_octet_as;
    bool extended_message;
    bool add_path;
    const PathAttributes* attrs;
    std::vector<Prefix> prefixes;
    auto operator<=>(const UpdateKey&) const = default;
  };
  std::map<UpdateKey, std::pair<rib::AttrRef, SharedMessages>> update_cache_;  // one batch only
  LogLimiter<IpAddress> refusals_;  // a peer reconnecting in a loop gets a log line per 10 s
  std::map<int, Watcher> watchers_;
  int next_watcher_ = 1;
  uint64_t update_encodings_ = 0;
  uint64_t shared_update_sends_ = 0;
};

}  // namespace ridgeline::bgp
