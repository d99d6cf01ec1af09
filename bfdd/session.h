#pragma once
// One BFD session in asynchronous mode (RFC 5880 §6): the state machine, the timers and the
// Poll/Final sequence, with time passed in. No sockets: receive() and on_timer() say what to send
// and which transitions happened; the caller does the I/O and wakes us at next_deadline().
#include <chrono>
#include <optional>
#include <random>
#include <vector>

#include "bfdd/packet.h"

namespace ridgeline::bfd {

using Clock = std::chrono::steady_clock;
using Micros = std::chrono::microseconds;

struct SessionConfig {
  uint32_t desired_min_tx_us = 300000;
  uint32_t required_min_rx_us = 300000;
  uint8_t detect_mult = 3;
  bool passive = false;  // send nothing until the peer has spoken (RFC 5880 §6.1)
  bool admin_down = false;
  bool operator==(const SessionConfig&) const = default;
};

inline constexpr uint32_t kSlowTxUs = 1000000;  // RFC 5880 §6.8.3: at least 1 s while not Up

struct Transition {
  State from, to;
  Diag diag;                       // why (ours)
  bool remote_admin_down = false;  // the peer went AdminDown: not a failure (RFC 5882 §3.2)
};

struct Actions {
  std::vector<ControlPacket> send;
  std::vector<Transition> transitions;
};

struct SessionCounters {
  uint64_t packets_in = 0, packets_out = 0, up = 0, down = 0, polls = 0;
};

class Session {
 public:
  Session(uint32_t my_discriminator, SessionConfig config, Clock::time_point now, uint32_t jitter_seed = 1);

  // A packet for this session, already through decode()'s checks (RFC 5880 §6.8.6).
  // Returns why it was discarded, if it was (an AdminDown session ignores everything).
  std::optional<Discard> receive(const ControlPacket& p, Clock::time_point now, Actions& out);
  // Timers due at `now`: transmission and detection (§6.8.4, §6.8.7).
  void on_timer(Clock::time_point now, Actions& out);
  Clock::time_point next_deadline() const;
  // New timers or admin state; while Up, a Poll Sequence carries the change (§6.8.3).
  void configure(const SessionConfig& config, Clock::time_point now, Actions& out);

  State state() const { return state_; }
  State remote_state() const { return remote_state_; }
  Diag local_diag() const { return local_diag_; }
  Diag remote_diag() const { return remote_diag_; }
  uint32_t my_discriminator() const { return my_discr_; }
  uint32_t remote_discriminator() const { return remote_discr_; }
  const SessionConfig& config() const { return config_; }
  // Negotiated (§6.8.4): remote multiplier x max(our required min RX, the peer's desired min TX).
  Micros detection_time() const;
  // Before jitter: max(our desired min TX, the peer's required min RX) (§6.8.7).
  Micros transmit_interval() const;
  uint32_t remote_desired_min_tx_us() const { return remote_desired_tx_; }
  uint32_t remote_required_min_rx_us() const { return remote_min_rx_; }
  uint8_t remote_detect_mult() const { return remote_detect_mult_; }
  bool poll_in_progress() const { return polling_; }
  const SessionCounters& counters() const { return counters_; }

 private:
  void set_state(State to, Diag diag, Actions& out, bool remote_admin_down = false);
  // What we advertise now: the configured values, but 1 s TX while not Up.
  uint32_t advertised_tx() const;
  uint32_t advertised_rx() const { return config_.required_min_rx_us; }
  void start_poll();
  ControlPacket packet(bool final) const;
  void send(Actions& out, bool final, Clock::time_point now);
  void schedule_tx(Clock::time_point now);
  bool may_send() const;

  uint32_t my_discr_;
  SessionConfig config_;
  State state_ = State::Down;
  State remote_state_ = State::Down;
  Diag local_diag_ = Diag::None;
  Diag remote_diag_ = Diag::None;
  uint32_t remote_discr_ = 0;
  uint32_t remote_min_rx_ = 1;  // bfd.RemoteMinRxInterval, 1 us until the peer says
  uint32_t remote_desired_tx_ = 0;
  uint8_t remote_detect_mult_ = 0;
  // Values in use for our own timing; they follow the advertised ones, except that a larger TX
  // or a smaller RX only takes effect when the Poll Sequence ends (§6.8.3).
  uint32_t tx_in_use_;
  uint32_t rx_in_use_;
  bool polling_ = false;
  Clock::time_point next_tx_;
  std::optional<Clock::time_point> detect_deadline_;
  std::mt19937 jitter_;
  SessionCounters counters_;
};

}  // namespace ridgeline::bfd
