#pragma once
// One BGP neighbor: its FSM, its TCP connection(s), its Adj-RIB-In and Adj-RIB-Out.
#include <deque>
#include <memory>
#include <unordered_map>

#include "bgpd/server/speaker.h"
#include "common/asio.h"

namespace ridgeline::bgp {

// A TCP connection. Handlers hold it by shared_ptr; `owner` is cleared when the peer lets go,
// so a late completion never touches a peer that is gone.
struct Connection : std::enable_shared_from_this<Connection> {
  explicit Connection(boost::asio::io_context& io) : socket(io) {}
  boost::asio::ip::tcp::socket socket;
  Bytes buffer;
  size_t used = 0;
  std::deque<std::shared_ptr<const Bytes>> queue;  // shared: peers of one update group send the same bytes
  size_t queued_bytes = 0;
  bool writing = false;
  std::chrono::steady_clock::time_point last_progress;  // a write completed, or writing started
  // A NOTIFICATION waits behind a write in flight: the connection closes once it is out, or after
  // 2 s (a peer that reads nothing must not keep it, nor block the daemon).
  bool closing = false;
  std::unique_ptr<boost::asio::steady_timer> linger;
  bool outgoing = false;
  bool open_sent = false;
  Peer* owner = nullptr;
};

class Peer {
 public:
  // After FIB backpressure: what was read is decided, then the socket is read again.
  void resume_reading(const std::shared_ptr<Connection>& conn);
  Peer(Speaker& speaker, PeerSettings settings, rib::PeerId id);
  ~Peer();

  void start();
  void stop(bool keep_routes = false);  // ManualStop
  void clear();                         // AdminReset
  // An incoming connection from this peer's address. False if refused.
  bool accept(boost::asio::ip::tcp::socket socket);

  const PeerSettings& settings() const { return settings_; }
  // The link-local half of the peer's last 32-byte IPv6 next hop (RFC 2545 §3): one per peer on a
  // shared link, so it is kept here rather than on each path.
  const std::optional<IpAddress>& link_local_next_hop() const { return link_local_next_hop_; }
  rib::PeerId id() const { return id_; }
  State state() const { return fsm_.state(); }
  bool established() const { return fsm_.state() == State::Established; }
  bool finished() const;  // a dynamic peer that is down for good
  PeerView view() const;
  std::vector<Speaker::ReceivedRoute> received_routes() const;
  std::vector<std::pair<Prefix, rib::AttrRef>> advertised_routes() const;

  // BFD went down from Up for this peer: Cease/10 (RFC 9384) and close. The peer's C bit says
  // whether its BFD shares fate with its control plane (RFC 5882 §4.3).
  void bfd_down(bool remote_cpi, const std::string& diag);
  // BFD is Up: a neighbor held back by `bfd strict` may connect now.
  void bfd_up();
  std::optional<IpAddress> local_address() const {
    return established() ? std::optional<IpAddress>(local_address_) : std::nullopt;
  }

  // Soft reconfiguration (`clear bgp X soft in|out`, RFC 2918). In: inbound policy applied again to
  // what the peer sent, from the soft-reconfiguration copy or else by asking for it again with
  // ROUTE-REFRESH; false if a family has neither. Out: every route re-evaluated for this peer and
  // the differences sent.
  bool soft_in();
  void soft_out();
  // A reload: the peer's new settings. `policy_changed`: a prefix-list, community-list or
  // route-map it may use changed. Session changes reset it (Cease/6, Other Configuration
  // Change); policy changes refresh it softly.
  SettingsChange reconfigure(PeerSettings settings, bool policy_changed);

  // Advertisement: re-evaluate these prefixes for this peer and send what changed.
  void advertise(const std::vector<Prefix>& prefixes);
  void send_table();  // the whole Loc-RIB, then End-of-RIB

 private:
  // What the peer sent, before policy: kept only with soft-reconfiguration inbound. Without it
  // the Loc-RIB's paths of this peer are its post-policy Adj-RIB-In (RFC 4271 §3.2 allows any
  // implementation that behaves the same), and a policy change asks for ROUTE-REFRESH instead.
  struct AdjInEntry {
    rib::AttrRef attrs;
    IpAddress next_hop;
    bool accepted = false;
  };
  using AdjIn = std::unordered_map<Prefix, AdjInEntry>;
  static Family family(config::Afi afi) { return afi == config::Afi::Ipv4Unicast ? Family::V4 : Family::V6; }
  size_t accepted(config::Afi afi) const { return speaker_.loc_rib().path_count(id_, family(afi)); }

