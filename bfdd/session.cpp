#include "bfdd/session.h"

#include <algorithm>

namespace ridgeline::bfd {

Session::Session(uint32_t my_discriminator, SessionConfig config, Clock::time_point now, uint32_t jitter_seed)
    : my_discr_(my_discriminator), config_(config), jitter_(jitter_seed) {
  if (config_.admin_down) {
    state_ = State::AdminDown;
    local_diag_ = Diag::AdministrativelyDown;
  }
  tx_in_use_ = advertised_tx();
  rx_in_use_ = advertised_rx();
  next_tx_ = now;  // the first packet goes at once (unless passive)
}

uint32_t Session::advertised_tx() const {
  return state_ == State::Up ? config_.desired_min_tx_us : std::max(config_.desired_min_tx_us, kSlowTxUs);
}

Micros Session::detection_time() const {
  return Micros(static_cast<int64_t>(remote_detect_mult_) * std::max(rx_in_use_, remote_desired_tx_));
}

Micros Session::transmit_interval() const {
  return Micros(std::max(tx_in_use_, remote_min_rx_));
}

bool Session::may_send() const {
  if (config_.passive && remote_discr_ == 0) return false;  // RFC 5880 §6.1: wait to be spoken to
  return remote_min_rx_ != 0;                               // §6.8.7: 0 means "send me nothing"
}

ControlPacket Session::packet(bool final) const {
  ControlPacket p;
  p.diag = local_diag_;
  p.state = state_;
  p.poll = polling_ && !final;  // §6.5: never both
  p.final = final;
  p.detect_mult = config_.detect_mult;
  p.my_discriminator = my_discr_;
  p.your_discriminator = remote_discr_;
  p.desired_min_tx_us = advertised_tx();
  p.required_min_rx_us = advertised_rx();
  p.required_min_echo_rx_us = 0;  // no Echo function
  return p;
}

void Session::schedule_tx(Clock::time_point now) {
  // §6.8.7: 75-100% of the interval (75-90% with a multiplier of 1), so that peers do not lock step.
  const double hi = config_.detect_mult == 1 ? 0.90 : 1.0;
  std::uniform_real_distribution<double> factor(0.75, hi);
  const auto interval = transmit_interval();
  next_tx_ = now + Micros(static_cast<int64_t>(static_cast<double>(interval.count()) * factor(jitter_)));
}

void Session::send(Actions& out, bool final, Clock::time_point now) {
  out.send.push_back(packet(final));
  ++counters_.packets_out;
  if (!final) schedule_tx(now);
}

void Session::start_poll() {
  if (!polling_) ++counters_.polls;
  polling_ = true;
}

void Session::set_state(State to, Diag diag, Actions& out, bool remote_admin_down) {
  if (to == state_) return;
  out.transitions.push_back({state_, to, diag, remote_admin_down});
  const State from = state_;
  state_ = to;
  local_diag_ = diag;
  if (to == State::Up) {
    ++counters_.up;
    // The TX interval drops from the slow 1 s to the configured one: tell the peer with a poll.
    // A decrease may be used at once (§6.8.3).
    tx_in_use_ = std::min(tx_in_use_, advertised_tx());
    start_poll();
  } else {
    if (from == State::Up) ++counters_.down;
    polling_ = false;
    tx_in_use_ = advertised_tx();  // not Up: slow, at once (no poll while not Up)
    rx_in_use_ = advertised_rx();
    if (to != State::Init) detect_deadline_.reset();
  }
}

std::optional<Discard> Session::receive(const ControlPacket& p, Clock::time_point now, Actions& out) {
  if (state_ == State::AdminDown) return Discard::SessionAdminDown;  // §6.8.6
  ++counters_.packets_in;
  const bool first_contact = remote_discr_ == 0;
  const Micros interval_before = transmit_interval();
  remote_discr_ = p.my_discriminator;
  remote_state_ = p.state;
  remote_diag_ = p.diag;
  remote_min_rx_ = p.required_min_rx_us;
  remote_desired_tx_ = p.desired_min_tx_us;
  remote_detect_mult_ = p.detect_mult;
  if (p.final && polling_) {
    // §6.8.3: the peer has seen our new values; they all take effect now.
    polling_ = false;
    tx_in_use_ = advertised_tx();
    rx_in_use_ = advertised_rx();
  }
  const size_t transitions = out.transitions.size();
  if (p.state == State::AdminDown) {
    if (state_ != State::Down) set_state(State::Down, Diag::NeighborSignaledSessionDown, out, true);
  } else {
    switch (state_) {
      case State::Down:
        if (p.state == State::Down) set_state(State::Init, Diag::None, out);
        if (p.state == State::Init) set_state(State::Up, Diag::None, out);
        break;
      case State::Init:
        if (p.state == State::Init || p.state == State::Up) set_state(State::Up, Diag::None, out);
        break;
      case State::Up:
        if (p.state == State::Down) set_state(State::Down, Diag::NeighborSignaledSessionDown, out);
        break;
      case State::AdminDown: break;
    }
  }
  if (state_ == State::Init || state_ == State::Up) {
    detect_deadline_ = now + detection_time();
  } else {
    detect_deadline_.reset();
  }
  // A shorter interval (the peer lowered its required RX, or our poll ended) applies now, not
  // after a slow interval already scheduled: else the peer's new, shorter detection time runs out.
  if (transmit_interval() < interval_before && next_tx_ > now + transmit_interval()) schedule_tx(now);
  if (p.poll) send(out, true, now);  // §6.8.6: answer a poll with Final at once
  // A new state is told at once rather than at the next interval; so is a passive session's
  // first packet.
  if (out.transitions.size() != transitions || (first_contact && config_.passive)) {
    if (may_send()) send(out, false, now);
  }
  return std::nullopt;
}

void Session::on_timer(Clock::time_point now, Actions& out) {
  if (detect_deadline_ && now >= *detect_deadline_ && (state_ == State::Init || state_ == State::Up)) {
    // §6.8.4: nothing from the peer for a detection time.
    set_state(State::Down, Diag::ControlDetectionTimeExpired, out);
    remote_discr_ = 0;
    remote_state_ = State::Down;
    remote_min_rx_ = 1;
    detect_deadline_.reset();
    send(out, false, now);
  }
  if (now >= next_tx_) {
    if (may_send()) {
      send(out, false, now);
    } else {
      schedule_tx(now);
    }
  }
}

Clock::time_point Session::next_deadline() const {
  return detect_deadline_ ? std::min(next_tx_, *detect_deadline_) : next_tx_;
}

void Session::configure(const SessionConfig& config, Clock::time_point now, Actions& out) {
  const SessionConfig old = config_;
  if (old == config) return;
  config_ = config;
  if (config.admin_down && !old.admin_down) {
    set_state(State::AdminDown, Diag::AdministrativelyDown, out);  // §6.8.16
    send(out, false, now);
    return;
  }
  if (!config.admin_down && old.admin_down) {
    set_state(State::Down, Diag::None, out);
    send(out, false, now);
    return;
  }
  if (state_ != State::Up) {
    tx_in_use_ = advertised_tx();
    rx_in_use_ = advertised_rx();
    return;
  }
  // §6.8.3: while Up, a larger TX or a smaller RX waits for the Final; the others apply now.
  tx_in_use_ = std::min(tx_in_use_, advertised_tx());
  rx_in_use_ = std::max(rx_in_use_, advertised_rx());
  start_poll();
  send(out, false, now);
}

}  // namespace ridgeline::bfd
