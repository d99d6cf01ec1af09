#include "bgpd/session/fsm.h"

#include <algorithm>
#include <array>

namespace ridgeline::bgp {

std::string_view to_string(State s) {
  switch (s) {
    case State::Idle: return "Idle";
    case State::Connect: return "Connect";
    case State::Active: return "Active";
    case State::OpenSent: return "OpenSent";
    case State::OpenConfirm: return "OpenConfirm";
    case State::Established: return "Established";
  }
  return "?";
}

std::string_view to_string(Event e) {
  switch (e) {
    case Event::ManualStart: return "ManualStart";
    case Event::ManualStop: return "ManualStop";
    case Event::AutomaticStart: return "AutomaticStart";
    case Event::ManualStartPassive: return "ManualStart_with_PassiveTcpEstablishment";
    case Event::ConnectRetryTimerExpires: return "ConnectRetryTimer_Expires";
    case Event::HoldTimerExpires: return "HoldTimer_Expires";
    case Event::KeepaliveTimerExpires: return "KeepaliveTimer_Expires";
    case Event::IdleHoldTimerExpires: return "IdleHoldTimer_Expires";
    case Event::TcpConnectionConfirmed: return "TcpConnectionConfirmed";
    case Event::TcpConnectionFails: return "TcpConnectionFails";
    case Event::BgpOpen: return "BGPOpen";
    case Event::BgpHeaderErr: return "BGPHeaderErr";
    case Event::BgpOpenMsgErr: return "BGPOpenMsgErr";
    case Event::OpenCollisionDump: return "OpenCollisionDump";
    case Event::NotifMsgVerErr: return "NotifMsgVerErr";
    case Event::NotifMsg: return "NotifMsg";
    case Event::KeepAliveMsg: return "KeepAliveMsg";
    case Event::UpdateMsg: return "UpdateMsg";
    case Event::UpdateMsgErr: return "UpdateMsgErr";
    case Event::RouteRefreshMsg: return "RouteRefreshMsg";
    case Event::MaxPrefixExceeded: return "MaxPrefixExceeded";
    case Event::BfdDown: return "BfdDown";
    case Event::AdminReset: return "AdminReset";
    case Event::ConfigChanged: return "ConfigChanged";
    case Event::SendHoldTimerExpires: return "SendHoldTimerExpires";
  }
  return "?";
}

std::optional<Notification> check_open(const Open& open, const OpenExpectations& expect) {
  if (expect.peer_as && open.peer_as() != *expect.peer_as) {
    return Notification{error_code::kOpenMessage, open_subcode::kBadPeerAs, {}};
  }
  // RFC 6286 §2.2: an internal peer may not use our own identifier.
  if (expect.ibgp && open.bgp_identifier == expect.local_bgp_identifier) {
    return Notification{error_code::kOpenMessage, open_subcode::kBadBgpIdentifier, {}};
  }
  return std::nullopt;
}

CollisionWinner resolve_collision(uint32_t local_bgp_identifier, uint32_t remote_bgp_identifier) {
  return local_bgp_identifier < remote_bgp_identifier ? CollisionWinner::RemotelyInitiated
                                                      : CollisionWinner::LocallyInitiated;
}

namespace {

Notification notification(uint8_t code, uint8_t subcode) {
  return {code, subcode, {}};
}

}  // namespace

void Fsm::transition(State to, Actions& out) {
  if (to == state_) return;
  out.push_back({Action::StateChanged, {}, state_, to});
  state_ = to;
}

void Fsm::start(Timer& t, TimePoint now, uint16_t seconds, bool jittered) {
  auto d = std::chrono::duration<double>(seconds * (jittered ? jitter_() : 1.0));
  t.deadline = now + std::chrono::duration_cast<Clock::duration>(d);
}

void Fsm::start_session(TimePoint now, Actions& out, bool passive) {
  passive_ = passive;
  idle_hold_.stop();
  start(connect_retry_, now, config_.connect_retry_time, true);
  if (passive) {
    transition(State::Active, out);
  } else {
    out.push_back({Action::Connect});
    transition(State::Connect, out);
  }
}

void Fsm::fail(Actions& out, TimePoint now, std::optional<Notification> sent, std::optional<Notification> received,
               bool restart) {
  if (sent) {
    out.push_back({Action::SendNotification, *sent});
    last_error_ = sent;
    last_error_sent_ = true;
  } else if (received) {
    last_error_ = received;
    last_error_sent_ = false;
  }
  out.push_back({Action::Close});
  if (state_ == State::Established) out.push_back({Action::Down});
  connect_retry_.stop(), hold_.stop(), keepalive_timer_.stop(), idle_hold_.stop();
  hold_time_ = keepalive_ = 0;
  transition(State::Idle, out);
  ++failures_;
  if (!restart) auto_restart_ = false;
  if (auto_restart_) {
    // Each consecutive failure doubles the wait, so a peer that keeps refusing cannot make us spin.
    const uint32_t shift = std::min<uint32_t>(failures_ - 1, 16);
    const uint32_t wait = std::min<uint32_t>(uint32_t(config_.idle_hold_initial) << shift, config_.idle_hold_max);
    start(idle_hold_, now, static_cast<uint16_t>(wait));
  }
}

void Fsm::on_open(const Open& open, TimePoint now, Actions& out) {
  // RFC 4271 §4.2: the hold time is the smaller of the two; keepalives at a third of it.
  hold_time_ = std::min(config_.hold_time, open.hold_time);
  keepalive_ = hold_time_ == 0 ? 0 : std::max<uint16_t>(1, std::min<uint16_t>(config_.keepalive_time, hold_time_ / 3));
  connect_retry_.stop();
  out.push_back({Action::SendKeepalive});
  if (hold_time_ != 0) {
    start(hold_, now, hold_time_);
    start(keepalive_timer_, now, keepalive_, true);
  } else {
    hold_.stop(), keepalive_timer_.stop();
  }
  transition(State::OpenConfirm, out);
}

Actions Fsm::handle(Event event, TimePoint now, const EventData& data) {
  Actions out;
  const auto received = data.notification ? std::optional<Notification>(*data.notification) : std::nullopt;
  const auto error = data.error ? std::optional<Notification>(data.error->notification()) : std::nullopt;
  auto fsm_error = [&](uint8_t subcode) { fail(out, now, notification(error_code::kFsm, subcode), {}); };
  // Events that end a session the same way in every state past Idle.
  auto common = [&]() -> bool {
    switch (event) {
      case Event::ManualStop:
        fail(out, now,
             state_ >= State::OpenSent
                 ? std::optional(notification(error_code::kCease, cease_subcode::kAdministrativeShutdown))
                 : std::nullopt,
             {}, false);
        return true;
      case Event::AdminReset:
      case Event::ConfigChanged:
        fail(out, now,
             state_ >= State::OpenSent
                 ? std::optional(notification(error_code::kCease, event == Event::AdminReset
                                                                      ? cease_subcode::kAdministrativeReset
                                                                      : cease_subcode::kOtherConfigurationChange))
                 : std::nullopt,
             {});
        return true;
      case Event::BfdDown:
        fail(out, now,
             state_ >= State::OpenSent ? std::optional(notification(error_code::kCease, cease_subcode::kBfdDown))
                                       : std::nullopt,
             {});
        return true;
      case Event::SendHoldTimerExpires:
        // RFC 9687 §4: the NOTIFICATION is tried (it will rarely get through), then the
        // connection goes.
        fail(out, now, notification(error_code::kSendHoldTimerExpired, 0), {});
        return true;
      case Event::MaxPrefixExceeded:
        fail(out, now, data.cease.value_or(notification(error_code::kCease, cease_subcode::kMaxPrefixesReached)), {},
             false);
        return true;
      case Event::HoldTimerExpires: fail(out, now, notification(error_code::kHoldTimerExpired, 0), {}); return true;
      case Event::NotifMsg:
      case Event::NotifMsgVerErr: fail(out, now, {}, received); return true;
      case Event::BgpHeaderErr:
      case Event::BgpOpenMsgErr:
      case Event::UpdateMsgErr: fail(out, now, error, {}); return true;
      case Event::OpenCollisionDump:
        fail(out, now, notification(error_code::kCease, cease_subcode::kConnectionCollisionResolution), {}, false);
        return true;
      default: return false;
    }
  };

  // RFC 4271 §8.2.2: a start event past Idle is ignored in every state.
  const bool start_event =
      event == Event::ManualStart || event == Event::ManualStartPassive || event == Event::AutomaticStart;
  if (start_event && state_ != State::Idle) return out;

  switch (state_) {
    case State::Idle:
      switch (event) {
        case Event::ManualStart:
          auto_restart_ = true;
          start_session(now, out, config_.passive);
          break;
        case Event::ManualStartPassive:
          auto_restart_ = true;
          start_session(now, out, true);
          break;
        case Event::AutomaticStart:
        case Event::IdleHoldTimerExpires:
          if (auto_restart_) start_session(now, out, config_.passive || passive_);
          break;
        case Event::TcpConnectionConfirmed:
          out.push_back({Action::Close});  // RFC 4271 §8.2.2: Idle refuses connections
          break;
        default: break;  // every other event is ignored in Idle
      }
      break;

    case State::Connect:
    case State::Active:
      switch (event) {
        case Event::ConnectRetryTimerExpires:
          start(connect_retry_, now, config_.connect_retry_time, true);
          if (!passive_) {
            out.push_back({Action::Connect});
            transition(State::Connect, out);
          }
          break;
        case Event::TcpConnectionConfirmed:
          connect_retry_.stop();
          out.push_back({Action::SendOpen});
          start(hold_, now, config_.open_sent_hold_time);
          transition(State::OpenSent, out);
          break;
        case Event::TcpConnectionFails:
          start(connect_retry_, now, config_.connect_retry_time, true);
          transition(State::Active, out);
          break;
        case Event::ManualStop: fail(out, now, {}, {}, false); break;
        case Event::AdminReset:
        case Event::ConfigChanged:
        case Event::SendHoldTimerExpires:
        case Event::BfdDown: break;  // nothing to tear down yet
        default:
          // RFC 4271 §8.2.2: anything else before a BGP connection exists drops back to Idle; with
          // no BGP connection there is nobody to send a NOTIFICATION to.
          fail(out, now, {}, {}, event != Event::MaxPrefixExceeded);
      }
      break;

    case State::OpenSent:
      switch (event) {
        case Event::BgpOpen:
          if (data.open) on_open(*data.open, now, out);
          break;
        case Event::TcpConnectionFails:
          out.push_back({Action::Close});
          hold_.stop();
          start(connect_retry_, now, config_.connect_retry_time, true);
          transition(State::Active, out);
          break;
        case Event::KeepAliveMsg:
        case Event::UpdateMsg:
        case Event::RouteRefreshMsg:
          fsm_error(fsm_subcode::kUnexpectedInOpenSent);  // RFC 6608
          break;
        default:
          if (!common()) fsm_error(fsm_subcode::kUnexpectedInOpenSent);
      }
      break;

    case State::OpenConfirm:
      switch (event) {
        case Event::KeepAliveMsg:
          if (hold_time_ != 0) start(hold_, now, hold_time_);
          failures_ = 0;
          transition(State::Established, out);
          out.push_back({Action::Established});
          break;
        case Event::KeepaliveTimerExpires:
          out.push_back({Action::SendKeepalive});
          start(keepalive_timer_, now, keepalive_, true);
          break;
        case Event::TcpConnectionFails: fail(out, now, {}, {}); break;
        case Event::BgpOpen:
        case Event::UpdateMsg:
        case Event::RouteRefreshMsg:
          fsm_error(fsm_subcode::kUnexpectedInOpenConfirm);  // RFC 6608
          break;
        default:
          if (!common()) fsm_error(fsm_subcode::kUnexpectedInOpenConfirm);
      }
      break;

    case State::Established:
      switch (event) {
        case Event::KeepAliveMsg:
        case Event::UpdateMsg:
        case Event::RouteRefreshMsg:
          if (hold_time_ != 0) start(hold_, now, hold_time_);  // RFC 4271 §8.2.2 Events 26, 27
          break;
        case Event::KeepaliveTimerExpires:
          out.push_back({Action::SendKeepalive});
          start(keepalive_timer_, now, keepalive_, true);
          break;
        case Event::TcpConnectionFails: fail(out, now, {}, {}); break;
        case Event::BgpOpen: fsm_error(fsm_subcode::kUnexpectedInEstablished); break;
        default:
          if (!common()) fsm_error(fsm_subcode::kUnexpectedInEstablished);
      }
      break;
  }
  return out;
}

std::optional<TimePoint> Fsm::next_deadline() const {
  std::optional<TimePoint> next;
  for (const Timer* t : {&connect_retry_, &hold_, &keepalive_timer_, &idle_hold_}) {
    if (t->deadline && (!next || *t->deadline < *next)) next = t->deadline;
  }
  return next;
}

Actions Fsm::expire(TimePoint now) {
  Actions out;
  const std::array<std::pair<Timer*, Event>, 4> timers{{{&hold_, Event::HoldTimerExpires},
                                                        {&keepalive_timer_, Event::KeepaliveTimerExpires},
                                                        {&connect_retry_, Event::ConnectRetryTimerExpires},
                                                        {&idle_hold_, Event::IdleHoldTimerExpires}}};
  for (int guard = 0; guard < 16; ++guard) {
    const std::pair<Timer*, Event>* first = nullptr;
    for (const auto& t : timers) {
      if (t.first->deadline && *t.first->deadline <= now && (!first || *t.first->deadline < *first->first->deadline)) {
        first = &t;
      }
    }
    if (!first) break;
    first->first->stop();
    Actions more = handle(first->second, now);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

void Fsm::message_sent(TimePoint now) {
  if (state_ == State::Established && keepalive_ != 0) start(keepalive_timer_, now, keepalive_, true);
}

void Fsm::restart_hold_timer(TimePoint now) {
  if (hold_.deadline && hold_time_ != 0 && (state_ == State::OpenConfirm || state_ == State::Established))
    start(hold_, now, hold_time_);
}

}  // namespace ridgeline::bgp
