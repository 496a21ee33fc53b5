#include "eap_tsk_server.h"

#include <spdlog/spdlog.h>

#include <variant>

#include "crypto/kdf.h"
#include "eaptsk/eap.h"
#include "log/log_event.h"
#include "log/logged_nai.h"

namespace roamkey::visited {

namespace {

// The DEA's Result-Code for the log line (RFC 4072 sec. 4.1: an EAP-Failure
// goes with DIAMETER_AUTHENTICATION_REJECTED).
constexpr std::uint32_t kAccepted = 2001;
constexpr std::uint32_t kRejected = 4001;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// RFC 7542 sec. 2.2: the realm is what follows the last "@"; it routes the
// DLR (protocol.md sec. 1, Destination-Realm).
std::string home_realm_of(std::string_view nai) {
  const auto at = nai.rfind('@');
  if (at == std::string_view::npos || at + 1 >= nai.size()) return {};
  return crypto::lower_realm(nai.substr(at + 1));
}

eaptsk::Vector to_vector(const VectorLease& lease) {
  eaptsk::Vector v;
  v.rand.assign(lease.rand.begin(), lease.rand.end());
  v.generation = lease.generation;
  v.tsk = lease.tsk;
  return v;
}

}  // namespace

struct EapTskServer::Conversation {
  Conversation(std::string_view realm, crypto::RandomSource& random) : auth(realm, random) {}
  eaptsk::Authenticator auth;
  ReplyFn reply;  // set while a DER waits for its DEA
  std::string client;
  std::string nai;
  std::string home_realm;
  Clock::time_point tsk_expires{};
  Clock::time_point vector_at{};  // when the vector in use was handed to this conversation
  Clock::time_point started{};    // its first DER
  bool from_home = false;         // this conversation's vector came with a DLR
};

EapTskServer::EapTskServer(EapServerOptions options, TskCache& cache, HomeLink& home, crypto::RandomSource& random,
                           Now now)
    : options_(std::move(options)),
      cache_(cache),
      home_(home),
      random_(random),
      now_(std::move(now)),
      table_(options_.max_conversations, options_.conversation_timeout) {}

std::string_view reject_reason_label(std::size_t index) {
  static constexpr std::array<std::string_view, kRejectReasons> kLabels = {
      "invalid_identity",   "method_rejected",    "vector_unavailable",  "stale_generation", "malformed_message",
      "unexpected_message", "invalid_mac",        "network_auth_failed", "home_auth_failed", "update_rejected",
      "peer_error",         "delegation_revoked", "protocol_state"};
  return index < kLabels.size() ? kLabels[index] : "unknown";
}

EapServerStats EapTskServer::stats() const {
  EapServerStats s{accepted_.load(), rejected_.load(), abandoned_.load(), {}, abandoned_waiting_home_.load(),
                   too_busy_.load()};
  for (std::size_t i = 0; i < kRejectReasons; ++i) s.rejected_by[i] = rejected_by_[i].load(std::memory_order_relaxed);
  return s;
}

void EapTskServer::count_rejection(Conversation& c, std::size_t reason) {
  rejected_.fetch_add(1, std::memory_order_relaxed);
  rejected_by_[reason].fetch_add(1, std::memory_order_relaxed);
  metrics::observe(durations_, std::chrono::duration<double>(now_() - c.started).count());
}

void EapTskServer::handle(EapRequest request, ReplyFn reply) {
  const auto now = now_();
  const auto inserted = table_.emplace(request.session_id, now, options_.realm, random_);
  if (inserted == ConversationInsert::kFull) {
    too_busy_.fetch_add(1, std::memory_order_relaxed);
    reply({EapReply::Kind::TooBusy, {}, {}, {}, 0, {}, "too many conversations in progress"});
    return;
  }
  const bool fresh = inserted == ConversationInsert::kInserted;
  auto pending = std::make_shared<ReplyFn>(std::move(reply));
  const bool found = table_.with(request.session_id, [&](Conversation& c) {
    if (c.reply) {
      // RFC 4072 sec. 3: one DER at a time per session; the earlier one is
      // still waiting on the home domain.
      (*pending)({EapReply::Kind::Error, {}, {}, {}, 0, {}, "DER while the previous one is unanswered"});
      return;
    }
    c.reply = std::move(*pending);
    c.client = request.client;
    if (fresh) c.started = now;
    table_.touch(request.session_id, now);
    if (!c.nai.empty() && revoked_since(c.nai, c.vector_at)) {
      count_rejection(c, static_cast<std::size_t>(RejectReason::kRevoked));
      const log::EventScope event{{"DER", c.client, kRejected, c.nai}};
      spdlog::warn("rejected nai={} client={}: the home revoked the delegation during the conversation",
                   log::nai(c.nai), c.client);
      finish(request.session_id, c,
             {EapReply::Kind::Reject, failure_packet(c, "delegation revoked"), {}, {}, 0, c.nai, "delegation revoked"});
      return;
    }
    try {
      if (fresh && request.eap_payload.empty())
        act(request.session_id, c, c.auth.start());
      else
        act(request.session_id, c, c.auth.on_response(request.eap_payload));
    } catch (const std::logic_error& e) {
      // A state the Authenticator does not expect input in: end it cleanly.
      count_rejection(c, static_cast<std::size_t>(RejectReason::kProtocolState));
      finish(request.session_id, c,
             {EapReply::Kind::Reject,
              failure_packet(c, "protocol state"),
              {},
              {},
              0,
              {},
              std::string("protocol state: ") + e.what()});
    }
  });
  if (!found && *pending)
    (*pending)({EapReply::Kind::Error, {}, {}, {}, 0, {}, "conversation ended while the request was processed"});
}

void EapTskServer::act(const std::string& session_id, Conversation& c, Action action) {
  std::visit(Overloaded{
                 [&](eaptsk::SendRequest& s) {
                   respond(c, {EapReply::Kind::Continue, std::move(s.packet), {}, {}, 0, {}, {}});
                 },
                 [&](eaptsk::NeedVector& n) { need_vector(session_id, c, n); },
                 [&](eaptsk::NeedHomeAuth& h) { need_home_auth(session_id, c, h); },
                 [&](eaptsk::Success& s) {
                   const auto now = now_();
                   settle_update(c, s.update, s.update_generation);
                   accepted_.fetch_add(1, std::memory_order_relaxed);
                   metrics::observe(durations_, std::chrono::duration<double>(now - c.started).count());
                   // Per-authentication success is debug: at info it costs a
                   // flushed write per authentication (issue 4); Housekeeping
                   // logs a summary every minute instead. Failures stay warn.
                   const log::EventScope event{{"DER", c.client, kAccepted, c.nai}};
                   spdlog::debug("authenticated nai={} client={} generation={} vector={} home_auth={}", log::nai(c.nai),
                                 c.client, s.generation, c.from_home ? "home" : "cache",
                                 s.home_authenticated ? "yes" : "no");
                   const auto left = std::chrono::duration_cast<std::chrono::seconds>(c.tsk_expires - now).count();
                   EapReply r{EapReply::Kind::Accept,
                              std::move(s.packet),
                              std::move(s.msk),
                              std::move(s.session_id),
                              static_cast<std::uint32_t>(std::max<long long>(left, 1)),
                              c.nai,
                              {}};
                   finish(session_id, c, std::move(r));
                 },
                 [&](eaptsk::Failure& f) {
                   settle_update(c, f.update, f.update_generation);
                   count_rejection(c, static_cast<std::size_t>(f.reason));
                   const log::EventScope event{{"DER", c.client, kRejected, c.nai}};
                   spdlog::warn("rejected nai={} client={}: {} ({})", log::nai(c.nai.empty() ? "-" : c.nai), c.client,
                                eaptsk::failure_reason_name(f.reason), f.detail);
                   finish(session_id, c,
                          {EapReply::Kind::Reject,
                           std::move(f.packet),
                           {},
                           {},
                           0,
                           c.nai,
                           std::string(eaptsk::failure_reason_name(f.reason)) + ": " + f.detail});
                 },
             },
             action);
}

void EapTskServer::need_vector(const std::string& session_id, Conversation& c, const eaptsk::NeedVector& need) {
  c.nai = need.nai;
  c.home_realm = home_realm_of(need.nai);
  if (c.home_realm.empty()) {
    act(session_id, c, c.auth.vector_unavailable("the NAI names no realm"));
    return;
  }
  const auto now = now_();
  // sec. 5 step 2: the peer holds a newer generation; drop what we cached.
  if (need.refresh && need.min_generation > 0) cache_.invalidate(need.nai, need.min_generation - 1);

  auto acquired =
      cache_.acquire_or_wait(need.nai, now, [this, session_id](FetchResult r) { on_vector(session_id, std::move(r)); });
  if (acquired.lease) {
    c.tsk_expires = acquired.lease->expires;
    c.vector_at = now;
    auto action = c.auth.provide_vector(to_vector(*acquired.lease));
    if (auto pending = cache_.pending(need.nai, now)) c.auth.set_pending_update(to_vector(*pending));
    act(session_id, c, std::move(action));
    return;
  }
  c.from_home = true;
  if (acquired.must_fetch) fetch(need.nai, c.home_realm);
}

void EapTskServer::fetch(const std::string& nai, const std::string& home_realm) {
  home_.request_vector(nai, home_realm, [this, nai, home_realm](std::optional<DelegatedVector> v, std::string why) {
    if (!v) {
      spdlog::warn("no vector for nai={} from realm {}: {}", log::nai(nai), home_realm, why);
      cache_.fail_fetch(nai, why);
      return;
    }
    const auto completion = cache_.complete_fetch(nai, *v, now_());
    // TSK-Max-Uses smaller than the number of conversations waiting.
    if (completion.fetch_again) fetch(nai, home_realm);
  });
}

void EapTskServer::on_vector(const std::string& session_id, FetchResult result) {
  table_.with(session_id, [&](Conversation& c) {
    if (c.auth.state() != eaptsk::Authenticator::State::AwaitVector) return;
    if (!result.lease) {
      act(session_id, c, c.auth.vector_unavailable(result.failure));
      return;
    }
    const auto now = now_();
    c.tsk_expires = result.lease->expires;
    c.vector_at = now;
    auto action = c.auth.provide_vector(to_vector(*result.lease));
    if (auto pending = cache_.pending(c.nai, now)) c.auth.set_pending_update(to_vector(*pending));
    act(session_id, c, std::move(action));
  });
}

void EapTskServer::need_home_auth(const std::string& session_id, Conversation& c, const eaptsk::NeedHomeAuth& need) {
  HomeAuthQuery q{need.nai, c.home_realm, need.rand, need.generation, need.host_challenge, need.mn_auth};
  home_.request_home_auth(q, [this, session_id](std::optional<crypto::Bytes> home_auth, std::string why) {
    table_.with(session_id, [&](Conversation& c) {
      if (c.auth.state() != eaptsk::Authenticator::State::AwaitHomeAuth) return;
      // sec. 5 step 4: a failed HAR sends the Confirm without AT_HOME_AUTH.
      if (!home_auth) spdlog::warn("home authentication for nai={} failed: {}", log::nai(c.nai), why);
      act(session_id, c, c.auth.provide_home_auth(std::move(home_auth)));
    });
  });
}

// sec. 5 step 11: only a verified RES_U replaces the TSK; any failure keeps
// the old one. Either way the home hears how it ended (KUR).
void EapTskServer::settle_update(Conversation& c, eaptsk::UpdateResult result,
                                 std::optional<std::uint32_t> generation) {
  if (result == eaptsk::UpdateResult::NotAttempted || !generation) return;
  const bool updated = result == eaptsk::UpdateResult::Updated;
  if (updated)
    cache_.promote_pending(c.nai, *generation, now_());
  else
    cache_.drop_pending(c.nai, *generation);
  spdlog::info("key update nai={} generation={}: {}", log::nai(c.nai), *generation,
               updated ? "UPDATED" : "REJECTED_BY_MN");
  if (updates_ != nullptr)
    updates_->report(c.nai, c.home_realm, *generation,
                     updated ? KeyUpdateStatus::Updated : KeyUpdateStatus::RejectedByMn);
}

crypto::Bytes EapTskServer::failure_packet(Conversation& c, std::string_view why) {
  if (!c.auth.done()) {
    try {
      auto action = c.auth.abort(why);
      if (auto* f = std::get_if<eaptsk::Failure>(&action)) return std::move(f->packet);
    } catch (const std::logic_error&) {
    }
  }
  return eaptsk::build_failure(0);
}

void EapTskServer::revoke(const std::string& nai) {
  std::lock_guard lock(revoked_mutex_);
  revoked_[nai] = now_();
}

bool EapTskServer::revoked_since(const std::string& nai, Clock::time_point since) {
  std::lock_guard lock(revoked_mutex_);
  const auto it = revoked_.find(nai);
  return it != revoked_.end() && it->second >= since;
}

void EapTskServer::respond(Conversation& c, EapReply reply) {
  auto fn = std::move(c.reply);
  c.reply = nullptr;
  if (fn) fn(std::move(reply));
}

void EapTskServer::finish(const std::string& session_id, Conversation& c, EapReply reply) {
  respond(c, std::move(reply));
  table_.erase(session_id);
}

std::size_t EapTskServer::sweep() {
  const auto now = now_();
  auto expired = table_.sweep(now);
  for (auto& e : expired) {
    abandoned_.fetch_add(1, std::memory_order_relaxed);
    auto& c = *e.conversation;
    if (c.reply) {
      abandoned_waiting_home_.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("conversation {} nai={} timed out waiting for the home domain", e.session_id, log::nai(c.nai));
      respond(c, {EapReply::Kind::Reject, failure_packet(c, "timed out"), {}, {}, 0, c.nai, "timed out"});
    } else {
      spdlog::debug("conversation {} nai={} abandoned by the client", e.session_id, log::nai(c.nai));
    }
  }
  cache_.expire_fetches(now);
  {
    // A revocation matters only to conversations that were under way.
    std::lock_guard lock(revoked_mutex_);
    std::erase_if(revoked_, [&](const auto& kv) { return kv.second + options_.conversation_timeout < now; });
  }
  return expired.size();
}

}  // namespace roamkey::visited
