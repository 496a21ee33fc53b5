// Duplicate detection on real freeDiameter messages, without a network: the
// requests are built as the core hands them to a dispatch callback, go
// through DuplicateDetector::screen() as in Stack's dispatch path, and the
// answers are kept by a PendingRequest::AnswerSender instead of being sent.
// Also the pieces it stands on: AvpSnapshot (deep copy of an answer),
// DuplicateKey::of and fingerprint_of.

#include "diameter/duplicate_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "diameter/fd_includes.h"
#include "diameter/stack.h"
#include "fd_environment.h"

namespace roamkey::diameter {
namespace {

using namespace std::chrono_literals;

struct Defs {
  CommandDef dlr = CommandDef::named("Delegation-Request");
  AvpDef session_id = AvpDef::named("Session-Id");
  AvpDef auth_application_id = AvpDef::named("Auth-Application-Id");
  AvpDef auth_session_state = AvpDef::named("Auth-Session-State");
  AvpDef origin_host = AvpDef::named("Origin-Host");
  AvpDef origin_realm = AvpDef::named("Origin-Realm");
  AvpDef destination_realm = AvpDef::named("Destination-Realm");
  AvpDef user_name = AvpDef::named("User-Name");
  AvpDef route_record = AvpDef::named("Route-Record");
  AvpDef proxy_info = AvpDef::named("Proxy-Info");
  AvpDef proxy_host = AvpDef::named("Proxy-Host");
  AvpDef proxy_state = AvpDef::named("Proxy-State");
  AvpDef tsk_vector = AvpDef::named("TSK-Vector");
  AvpDef tsk_rand = AvpDef::named("TSK-RAND");
  AvpDef tsk_key = AvpDef::named("TSK-Key");
  AvpDef key_generation = AvpDef::named("Key-Generation");
  AvpDef tsk_lifetime = AvpDef::named("TSK-Lifetime");
  AvpDef kdf_algorithm = AvpDef::named("KDF-Algorithm");
  std::uint32_t application_id = application_id_of("RoamKey Delegation");
};

const Defs& defs() {
  test::roamkey_dictionary();  // the environment has loaded it
  static const Defs d;
  return d;
}

// A DLR as a dispatch callback receives it.
struct Dlr {
  std::string origin_host = "aaa.visited.example";
  std::uint32_t end_to_end = 0x5eed0001;
  std::uint32_t hop_by_hop = 0x100;
  bool t_flag = false;
  std::string session = "aaa.visited.example;1;1;dlr";
  std::string user = "alice@home.example";
  std::vector<std::string> route_record;
  std::optional<std::pair<std::string, std::string>> proxy;  // Proxy-Host, Proxy-State

