// The RFC 4271 §8 state machine with an injected clock: every state, the timers, hold-time
// negotiation, the RFC 6608 subcodes, backoff, and collision resolution. No test sleeps.
#include "bgpd/session/fsm.h"

#include <gtest/gtest.h>

#include <set>

namespace ridgeline::bgp {
namespace {

using std::chrono::seconds;

struct FakeClock {
  TimePoint now{};
  void advance(seconds s) { now += s; }
};

bool has(const Actions& actions, Action::Kind kind) {
  return std::any_of(actions.begin(), actions.end(), [&](const Action& a) { return a.kind == kind; });
}

std::optional<Notification> sent(const Actions& actions) {
  for (const auto& a : actions) {
    if (a.kind == Action::SendNotification) return a.notification;
  }
  return std::nullopt;
}

Open peer_open(uint16_t hold = 90) {
  Open o;
  o.my_as = 64501;
  o.hold_time = hold;
  o.bgp_identifier = 0x0a000002;
  o.capabilities.four_octet_as = 64501;
  return o;
}

class FsmTest : public ::testing::Test {
 protected:
  FsmConfig config() {
    FsmConfig c;
    c.hold_time = 180;
    c.keepalive_time = 60;
    c.connect_retry_time = 120;
    return c;
  }
  Fsm fsm{config()};
  FakeClock clock;

