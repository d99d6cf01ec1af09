// BFD with a fake clock: the codec and each discard rule of RFC 5880 §6.8.6, every state
// transition, the detection time, Poll/Final, slow TX while not Up, jitter, passive and AdminDown.
#include "bfdd/session.h"

#include <gtest/gtest.h>

namespace ridgeline::bfd {
namespace {

using namespace std::chrono_literals;

TEST(BfdPacket, RoundTripsEveryField) {
  ControlPacket p;
  p.diag = Diag::PathDown;
  p.state = State::Init;
  p.poll = true;
  p.cpi = true;
  p.detect_mult = 5;
  p.my_discriminator = 0x01020304;
  p.your_discriminator = 0xa0b0c0d0;
  p.desired_min_tx_us = 50000;
  p.required_min_rx_us = 300000;
  p.required_min_echo_rx_us = 7;
  const Bytes wire = encode(p);
  ASSERT_EQ(wire.size(), kControlPacketSize);
  EXPECT_EQ(wire[0], 0x25);  // version 1, diag 5
  EXPECT_EQ(wire[1], 0xa8);  // Init, P, C
  Discard why{};
  auto back = decode(wire, why);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, p);
}

TEST(BfdPacket, EachDiscardRuleOfRfc5880Section686) {
  ControlPacket good;
  good.state = State::Up;
  good.my_discriminator = 1;
  good.your_discriminator = 2;
  struct Case {
    const char* what;
    std::function<void(Bytes&)> spoil;
    Discard expect;
  };
  const Case cases[] = {
      {"version 0", [](Bytes& b) { b[0] = (b[0] & 0x1f); }, Discard::BadVersion},
      {"version 2", [](Bytes& b) { b[0] = 0x40 | (b[0] & 0x1f); }, Discard::BadVersion},
      {"length 23", [](Bytes& b) { b[3] = 23; }, Discard::BadLength},
      {"length past the payload", [](Bytes& b) { b[3] = 30; }, Discard::BadLength},
      {"payload shorter than a header", [](Bytes& b) { b.resize(3); }, Discard::BadLength},
      {"detect multiplier 0", [](Bytes& b) { b[2] = 0; }, Discard::ZeroDetectMult},
      {"multipoint", [](Bytes& b) { b[1] |= 0x01; }, Discard::Multipoint},
      {"my discriminator 0", [](Bytes& b) { b[4] = b[5] = b[6] = b[7] = 0; }, Discard::ZeroMyDiscriminator},
      {"your discriminator 0 while Up", [](Bytes& b) { b[8] = b[9] = b[10] = b[11] = 0; },
       Discard::ZeroYourDiscriminatorNotDown},
      {"A bit without authentication",
       [](Bytes& b) {
         b[1] |= 0x04;
         b.resize(26);
         b[3] = 26;
       },
       Discard::AuthMismatch},
      {"A bit with a length too short for it", [](Bytes& b) { b[1] |= 0x04; }, Discard::BadLength},
  };
  for (const auto& c : cases) {
    Bytes wire = encode(good);
    c.spoil(wire);
    Discard why{};
    EXPECT_FALSE(decode(wire, why)) << c.what;
    EXPECT_EQ(why, c.expect) << c.what << ": " << to_string(why);
  }
  // Your Discriminator 0 is fine from a peer that is Down (it does not know ours yet).
  ControlPacket down = good;
  down.state = State::Down;
  down.your_discriminator = 0;
  Discard why{};
  EXPECT_TRUE(decode(encode(down), why));
}

// Two sessions and a wire between them; time moves only when the test says.
class Pair : public ::testing::Test {
 protected:
  Pair() : a(0xa, config, t, 1), b(0xb, config, t, 2) {}
  static SessionConfig make(uint32_t tx, uint32_t rx, uint8_t mult) {
    SessionConfig c;
    c.desired_min_tx_us = tx;
    c.required_min_rx_us = rx;
    c.detect_mult = mult;
    return c;
  }
  // Delivers what each side sent, until both are quiet.
  void deliver(Actions& from_a, Actions& from_b) {
    while (!from_a.send.empty() || !from_b.send.empty()) {
      Actions next_a, next_b;
      for (const auto& p : from_a.send) {
        if (a_to_b) b.receive(p, t, next_b);
      }
      for (const auto& p : from_b.send) {
        if (b_to_a) a.receive(p, t, next_a);
      }
      record(next_a, next_b);
      from_a = std::move(next_a);
      from_b = std::move(next_b);
    }
  }
  void record(const Actions& x, const Actions& y) {
    for (const auto& tr : x.transitions) a_transitions.push_back(tr);
    for (const auto& tr : y.transitions) b_transitions.push_back(tr);
    for (const auto& p : x.send) a_sent.push_back(p);
  }
  // Runs both sessions' timers up to `until`, delivering packets as they go.
  void run_until(Clock::time_point until) {
    while (true) {
      const auto next = std::min(a.next_deadline(), b.next_deadline());
      if (next > until) break;
      t = std::max(t, next);
      Actions xa, xb;
      a.on_timer(t, xa);
      b.on_timer(t, xb);
      record(xa, xb);
      deliver(xa, xb);
    }
    t = until;
  }
  void bring_up() {
    run_until(t + 5s);
    ASSERT_EQ(a.state(), State::Up);
    ASSERT_EQ(b.state(), State::Up);
  }