  Message build() const {
    const auto& d = defs();
    ::msg* m = nullptr;
    if (fd_msg_new(d.dlr.model(), 0, &m) != 0) throw MessageError("fd_msg_new");
    Message out(m);
    msg_hdr* h = nullptr;
    fd_msg_hdr(m, &h);
    h->msg_eteid = end_to_end;
    h->msg_hbhid = hop_by_hop;
    if (t_flag) h->msg_flags |= CMD_FLAG_RETRANSMIT;
    auto a = out.avps();
    a.add(d.session_id, session)
        .add(d.auth_application_id, d.application_id)
        .add(d.auth_session_state, std::int32_t{1})
        .add(d.origin_host, origin_host)
        .add(d.origin_realm, "visited.example")
        .add(d.destination_realm, "home.example")
        .add(d.user_name, user);
    if (proxy) a.group(d.proxy_info).add(d.proxy_host, proxy->first).add(d.proxy_state, proxy->second);
    for (const auto& r : route_record) a.add(d.route_record, r);
    return out;
  }
};

// Where the answers go instead of freeDiameter's outgoing queue.
struct Outbox {
  std::vector<Message> answers;
  PendingRequest::AnswerSender sender() {
    return [this](Message m) { answers.push_back(std::move(m)); };
  }
};

crypto::Bytes wire(const Message& m) {
  std::uint8_t* buf = nullptr;
  std::size_t len = 0;
  if (fd_msg_bufferize(m.get(), &buf, &len) != 0) throw MessageError("fd_msg_bufferize");
  crypto::Bytes out(buf, buf + len);
  std::free(buf);  // NOLINT(cppcoreguidelines-no-malloc)
  return out;
}

// RFC 6733 sec. 3: the Hop-by-Hop-Identifier is bytes 12..15 and the
// End-to-End-Identifier bytes 16..19 of the header.
crypto::Bytes without_header_ids(crypto::Bytes b) {
  for (std::size_t i = 12; i < 20 && i < b.size(); ++i) b[i] = 0;
  return b;
}

std::uint32_t hop_by_hop_of(const Message& m) {
  msg_hdr* h = nullptr;
  fd_msg_hdr(m.get(), &h);
  return h->msg_hbhid;
}

crypto::Bytes tsk_for(const std::string& user) {
  crypto::Bytes k(32);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(user[i % user.size()] + i);
  return k;
}

// A DLR handler that grants a TSK-Vector: a Grouped AVP with OctetString,
// Unsigned32 and Enumerated children.
void grant(PendingRequest& request) {
  const auto& d = defs();
  const auto user = std::string(request.request().find(d.user_name)->str());
  request.answer(Outcome::ok(), [&](AvpSink& a) {
    a.add(d.auth_application_id, d.application_id).add(d.auth_session_state, std::int32_t{1});
    a.group(d.tsk_vector)
        .add(d.tsk_rand, crypto::ByteView(crypto::Bytes(16, 0xa5)))
        .add(d.key_generation, std::uint32_t{3})
        .add(d.tsk_lifetime, std::uint32_t{3600})
        .add(d.kdf_algorithm, std::int32_t{1})
        .add(d.tsk_key, crypto::ByteView(tsk_for(user)));
  });
}

crypto::Bytes tsk_key_in(const Message& answer) {
  const auto& d = defs();
  auto v = answer.find(d.tsk_vector);
  if (!v) return {};
  auto k = v->child(d.tsk_key);
  if (!k) return {};
  return crypto::Bytes(k->bytes().begin(), k->bytes().end());
}

class FakeClock {
 public:
  DuplicateCache::Clock clock() {
    return [this] { return now_; };
  }
  void advance(std::chrono::steady_clock::duration d) { now_ += d; }

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
};

// Runs `handler` the way Stack's dispatch callback does.
struct Dispatch {
  DuplicateDetector& detector;
  Outbox& outbox;
  int handled = 0;