  Actions on(Event e, const EventData& d = {}) { return fsm.handle(e, clock.now, d); }
  Actions tick(seconds s) {
    clock.advance(s);
    return fsm.expire(clock.now);
  }
  // Drives the FSM into `target` along the normal path.
  void reach(State target, uint16_t peer_hold = 90) {
    if (target == State::Idle) return;
    on(Event::ManualStart);
    if (target == State::Connect) return;
    if (target == State::Active) {
      on(Event::TcpConnectionFails);  // a refused attempt: Active until ConnectRetry fires
      return;
    }
    on(Event::TcpConnectionConfirmed);
    if (target == State::OpenSent) return;
    Open o = peer_open(peer_hold);
    on(Event::BgpOpen, {.open = &o});
    if (target == State::OpenConfirm) return;
    on(Event::KeepAliveMsg);
  }
};

TEST_F(FsmTest, ActiveOpenReachesEstablished) {
  auto a = on(Event::ManualStart);
  EXPECT_TRUE(has(a, Action::Connect));
  EXPECT_EQ(fsm.state(), State::Connect);
  a = on(Event::TcpConnectionConfirmed);
  EXPECT_TRUE(has(a, Action::SendOpen));
  EXPECT_EQ(fsm.state(), State::OpenSent);
  Open o = peer_open(90);
  a = on(Event::BgpOpen, {.open = &o});
  EXPECT_TRUE(has(a, Action::SendKeepalive));
  EXPECT_EQ(fsm.state(), State::OpenConfirm);
  EXPECT_EQ(fsm.negotiated_hold_time(), 90);  // the smaller of 180 and 90
  EXPECT_EQ(fsm.negotiated_keepalive(), 30);  // a third of it
  a = on(Event::KeepAliveMsg);
  EXPECT_EQ(fsm.state(), State::Established);
  EXPECT_TRUE(has(a, Action::Established));
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a.front(), (Action{Action::StateChanged, {}, State::OpenConfirm, State::Established}));
}

TEST_F(FsmTest, PassiveNeverConnectsAndWaitsForThePeer) {
  auto a = on(Event::ManualStartPassive);
  EXPECT_FALSE(has(a, Action::Connect));
  EXPECT_EQ(fsm.state(), State::Active);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(has(tick(seconds(121)), Action::Connect));
  EXPECT_EQ(fsm.state(), State::Active);
  on(Event::TcpConnectionConfirmed);
  EXPECT_EQ(fsm.state(), State::OpenSent);
}

TEST_F(FsmTest, KeepalivesAtTheNegotiatedIntervalAndHoldExpiry) {
  reach(State::Established, 9);  // MetalLB-style 3/9
  EXPECT_EQ(fsm.negotiated_keepalive(), 3);
  EXPECT_TRUE(tick(seconds(2)).empty());
  EXPECT_TRUE(has(tick(seconds(1)), Action::SendKeepalive));
  on(Event::KeepAliveMsg);  // at t=3 the hold timer restarts: expires at t=12
  tick(seconds(3));
  tick(seconds(3));  // t=9: no hold expiry yet
  EXPECT_EQ(fsm.state(), State::Established);
  auto a = tick(seconds(3));  // t=12
  EXPECT_EQ(fsm.state(), State::Idle);
  ASSERT_TRUE(sent(a));
  EXPECT_EQ(*sent(a), (Notification{4, 0, {}}));
  EXPECT_TRUE(has(a, Action::Close));
  EXPECT_TRUE(has(a, Action::Down));
  EXPECT_EQ(fsm.last_error(), (Notification{4, 0, {}}));
  EXPECT_TRUE(fsm.last_error_sent());
}

TEST_F(FsmTest, UpdatesRestartTheHoldTimer) {
  reach(State::Established, 9);
  for (int i = 0; i < 10; ++i) {
    tick(seconds(5));
    on(Event::UpdateMsg);
  }
  EXPECT_EQ(fsm.state(), State::Established);
}

// FIB backpressure: while reading is parked, the hold timer starts again instead of expiring.
TEST_F(FsmTest, RestartHoldTimerPostponesExpiryOnlyWhenItRuns) {
  reach(State::Established, 9);
  tick(seconds(8));
  fsm.restart_hold_timer(clock.now);  // t=8: now expires at t=17
  tick(seconds(8));                   // t=16
  EXPECT_EQ(fsm.state(), State::Established);
  EXPECT_EQ(*sent(tick(seconds(1))), (Notification{4, 0, {}}));  // t=17
  fsm.restart_hold_timer(clock.now);                             // Idle: nothing to restart
  EXPECT_FALSE(fsm.next_deadline() && *fsm.next_deadline() > clock.now + seconds(9));
}

TEST_F(FsmTest, HoldTimeZeroMeansNoKeepalivesAndNoHoldTimer) {
  reach(State::Established, 0);
  EXPECT_EQ(fsm.negotiated_hold_time(), 0);
  EXPECT_FALSE(fsm.next_deadline());
  EXPECT_TRUE(tick(seconds(100000)).empty());
  EXPECT_EQ(fsm.state(), State::Established);
}

TEST_F(FsmTest, ConfiguredKeepaliveCapsTheInterval) {
  FsmConfig c = config();
  c.keepalive_time = 10;
  fsm = Fsm(c);
  reach(State::OpenConfirm, 90);
  EXPECT_EQ(fsm.negotiated_keepalive(), 10);
}

TEST_F(FsmTest, OpenSentHoldTimerIsLarge) {
  reach(State::OpenSent);
  EXPECT_TRUE(tick(seconds(239)).empty());
  auto a = tick(seconds(1));
  EXPECT_EQ(sent(a), (Notification{4, 0, {}}));
  EXPECT_EQ(fsm.state(), State::Idle);
}

TEST_F(FsmTest, UnexpectedMessagesGetRfc6608Subcodes) {
  struct Case {
    State state;
    Event event;
    uint8_t subcode;
  };
  for (auto c : {Case{State::OpenSent, Event::KeepAliveMsg, 1}, Case{State::OpenSent, Event::UpdateMsg, 1},
                 Case{State::OpenConfirm, Event::UpdateMsg, 2}, Case{State::OpenConfirm, Event::BgpOpen, 2},
                 Case{State::OpenConfirm, Event::RouteRefreshMsg, 2}, Case{State::Established, Event::BgpOpen, 3}}) {
    fsm = Fsm(config());
    reach(c.state);
    Open o = peer_open();
    auto a = on(c.event, {.open = &o});
    EXPECT_EQ(sent(a), (Notification{5, c.subcode, {}})) << to_string(c.state) << " " << to_string(c.event);
    EXPECT_EQ(fsm.state(), State::Idle);
  }
}

TEST_F(FsmTest, DecodeErrorsSendTheirNotification) {
  reach(State::Established);
  WireError e;
  e.code = 3, e.subcode = 1;
  auto a = on(Event::UpdateMsgErr, {.error = &e});
  EXPECT_EQ(sent(a), (Notification{3, 1, {}}));
  EXPECT_TRUE(has(a, Action::Down));
}

TEST_F(FsmTest, ReceivedNotificationIsRememberedNotAnswered) {
  reach(State::Established);
  Notification n{6, 2, {}};
  auto a = on(Event::NotifMsg, {.notification = &n});
  EXPECT_FALSE(sent(a));
  EXPECT_EQ(fsm.last_error(), n);
  EXPECT_FALSE(fsm.last_error_sent());
  EXPECT_EQ(fsm.state(), State::Idle);
}

TEST_F(FsmTest, ManualStopSaysAdministrativeShutdownAndStaysDown) {
  reach(State::Established);
  auto a = on(Event::ManualStop);
  EXPECT_EQ(sent(a), (Notification{6, 2, {}}));
  EXPECT_FALSE(fsm.next_deadline());  // no automatic restart
  EXPECT_TRUE(tick(seconds(3600)).empty());
  EXPECT_EQ(fsm.state(), State::Idle);
}

TEST_F(FsmTest, BfdDownSaysCease10AndRestarts) {
  reach(State::Established);
  auto a = on(Event::BfdDown);
  EXPECT_EQ(sent(a), (Notification{6, 10, {}}));
  EXPECT_TRUE(has(a, Action::Down));
  ASSERT_TRUE(fsm.next_deadline());
  EXPECT_TRUE(has(tick(seconds(1)), Action::Connect));  // idle hold of 1 s, then a new attempt
}

TEST_F(FsmTest, ResetsSayWhyAndRestart) {
  for (auto [event, code, subcode] : {std::tuple{Event::AdminReset, 6, 4}, std::tuple{Event::ConfigChanged, 6, 6},
                                      std::tuple{Event::SendHoldTimerExpires, 8, 0}}) {
    fsm = Fsm(config());
    reach(State::Established);
    auto a = on(event);
    EXPECT_EQ(sent(a), (Notification{static_cast<uint8_t>(code), static_cast<uint8_t>(subcode), {}}))
        << to_string(event);
    EXPECT_TRUE(has(a, Action::Down));
    EXPECT_TRUE(has(tick(seconds(1)), Action::Connect)) << to_string(event);
  }
}

TEST_F(FsmTest, MaxPrefixCeaseCarriesItsDataAndDoesNotRestartByItself) {
  reach(State::Established);
  Notification cease{6, 1, {0, 1, 1, 0, 0, 3, 0xe8}};
  auto a = on(Event::MaxPrefixExceeded, {.cease = cease});
  EXPECT_EQ(sent(a), cease);
  EXPECT_FALSE(fsm.next_deadline());
}

TEST_F(FsmTest, RefusedConnectionsRetryAtTheConnectRetryIntervalNotInALoop) {
  on(Event::ManualStart);
  int connects = 1;
  for (int second = 0; second < 600; ++second) {
    for (const auto& a : tick(seconds(1))) {
      if (a.kind == Action::Connect) {
        ++connects;
        on(Event::TcpConnectionFails);  // refused again
      }
    }
    if (second == 0) on(Event::TcpConnectionFails);
  }
  // Attempts at 0 s (refused at 1 s), then 121, 241, 361 and 481 s.
  EXPECT_EQ(connects, 5);
  EXPECT_EQ(fsm.state(), State::Active);
}

TEST_F(FsmTest, FailedSessionsBackOffExponentially) {
  on(Event::ManualStart);
  std::vector<long> waits;
  for (int i = 0; i < 9; ++i) {
    on(Event::TcpConnectionConfirmed);
    Notification n{2, 2, {}};  // the peer rejects our OPEN every time
    on(Event::NotifMsg, {.notification = &n});
    ASSERT_EQ(fsm.state(), State::Idle);
    const auto wait = std::chrono::duration_cast<seconds>(*fsm.next_deadline() - clock.now).count();
    waits.push_back(wait);
    clock.now = *fsm.next_deadline();
    ASSERT_TRUE(has(fsm.expire(clock.now), Action::Connect));
  }
  EXPECT_EQ(waits, (std::vector<long>{1, 2, 4, 8, 16, 32, 64, 120, 120}));
  // Reaching Established resets the backoff.
  on(Event::TcpConnectionConfirmed);
  Open o = peer_open();
  on(Event::BgpOpen, {.open = &o});
  on(Event::KeepAliveMsg);
  EXPECT_EQ(fsm.failures(), 0u);
}

TEST_F(FsmTest, IdleRefusesConnectionsAndIgnoresMessages) {
  EXPECT_TRUE(has(on(Event::TcpConnectionConfirmed), Action::Close));
  for (Event e : {Event::KeepAliveMsg, Event::UpdateMsg, Event::HoldTimerExpires, Event::TcpConnectionFails}) {
    EXPECT_TRUE(on(e).empty()) << to_string(e);
    EXPECT_EQ(fsm.state(), State::Idle);
  }
}

TEST_F(FsmTest, TcpFailureBeforeOpenConfirmGoesBackToActive) {
  reach(State::OpenSent);
  auto a = on(Event::TcpConnectionFails);
  EXPECT_TRUE(has(a, Action::Close));
  EXPECT_EQ(fsm.state(), State::Active);
  EXPECT_TRUE(has(tick(seconds(120)), Action::Connect));
}

TEST_F(FsmTest, CollisionDumpSaysCease7) {
  reach(State::OpenConfirm);
  EXPECT_EQ(sent(on(Event::OpenCollisionDump)), (Notification{6, 7, {}}));
  EXPECT_FALSE(fsm.next_deadline());
}

TEST_F(FsmTest, EveryEventInEveryStateKeepsTheInvariants) {
  const std::vector<Event> events = {Event::ManualStart,
                                     Event::ManualStop,
                                     Event::AutomaticStart,
                                     Event::ManualStartPassive,
                                     Event::ConnectRetryTimerExpires,
                                     Event::HoldTimerExpires,
                                     Event::KeepaliveTimerExpires,
                                     Event::IdleHoldTimerExpires,
                                     Event::TcpConnectionConfirmed,
                                     Event::TcpConnectionFails,
                                     Event::BgpOpen,
                                     Event::BgpHeaderErr,
                                     Event::BgpOpenMsgErr,
                                     Event::OpenCollisionDump,
                                     Event::NotifMsgVerErr,
                                     Event::NotifMsg,
                                     Event::KeepAliveMsg,
                                     Event::UpdateMsg,
                                     Event::UpdateMsgErr,
                                     Event::RouteRefreshMsg,
                                     Event::MaxPrefixExceeded,
                                     Event::BfdDown,
                                     Event::AdminReset,
                                     Event::ConfigChanged,
                                     Event::SendHoldTimerExpires};
  std::set<std::pair<State, State>> seen;
  for (State s :
       {State::Idle, State::Connect, State::Active, State::OpenSent, State::OpenConfirm, State::Established}) {
    for (Event e : events) {
      fsm = Fsm(config());
      reach(s);
      ASSERT_EQ(fsm.state(), s);
      Open o = peer_open();
      Notification n{6, 3, {}};
      WireError err;
      err.code = 1, err.subcode = 2;
      auto a = on(e, {.open = &o, .notification = &n, .error = &err});
      seen.insert({s, fsm.state()});
      const bool to_idle = s != State::Idle && fsm.state() == State::Idle;
      const bool lost_connection = s >= State::OpenSent && fsm.state() < State::OpenSent;
      // Whoever goes Idle or loses its connection closes it; only Established reports Down.
      EXPECT_EQ(to_idle || lost_connection, has(a, Action::Close) && s != State::Idle)
          << to_string(s) << " " << to_string(e);
      EXPECT_EQ(has(a, Action::Down), to_idle && s == State::Established) << to_string(s) << " " << to_string(e);
      // A NOTIFICATION is only ever sent on a connection that has exchanged OPENs or is sending one.
      if (sent(a)) {
        EXPECT_GE(s, State::OpenSent) << to_string(s) << " " << to_string(e);
      }
      // A state change is always reported, exactly once.
      const auto changes =
          std::count_if(a.begin(), a.end(), [](const Action& x) { return x.kind == Action::StateChanged; });
      EXPECT_EQ(changes, s != fsm.state() ? 1 : 0) << to_string(s) << " " << to_string(e);
    }
  }
  // Every RFC 4271 transition shows up somewhere in the sweep.
  for (auto t : std::vector<std::pair<State, State>>{{State::Idle, State::Connect},
                                                     {State::Idle, State::Active},
                                                     {State::Connect, State::OpenSent},
                                                     {State::Connect, State::Active},
                                                     {State::Active, State::OpenSent},
                                                     {State::Active, State::Connect},
                                                     {State::OpenSent, State::OpenConfirm},
                                                     {State::OpenSent, State::Active},
                                                     {State::OpenSent, State::Idle},
                                                     {State::OpenConfirm, State::Established},
                                                     {State::OpenConfirm, State::Idle},
                                                     {State::Established, State::Idle}}) {
    EXPECT_TRUE(seen.count(t)) << to_string(t.first) << " -> " << to_string(t.second);
  }
}

TEST(CheckOpen, PeerAsAndIdentifier) {
  Open o = peer_open();
  EXPECT_FALSE(check_open(o, {64501, 0x0a000001, false}));
  EXPECT_EQ(check_open(o, {64502, 0x0a000001, false}), (Notification{2, 2, {}}));
  EXPECT_FALSE(check_open(o, {std::nullopt, 0x0a000001, false}));
  EXPECT_EQ(check_open(o, {64501, 0x0a000002, true}), (Notification{2, 3, {}}));  // iBGP with our id
  EXPECT_FALSE(check_open(o, {64501, 0x0a000002, false}));                        // eBGP may share it
}

TEST(Collision, HigherIdentifierKeepsTheConnectionItInitiated) {
  EXPECT_EQ(resolve_collision(0x0a000001, 0x0a000002), CollisionWinner::RemotelyInitiated);
  EXPECT_EQ(resolve_collision(0x0a000003, 0x0a000002), CollisionWinner::LocallyInitiated);
}

}  // namespace
}  // namespace ridgeline::bgp