  Clock::time_point t = Clock::time_point() + 100s;
  SessionConfig config = make(300000, 300000, 3);
  Session a, b;
  bool a_to_b = true, b_to_a = true;
  std::vector<Transition> a_transitions, b_transitions;
  std::vector<ControlPacket> a_sent;
};

TEST_F(Pair, ThreeWayHandshakeDownInitUp) {
  bring_up();
  ASSERT_GE(a_transitions.size(), 1u);
  ASSERT_GE(b_transitions.size(), 1u);
  // One side goes Down -> Init -> Up, the other may skip Init (it hears Init while Down).
  std::vector<std::pair<State, State>> seen;
  for (const auto& tr : a_transitions) seen.emplace_back(tr.from, tr.to);
  for (const auto& tr : b_transitions) seen.emplace_back(tr.from, tr.to);
  EXPECT_NE(std::find(seen.begin(), seen.end(), std::pair{State::Down, State::Init}), seen.end());
  EXPECT_NE(std::find(seen.begin(), seen.end(), std::pair{State::Init, State::Up}), seen.end());
  EXPECT_EQ(a.remote_discriminator(), 0xbu);
  EXPECT_EQ(b.remote_discriminator(), 0xau);
  EXPECT_EQ(a.counters().up, 1u);
}

TEST_F(Pair, SlowTransmitWhileNotUpThenTheConfiguredIntervalAfterAPoll) {
  EXPECT_EQ(a.transmit_interval(), 1s);
  Actions out;
  a.on_timer(t, out);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_GE(out.send[0].desired_min_tx_us, kSlowTxUs);
  bring_up();
  // Once Up, both poll to move to 300 ms, and the polls end with Finals.
  run_until(t + 2s);
  EXPECT_FALSE(a.poll_in_progress());
  EXPECT_FALSE(b.poll_in_progress());
  EXPECT_EQ(a.transmit_interval(), 300ms);
  EXPECT_EQ(a_sent.back().desired_min_tx_us, 300000u);
}

TEST_F(Pair, DetectionTimeIsRemoteMultiplierTimesTheSlowerOfOurRxAndTheirTx) {
  Session x(1, make(50000, 200000, 3), t), y(2, make(100000, 40000, 5), t);
  a = x;
  b = y;
  bring_up();
  run_until(t + 2s);
  // a: b's multiplier 5 x max(a's RX 200 ms, b's TX 100 ms) = 1 s.
  EXPECT_EQ(a.detection_time(), 1000ms);
  // b: a's multiplier 3 x max(b's RX 40 ms, a's TX 50 ms) = 150 ms.
  EXPECT_EQ(b.detection_time(), 150ms);
  // a sends every max(a's TX 50 ms, b's RX 40 ms) = 50 ms, before jitter.
  EXPECT_EQ(a.transmit_interval(), 50ms);
}

TEST_F(Pair, SilenceForTheDetectionTimeTakesTheSessionDown) {
  bring_up();
  run_until(t + 2s);
  const auto detect = a.detection_time();
  ASSERT_EQ(detect, 900ms);
  b_to_a = false;  // b freezes (as SIGSTOP would)
  const auto frozen = t;
  a_transitions.clear();
  run_until(frozen + detect - 310ms);  // b's last packet may be up to one interval old
  EXPECT_EQ(a.state(), State::Up);
  run_until(frozen + detect + 1ms);
  ASSERT_EQ(a.state(), State::Down);
  ASSERT_EQ(a_transitions.size(), 1u);
  EXPECT_EQ(a_transitions[0].diag, Diag::ControlDetectionTimeExpired);
  EXPECT_FALSE(a_transitions[0].remote_admin_down);
  EXPECT_EQ(a.local_diag(), Diag::ControlDetectionTimeExpired);
  EXPECT_EQ(a.remote_discriminator(), 0u);
  EXPECT_EQ(a.transmit_interval(), 1s);  // slow again
  // b hears a's Down (diag 1) and goes Down too: "neighbor signaled session down".
  EXPECT_EQ(b.state(), State::Down);
  EXPECT_EQ(b.local_diag(), Diag::NeighborSignaledSessionDown);
  // When b comes back, the session comes back.
  b_to_a = true;
  run_until(t + 5s);
  EXPECT_EQ(a.state(), State::Up);
}

TEST_F(Pair, InitTimesOutToDownWhenThePeerFallsSilent) {
  // a hears b's Down and goes Init; then b is gone before a hears from it again.
  Actions xa, xb;
  b.on_timer(t, xb);
  a_to_b = false;
  deliver(xa, xb);
  ASSERT_EQ(a.state(), State::Init);
  b_to_a = false;
  const auto detect = a.detection_time();
  ASSERT_GT(detect, Micros(0));
  run_until(t + detect - 1ms);
  EXPECT_EQ(a.state(), State::Init);
  run_until(t + 2ms);
  EXPECT_EQ(a.state(), State::Down);
  EXPECT_EQ(a.local_diag(), Diag::ControlDetectionTimeExpired);
  EXPECT_EQ(a.counters().down, 0u);  // never was Up
}

TEST_F(Pair, APeersAdminDownIsNotAFailure) {
  bring_up();
  Actions out;
  SessionConfig down = config;
  down.admin_down = true;
  b.configure(down, t, out);
  EXPECT_EQ(b.state(), State::AdminDown);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_EQ(out.send[0].state, State::AdminDown);
  EXPECT_EQ(out.send[0].diag, Diag::AdministrativelyDown);
  a_transitions.clear();
  Actions none;
  deliver(none, out);
  ASSERT_EQ(a_transitions.size(), 1u);
  EXPECT_EQ(a_transitions[0].to, State::Down);
  EXPECT_EQ(a_transitions[0].diag, Diag::NeighborSignaledSessionDown);
  EXPECT_TRUE(a_transitions[0].remote_admin_down);
  // An AdminDown session ignores what it receives.
  Actions ignored;
  ControlPacket p;
  p.my_discriminator = 0xa;
  EXPECT_EQ(b.receive(p, t, ignored), Discard::SessionAdminDown);
  // Back from AdminDown: Down, then Up again.
  Actions up;
  b.configure(config, t, up);
  EXPECT_EQ(b.state(), State::Down);
  run_until(t + 5s);
  EXPECT_EQ(a.state(), State::Up);
  EXPECT_EQ(b.state(), State::Up);
}

TEST_F(Pair, UpGoesDownWhenThePeerSaysDown) {
  bring_up();
  ControlPacket p;
  p.state = State::Down;
  p.my_discriminator = 0xb;
  Actions out;
  a.receive(p, t, out);
  ASSERT_EQ(out.transitions.size(), 1u);
  EXPECT_EQ(out.transitions[0].from, State::Up);
  EXPECT_EQ(out.transitions[0].diag, Diag::NeighborSignaledSessionDown);
}

TEST_F(Pair, PollFinalCarriesATimerChangeAndALargerTxWaitsForTheFinal) {
  bring_up();
  run_until(t + 2s);
  ASSERT_EQ(a.transmit_interval(), 300ms);
  // a slows down to 1 s: advertised at once with P, used only after b's F.
  b_to_a = false;
  Actions out;
  a.configure(make(1000000, 300000, 3), t, out);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_TRUE(out.send[0].poll);
  EXPECT_EQ(out.send[0].desired_min_tx_us, 1000000u);
  EXPECT_TRUE(a.poll_in_progress());
  EXPECT_EQ(a.transmit_interval(), 300ms);  // still the old one
  Actions none;
  deliver(out, none);  // b sees the poll; its Final does not reach a
  // Every packet a sends while polling carries P.
  Actions tick;
  a.on_timer(a.next_deadline(), tick);
  for (const auto& p : tick.send) EXPECT_TRUE(p.poll);
  b_to_a = true;
  a_sent.clear();
  run_until(t + 1s);
  EXPECT_FALSE(a.poll_in_progress());
  EXPECT_EQ(a.transmit_interval(), 1s);
  EXPECT_GE(a.counters().polls, 2u);  // the one at Up, and this one
  // A Final is never sent with P, and answers each poll.
  ControlPacket poll;
  poll.state = State::Up;
  poll.poll = true;
  poll.my_discriminator = 0xb;
  poll.your_discriminator = 0xa;
  poll.desired_min_tx_us = poll.required_min_rx_us = 300000;
  Actions answer;
  a.receive(poll, t, answer);
  ASSERT_FALSE(answer.send.empty());
  EXPECT_TRUE(answer.send[0].final);
  EXPECT_FALSE(answer.send[0].poll);
}

TEST_F(Pair, ASmallerRxWaitsForTheFinalBeforeShorteningDetection) {
  bring_up();
  run_until(t + 2s);
  ASSERT_EQ(b.detection_time(), 900ms);
  a_to_b = false;
  b_to_a = false;
  Actions out;
  b.configure(make(300000, 100000, 3), t, out);
  EXPECT_EQ(b.detection_time(), 900ms);  // not before the Final
  ControlPacket final;
  final.state = State::Up;
  final.final = true;
  final.detect_mult = 3;
  final.my_discriminator = 0xa;
  final.your_discriminator = 0xb;
  final.desired_min_tx_us = 300000;
  final.required_min_rx_us = 300000;
  Actions after;
  b.receive(final, t, after);
  EXPECT_EQ(b.detection_time(), 900ms);  // max(100 ms RX, a's 300 ms TX) x 3
  final.desired_min_tx_us = 50000;
  b.receive(final, t, after);
  EXPECT_EQ(b.detection_time(), 300ms);  // 3 x max(100, 50)
}

TEST(BfdSession, JitterKeepsTransmissionWithin75To100PercentOr90WithMultiplierOne) {
  for (uint8_t mult : {uint8_t{3}, uint8_t{1}}) {
    SessionConfig c;
    c.detect_mult = mult;
    auto t = Clock::time_point() + 1s;
    Session s(7, c, t, 42);
    Actions out;
    s.on_timer(t, out);  // the first packet; the next is an interval away, jittered
    double lo = 2, hi = 0;
    for (int i = 0; i < 500; ++i) {
      const auto next = s.next_deadline();
      const double f = std::chrono::duration<double>(next - t).count() / 1.0;  // slow TX: 1 s
      lo = std::min(lo, f);
      hi = std::max(hi, f);
      t = next;
      s.on_timer(t, out);
    }
    EXPECT_GE(lo, 0.75);
    EXPECT_LE(hi, mult == 1 ? 0.90 : 1.0);
    EXPECT_LT(lo, 0.80);  // it does spread
    EXPECT_GT(hi, mult == 1 ? 0.85 : 0.95);
  }
}

TEST(BfdSession, APeerLoweringItsRequiredRxIsServedAtOnceNotAfterTheSlowInterval) {
  SessionConfig fast;
  fast.desired_min_tx_us = fast.required_min_rx_us = 50000;
  auto t = Clock::time_point() + 1s;
  Session s(7, fast, t, 3);
  // The peer, not Up yet, asks for 1 s; it says Init, so we go Up and poll down to 50 ms.
  ControlPacket p;
  p.my_discriminator = 9;
  p.your_discriminator = 7;
  p.state = State::Init;
  p.desired_min_tx_us = p.required_min_rx_us = 1000000;
  Actions out;
  s.receive(p, t, out);
  ASSERT_EQ(s.state(), State::Up);
  EXPECT_EQ(s.transmit_interval(), 1s);  // the peer's 1 s RX rules
  // Up now, the peer polls down to 50 ms: our next packet must come within 50 ms, not in 1 s.
  p.state = State::Up;
  p.poll = true;
  p.desired_min_tx_us = p.required_min_rx_us = 50000;
  t += 10ms;
  s.receive(p, t, out);
  EXPECT_EQ(s.transmit_interval(), 50ms);
  EXPECT_LE(s.next_deadline(), t + 50ms);
}

TEST(BfdSession, PassiveSendsNothingUntilThePeerSpeaks) {
  SessionConfig c;
  c.passive = true;
  auto t = Clock::time_point() + 1s;
  Session s(7, c, t);
  Actions out;
  for (int i = 0; i < 5; ++i) {
    t += 2s;
    s.on_timer(t, out);
  }
  EXPECT_TRUE(out.send.empty());
  ControlPacket p;
  p.my_discriminator = 9;
  p.state = State::Down;
  p.desired_min_tx_us = p.required_min_rx_us = 1000000;
  Actions reply;
  s.receive(p, t, reply);
  EXPECT_EQ(s.state(), State::Init);
  ASSERT_FALSE(reply.send.empty());
  EXPECT_EQ(reply.send[0].your_discriminator, 9u);
}

TEST(BfdSession, AZeroRequiredRxFromThePeerStopsTransmission) {
  auto t = Clock::time_point() + 1s;
  Session s(7, {}, t);
  ControlPacket p;
  p.my_discriminator = 9;
  p.state = State::Down;
  p.required_min_rx_us = 0;
  Actions out;
  s.receive(p, t, out);
  out.send.clear();
  for (int i = 0; i < 10; ++i) {  // the peer keeps talking, and keeps asking for nothing
    t += 500ms;
    s.receive(p, t, out);
    s.on_timer(t, out);
  }
  EXPECT_EQ(s.state(), State::Init);
  EXPECT_TRUE(out.send.empty());
}

}  // namespace
}  // namespace ridgeline::bfd