  template <class Handler>
  void operator()(const Dlr& dlr, Handler&& handler) {
    PendingRequest request(dlr.build(), outbox.sender());
    if (!detector.screen(request, "Delegation-Request")) return;
    ++handled;
    handler(request);
  }
};

// ---- AvpSnapshot ----------------------------------------------------------

TEST(AvpSnapshotTest, CopyOfAnAnswerWithAGroupedAvpIsByteIdentical) {
  const auto& d = defs();
  Outbox outbox;
  PendingRequest first(Dlr{}.build(), outbox.sender());
  grant(first);
  ASSERT_EQ(outbox.answers.size(), 1U);
  const Message& original = outbox.answers[0];

  const auto snapshot = AvpSnapshot::of(original, {&d.session_id});
  Dlr other;
  other.end_to_end = 0x77;
  other.hop_by_hop = 0x99;
  ::msg* m = other.build().release();
  ASSERT_EQ(fd_msg_new_answer_from_req(fd_g_config->cnf_dict, &m, 0), 0);
  Message copy(m);
  auto sink = copy.avps();
  snapshot.write_to(sink);

  EXPECT_EQ(without_header_ids(wire(copy)), without_header_ids(wire(original)));
  EXPECT_EQ(tsk_key_in(copy), tsk_for(Dlr{}.user));
  EXPECT_EQ(copy.result().code, 2001U);
}

TEST(AvpSnapshotTest, LeavesOutTheSkippedModels) {
  const auto& d = defs();
  const Message request = Dlr{}.build();
  const auto all = AvpSnapshot::of(request);
  const auto some = AvpSnapshot::of(request, {&d.session_id, &d.user_name});
  EXPECT_EQ(all.size(), 7U);
  EXPECT_EQ(some.size(), 5U);
  EXPECT_TRUE(AvpSnapshot{}.empty());
}

TEST(AvpSnapshotTest, RefusesAnEmptyMessage) {
  EXPECT_THROW(AvpSnapshot::of(Message{}), MessageError);
}

// ---- key and fingerprint ----------------------------------------------------

TEST(DuplicateKeyTest, TakesOriginHostWithoutCaseAndTheEndToEndId) {
  Dlr upper;
  upper.origin_host = "AAA.Visited.Example";
  const auto k = DuplicateKey::of(upper.build());
  EXPECT_EQ(k.origin_host, "aaa.visited.example");
  EXPECT_EQ(k.end_to_end_id, 0x5eed0001U);
  EXPECT_EQ(k, DuplicateKey::of(Dlr{}.build()));
}

TEST(DuplicateKeyTest, RequestWithoutOriginHostHasNoKey) {
  ::msg* m = nullptr;
  ASSERT_EQ(fd_msg_new(defs().dlr.model(), 0, &m), 0);
  const Message bare(m);
  EXPECT_THROW(DuplicateKey::of(bare), MessageError);
}

TEST(RequestFingerprintTest, IgnoresWhatARetransmissionMayChange) {
  const auto base = fingerprint_of(Dlr{}.build());
  Dlr retransmitted;
  retransmitted.t_flag = true;
  retransmitted.hop_by_hop = 0x200;
  retransmitted.route_record = {"relay.example"};
  retransmitted.proxy = {{"proxy.example", "state"}};
  EXPECT_EQ(fingerprint_of(retransmitted.build()), base);
}

TEST(RequestFingerprintTest, DiffersForAnotherRequest) {
  const auto base = fingerprint_of(Dlr{}.build());
  Dlr other_user;
  other_user.user = "bob@home.example";
  EXPECT_NE(fingerprint_of(other_user.build()), base);
  Dlr other_session;
  other_session.session = "aaa.visited.example;1;2;dlr";
  EXPECT_NE(fingerprint_of(other_session.build()), base);
  EXPECT_THROW(fingerprint_of(Message{}), MessageError);
}

// ---- the dispatch path --------------------------------------------------------

TEST(DuplicateDetectorTest, RepeatsGetTheFirstAnswerWithoutRunningTheHandler) {
  DuplicateDetector detector;
  Outbox outbox;
  Dispatch dispatch{detector, outbox};
  dispatch(Dlr{}, grant);

  Dlr plain;
  plain.hop_by_hop = 0x200;
  Dlr failover;  // RFC 6733 sec. 3: same End-to-End-Identifier, T flag
  failover.hop_by_hop = 0x300;
  failover.t_flag = true;
  dispatch(plain, grant);
  dispatch(failover, grant);

  EXPECT_EQ(dispatch.handled, 1);
  ASSERT_EQ(outbox.answers.size(), 3U);
  const auto first = wire(outbox.answers[0]);
  for (std::size_t i = 1; i < 3; ++i) {
    const auto again = wire(outbox.answers[i]);
    EXPECT_EQ(without_header_ids(again), without_header_ids(first));
    EXPECT_TRUE(std::equal(first.begin() + 16, first.begin() + 20, again.begin() + 16));  // End-to-End
  }
  EXPECT_EQ(hop_by_hop_of(outbox.answers[1]), 0x200U);
  EXPECT_EQ(hop_by_hop_of(outbox.answers[2]), 0x300U);
}

TEST(DuplicateDetectorTest, RepeatWhileTheFirstIsHandledGetsItsAnswer) {
  DuplicateDetector detector;
  Outbox outbox;
  Dispatch dispatch{detector, outbox};
  std::optional<PendingRequest> in_progress;
  dispatch(Dlr{}, [&](PendingRequest& r) { in_progress.emplace(std::move(r)); });

  Dlr repeat;
  repeat.hop_by_hop = 0x200;
  repeat.t_flag = true;
  dispatch(repeat, grant);
  EXPECT_EQ(dispatch.handled, 1);
  EXPECT_TRUE(outbox.answers.empty());

  grant(*in_progress);
  ASSERT_EQ(outbox.answers.size(), 2U);
  EXPECT_EQ(without_header_ids(wire(outbox.answers[1])), without_header_ids(wire(outbox.answers[0])));
  EXPECT_EQ(hop_by_hop_of(outbox.answers[1]), 0x200U);
}

TEST(DuplicateDetectorTest, RepeatsBeyondTheHeldLimitAreDropped) {
  DuplicatePolicy policy;
  policy.max_held_repeats = 1;
  DuplicateDetector detector(policy);
  Outbox outbox;
  Dispatch dispatch{detector, outbox};
  std::optional<PendingRequest> in_progress;
  dispatch(Dlr{}, [&](PendingRequest& r) { in_progress.emplace(std::move(r)); });
  dispatch(Dlr{}, grant);
  dispatch(Dlr{}, grant);

  grant(*in_progress);
  EXPECT_EQ(dispatch.handled, 1);
  EXPECT_EQ(outbox.answers.size(), 2U);  // the first and the one held
}

TEST(DuplicateDetectorTest, AnswerToARepeatCarriesTheRepeatsProxyInfo) {
  const auto& d = defs();
  DuplicateDetector detector;
  Outbox outbox;
  Dispatch dispatch{detector, outbox};
  Dlr first;
  first.proxy = {{"proxy1.example", "one"}};
  Dlr repeat;
  repeat.proxy = {{"proxy2.example", "two"}};
  dispatch(first, grant);
  dispatch(repeat, grant);

  EXPECT_EQ(dispatch.handled, 1);
  ASSERT_EQ(outbox.answers.size(), 2U);
  const auto proxy_host_of = [&](const Message& m) {
    auto p = m.find(d.proxy_info);
    return p ? std::string(p->child(d.proxy_host)->str()) : std::string();
  };
  EXPECT_EQ(proxy_host_of(outbox.answers[0]), "proxy1.example");
  EXPECT_EQ(proxy_host_of(outbox.answers[1]), "proxy2.example");
  EXPECT_EQ(tsk_key_in(outbox.answers[1]), tsk_key_in(outbox.answers[0]));
}

TEST(DuplicateDetectorTest, EndToEndIdReusedForAnotherRequestIsHandledAsNew) {
  DuplicateDetector detector;
  Outbox outbox;
  Dispatch dispatch{detector, outbox};
  Dlr alice;
  alice.end_to_end = 0;  // a sender without MSGFL_ALLOC_ETEID (notes sec. 7.4)
  Dlr bob = alice;
  bob.user = "bob@home.example";
  bob.session = "aaa.visited.example;1;2;dlr";
  dispatch(alice, grant);
  dispatch(bob, grant);
  dispatch(alice, grant);

  EXPECT_EQ(dispatch.handled, 2);
  ASSERT_EQ(outbox.answers.size(), 3U);
  EXPECT_EQ(tsk_key_in(outbox.answers[1]), tsk_for(bob.user));
  EXPECT_EQ(tsk_key_in(outbox.answers[2]), tsk_for(alice.user));  // alice's entry survived
}

TEST(DuplicateDetectorTest, ProtocolErrorIsNotReplayed) {
  DuplicateDetector detector;
  Outbox outbox;
  Dispatch dispatch{detector, outbox};
  const auto busy = [](PendingRequest& r) { r.answer(Outcome::base(ResultCode::TooBusy, "try again")); };
  dispatch(Dlr{}, busy);
  ASSERT_EQ(outbox.answers.size(), 1U);
  EXPECT_TRUE(outbox.answers[0].error_bit());

  dispatch(Dlr{}, grant);
  EXPECT_EQ(dispatch.handled, 2);
  ASSERT_EQ(outbox.answers.size(), 2U);
  EXPECT_TRUE(outbox.answers[1].result().is_success());
}

TEST(DuplicateDetectorTest, AbandonedFirstRequestsAnswerIsTheOneReplayed) {
  DuplicateDetector detector;
  Outbox outbox;
  Dispatch dispatch{detector, outbox};
  dispatch(Dlr{}, [](PendingRequest&) {});  // destroyed unanswered: 5012
  dispatch(Dlr{}, grant);

  EXPECT_EQ(dispatch.handled, 1);
  ASSERT_EQ(outbox.answers.size(), 2U);
  EXPECT_EQ(outbox.answers[1].result().code, static_cast<std::uint32_t>(ResultCode::UnableToComply));
  EXPECT_TRUE(tsk_key_in(outbox.answers[1]).empty());
}

TEST(DuplicateDetectorTest, RepeatAfterTheWindowRunsTheHandlerAgain) {
  FakeClock clock;
  DuplicatePolicy policy;
  policy.window = 240s;
  DuplicateDetector detector(policy, clock.clock());
  Outbox outbox;
  Dispatch dispatch{detector, outbox};
  dispatch(Dlr{}, grant);
  clock.advance(239s);
  dispatch(Dlr{}, grant);
  EXPECT_EQ(dispatch.handled, 1);
  clock.advance(1s);
  dispatch(Dlr{}, grant);
  EXPECT_EQ(dispatch.handled, 2);
  EXPECT_EQ(detector.sweep(), 0U);  // the new first request is within its window
  EXPECT_EQ(detector.cache().size(), 1U);
}

TEST(DuplicateDetectorTest, RequestWithoutKeyIsHandled) {
  DuplicateDetector detector;
  Outbox outbox;
  ::msg* m = nullptr;
  ASSERT_EQ(fd_msg_new(defs().dlr.model(), 0, &m), 0);
  PendingRequest bare{Message(m), outbox.sender()};
  EXPECT_TRUE(detector.screen(bare, "Delegation-Request"));
  EXPECT_FALSE(bare.answered());
  EXPECT_EQ(detector.cache().size(), 0U);
  bare.answer(Outcome::base(ResultCode::UnableToComply, "test"));
}

}  // namespace
}  // namespace roamkey::diameter
