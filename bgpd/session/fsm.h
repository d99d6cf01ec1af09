#pragma once
// The BGP finite state machine of RFC 4271 §8, one per TCP connection, with explicit states and
// events. Pure: it is fed events and the current time, and answers with actions for the I/O
// layer; timers are deadlines that the I/O layer polls (expire()) at next_deadline().
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bgpd/wire/messages.h"

namespace ridgeline::bgp {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Seconds = std::chrono::seconds;

enum class State : uint8_t { Idle, Connect, Active, OpenSent, OpenConfirm, Established };
std::string_view to_string(State state);

enum class Event : uint8_t {
  ManualStart,               // Event 1: ManualStart
  ManualStop,                // Event 2: ManualStop
  AutomaticStart,            // Event 3: AutomaticStart (also after IdleHold, Event 13)
  ManualStartPassive,        // Event 4: ManualStart_with_PassiveTcpEstablishment
  ConnectRetryTimerExpires,  // Event 9: ConnectRetryTimer_Expires
  HoldTimerExpires,          // Event 10: HoldTimer_Expires
  KeepaliveTimerExpires,     // Event 11: KeepaliveTimer_Expires
  IdleHoldTimerExpires,      // Event 13: IdleHoldTimer_Expires
  TcpConnectionConfirmed,    // Events 16/17: Tcp_CR_Acked / TcpConnectionConfirmed
  TcpConnectionFails,        // Event 18: TcpConnectionFails
  BgpOpen,                   // Event 19: BGPOpen
  BgpHeaderErr,              // Event 21: BGPHeaderErr
  BgpOpenMsgErr,             // Event 22: BGPOpenMsgErr
  OpenCollisionDump,         // Event 23: OpenCollisionDump
  NotifMsgVerErr,            // Event 24: NotifMsgVerErr
  NotifMsg,                  // Event 25: NotifMsg
  KeepAliveMsg,              // Event 26: KeepAliveMsg
  UpdateMsg,                 // Event 27: UpdateMsg
  UpdateMsgErr,              // Event 28: UpdateMsgErr
  RouteRefreshMsg,           // RFC 2918: a ROUTE-REFRESH arrived
  MaxPrefixExceeded,         // RFC 4486 Cease/1, raised by the RIB side
  BfdDown,                   // RFC 9384 Cease/10, raised by the BFD client
  AdminReset,                // `clear bgp`: Cease/4, then start again
  ConfigChanged,             // a reload changed the session's settings: Cease/6, then start again
  SendHoldTimerExpires,      // RFC 9687: the peer has not taken our data for the send hold time
};
std::string_view to_string(Event event);

// What the session settings are for one neighbor (resolved from config and peer-group).
struct FsmConfig {
  uint16_t hold_time = 180;      // proposed in our OPEN; 0 = no keepalives
  uint16_t keepalive_time = 60;  // upper bound on the negotiated keepalive interval
  uint16_t connect_retry_time = 120;
  uint16_t open_sent_hold_time = 240;  // RFC 4271 §8.2.2: "a large value" while OpenSent
  uint16_t idle_hold_initial = 1;      // backoff after a failed session, doubled each time
  uint16_t idle_hold_max = 120;
  bool passive = false;
  bool operator==(const FsmConfig&) const = default;
};

struct Action {
  enum Kind : uint8_t {
    Connect,  // open a TCP connection to the peer
    Close,    // drop the TCP connection
    SendOpen,
    SendKeepalive,
    SendNotification,  // `notification`
    Established,       // the session is up: exchange routes
    Down,              // the session was Established and is no more: withdraw its routes
    StateChanged,      // from -> to, for logs and watchers
  };
  Kind kind;
  Notification notification{};
  State from = State::Idle;
  State to = State::Idle;
  bool operator==(const Action&) const = default;
};
using Actions = std::vector<Action>;

// Extra data some events carry.
struct EventData {
  const Open* open = nullptr;                  // BgpOpen
  const Notification* notification = nullptr;  // NotifMsg: what the peer said
  const WireError* error = nullptr;            // *Err events: what we must say
  std::optional<Notification> cease;           // MaxPrefixExceeded: the Cease/1 with its data
};

// RFC 4271 §6.2 checks of a received OPEN against what we expect of this neighbor.
struct OpenExpectations {
  std::optional<uint32_t> peer_as;  // nullopt: any AS (remote-as external/internal checked by caller)
  uint32_t local_bgp_identifier = 0;
  bool ibgp = false;
};
std::optional<Notification> check_open(const Open& open, const OpenExpectations& expect);

class Fsm {
 public:
  explicit Fsm(
      FsmConfig config, std::function<double()> jitter = [] { return 1.0; })
      : config_(config), jitter_(std::move(jitter)) {}

  State state() const { return state_; }
  Actions handle(Event event, TimePoint now, const EventData& data = {});
  // Fires every timer whose deadline has passed, in deadline order.
  Actions expire(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  // RFC 4271 §4.4: sending an UPDATE also restarts the KeepaliveTimer.
  void message_sent(TimePoint now);
  // Starts the HoldTimer again if it runs: for a peer whose messages wait unread on our side.
  void restart_hold_timer(TimePoint now);

  // Negotiated on OPEN: hold time and keepalive interval in seconds (0 = none).
  uint16_t negotiated_hold_time() const { return hold_time_; }
  uint16_t negotiated_keepalive() const { return keepalive_; }
  const std::optional<Notification>& last_error() const { return last_error_; }
  bool last_error_sent() const { return last_error_sent_; }
  uint32_t failures() const { return failures_; }
  const FsmConfig& config() const { return config_; }
  void set_config(const FsmConfig& config) { config_ = config; }

 private:
  struct Timer {
    std::optional<TimePoint> deadline;
    void stop() { deadline.reset(); }
  };
  void transition(State to, Actions& out);
  void start(Timer& t, TimePoint now, uint16_t seconds, bool jittered = false);
  // The common ending of every failure: say why (if we must), close, go Idle, arm IdleHold.
  void fail(Actions& out, TimePoint now, std::optional<Notification> sent, std::optional<Notification> received,
            bool restart = true);
  void start_session(TimePoint now, Actions& out, bool passive);
  void on_open(const Open& open, TimePoint now, Actions& out);

  FsmConfig config_;
  std::function<double()> jitter_;
  State state_ = State::Idle;
  Timer connect_retry_, hold_, keepalive_timer_, idle_hold_;
  uint16_t hold_time_ = 0;
  uint16_t keepalive_ = 0;
  uint32_t failures_ = 0;  // consecutive failed sessions, for the IdleHold backoff
  bool passive_ = false;
  bool auto_restart_ = false;
  std::optional<Notification> last_error_;
  bool last_error_sent_ = false;
};

// RFC 4271 §6.8: which of two connections to the same peer survives. The one initiated by the
// speaker with the higher BGP identifier stays.
enum class CollisionWinner : uint8_t { LocallyInitiated, RemotelyInitiated };
CollisionWinner resolve_collision(uint32_t local_bgp_identifier, uint32_t remote_bgp_identifier);

}  // namespace ridgeline::bgp