  void run(const Actions& actions);
  void arm_timer();
  void connect();
  void attach(std::shared_ptr<Connection> conn);
  void remember_local_address();
  void close_connection(std::shared_ptr<Connection>& conn);
  void read(std::shared_ptr<Connection> conn);
  void on_data(const std::shared_ptr<Connection>& conn);
  bool on_message(const std::shared_ptr<Connection>& conn, const Frame& frame);
  void on_pending_open(const Open& open);
  void on_open(const Open& open);
  void on_update(const Update& update);
  void on_established();
  void on_down();
  void send(std::shared_ptr<const Bytes> message, const std::shared_ptr<Connection>& conn);
  void send(Bytes message, const std::shared_ptr<Connection>& conn) {
    send(std::make_shared<const Bytes>(std::move(message)), conn);
  }
  void send(Bytes message) { send(std::move(message), conn_); }
  // Never blocks: written at once if nothing is in flight, else queued right after what is.
  void send_notification(const std::shared_ptr<Connection>& conn, Bytes message);
  void event(Event e, const EventData& data = {});
  Open local_open() const;
  void apply_limits();
  bool reading_parked_ = false;
  bool af_negotiated(config::Afi afi) const;
  // What every NLRI of one UPDATE shares: its attributes, whether they pass the path checks
  // (loop, maxas-limit) and their interned copy, each worked out once per UPDATE.
  struct Received {
    Received(const PathAttributes& a, const IpAddress& nh) : attrs(a), next_hop(nh) {}
    const PathAttributes& attrs;
    IpAddress next_hop;
    bool acceptable(const Peer& peer);
    const rib::AttrRef& interned(Peer& peer);

   private:
    std::optional<bool> acceptable_;
    rib::AttrRef interned_;
  };
  void learn(config::Afi afi, const Nlri& nlri, Received& received);
  void unlearn(config::Afi afi, const Nlri& nlri);
  bool check_maximum_prefix(config::Afi afi);
  void purge_routes();
  std::optional<PathAttributes> export_attributes(const Prefix& prefix, const rib::Path& best) const;
  void flush_advertisements(config::Afi afi, std::vector<std::pair<Prefix, rib::AttrRef>>& announce,
                            std::vector<Prefix>& withdraw);
  void set_socket_options(boost::asio::ip::tcp::socket& socket);

  Speaker& speaker_;
  PeerSettings settings_;
  rib::PeerId id_;
  Fsm fsm_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer restart_timer_;    // maximum-prefix restart and GR restart time
  boost::asio::steady_timer send_hold_timer_;  // RFC 9687, checked once a second while Established
  // A timer's handler already queued when the peer goes runs anyway (cancel() is too late for
  // it): each handler holds this token and does nothing once the peer is gone.
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
  std::weak_ptr<char> alive() const { return alive_; }
  void check_send_hold();
  std::shared_ptr<Connection> conn_;
  std::shared_ptr<Connection> pending_;  // an incoming connection during OpenSent (RFC 4271 §6.8)
  std::optional<Open> remote_open_;
  DecodeContext dctx_;
  EncodeContext ectx_;
  std::vector<config::Afi> families_;  // negotiated and configured
  std::set<config::Afi> end_of_rib_;   // families whose End-of-RIB came in this session
  IpAddress local_address_;            // our end of the current connection, read once when it attaches
  std::optional<IpAddress> link_local_next_hop_;
  bool peer_restart_capable_ = false;  // RFC 4724: the peer can keep our routes
  uint16_t peer_restart_time_ = 0;
  bool stale_ = false;         // holding stale routes after a GR-capable peer went away
  bool bfd_graceful_ = false;  // this BFD Down keeps the routes (check-control-plane-failure)
  bool bfd_blocks() const;     // `bfd strict` and BFD is not Up
  std::map<config::Afi, AdjIn> adj_in_;
  std::map<config::Afi, std::unordered_map<Prefix, rib::AttrRef>> adj_out_;
  std::map<config::Afi, bool> max_prefix_warned_;
  PeerCounters counters_;
  std::chrono::system_clock::time_point state_since_ = std::chrono::system_clock::now();
  bool max_prefix_down_ = false;
};

config::Afi afi_of(const Prefix& prefix);

}  // namespace ridgeline::bgp
