#pragma once
// The visited domain's EAP-TSK service (protocol.md sec. 4 and 5): one
// Authenticator per Diameter EAP conversation, vectors from the TskCache or,
// on a miss, from the home domain, without ever blocking the caller's
// thread on the home. Free of Diameter I/O: DerPath feeds it requests and
// turns its replies into DEAs.
//
// Threads: handle() runs on a Diameter dispatch thread; completions from the
// home run on whichever thread delivers the answer; sweep() on a timer.
// Each conversation is processed by one thread at a time
// (ConversationTable::with).

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "conversation_table.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "eaptsk/authenticator.h"
#include "home_link.h"
#include "metrics/distribution.h"
#include "tsk_cache.h"
#include "update_sink.h"

namespace roamkey::visited {

struct EapRequest {
  std::string session_id;
  std::string user_name;      // User-Name of the DER, may be empty
  crypto::Bytes eap_payload;  // empty: start with EAP-Request/Identity (sec. 4)
  std::string client;         // Origin-Host of the AAA client, for logs
};

struct EapReply {
  enum class Kind { Continue, Accept, Reject, TooBusy, Error };
  Kind kind = Kind::Reject;
  crypto::Bytes eap_payload;
  // Accept only:
  crypto::SecretBytes msk;
  crypto::Bytes key_name;
  std::uint32_t session_timeout = 0;
  std::string user_name;
  std::string reason;  // Reject/TooBusy/Error: why, for the log; never key material
};

using ReplyFn = std::function<void(EapReply)>;

struct EapServerOptions {
  std::string realm;  // this visited domain's realm (AT_REALM, the derivations)
  std::size_t max_conversations = 10'000;
  std::chrono::seconds conversation_timeout{30};
};

// Why a conversation was rejected: every eaptsk::FailureReason, then the
// two ways the service itself ends one.
inline constexpr std::size_t kFailureReasons = static_cast<std::size_t>(eaptsk::FailureReason::PeerError) + 1;
enum class RejectReason : std::size_t {
  kRevoked = kFailureReasons,  // the home revoked the delegation during the conversation
  kProtocolState,              // input the state machine does not take in its state
  kCount
};
inline constexpr std::size_t kRejectReasons = static_cast<std::size_t>(RejectReason::kCount);
// A stable snake_case name for each index (metrics label values).
std::string_view reject_reason_label(std::size_t index);

struct EapServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t abandoned = 0;
  std::array<std::uint64_t, kRejectReasons> rejected_by{};  // sums to `rejected`
  std::uint64_t abandoned_waiting_home = 0;                 // of `abandoned`: a DER was waiting on the home
  std::uint64_t too_busy = 0;                               // new conversations refused: the table was full
};

class EapTskServer {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  EapTskServer(EapServerOptions options, TskCache& cache, HomeLink& home, crypto::RandomSource& random,
               Now now = Clock::now);

  // One DER. `reply` runs exactly once, possibly later on another thread.
  void handle(EapRequest request, ReplyFn reply);

  // Where key-update outcomes go (the KUR sender); may stay unset.
  void set_update_sink(UpdateSink* sink) { updates_ = sink; }
  // Where each accepted or rejected authentication's duration goes, in
  // seconds from its first DER to its last DEA; may stay unset.
  void set_duration_sink(metrics::Distribution* sink) { durations_ = sink; }
  // A Delegation-Revoke for nai: its conversations in progress fail at
  // their next message (issue 3), new ones fetch a fresh vector.
  void revoke(const std::string& nai);

  // Frees conversations idle past their deadline; one that still owed an
  // answer is rejected. Returns how many were freed.
  std::size_t sweep();
  std::size_t conversations() const { return table_.size(); }
  EapServerStats stats() const;

 private:
  struct Conversation;
  using Action = eaptsk::Action;

  // Carries out `action` for the conversation; called with its lock held.
  void act(const std::string& session_id, Conversation& c, Action action);
  void need_vector(const std::string& session_id, Conversation& c, const eaptsk::NeedVector& need);
  void need_home_auth(const std::string& session_id, Conversation& c, const eaptsk::NeedHomeAuth& need);
  void fetch(const std::string& nai, const std::string& home_realm);
  void on_vector(const std::string& session_id, FetchResult result);
  void finish(const std::string& session_id, Conversation& c, EapReply reply);
  void count_rejection(Conversation& c, std::size_t reason);
  void respond(Conversation& c, EapReply reply);
  void settle_update(Conversation& c, eaptsk::UpdateResult result, std::optional<std::uint32_t> generation);
  bool revoked_since(const std::string& nai, Clock::time_point since);
  // EAP-Failure ending c, with the identifier its peer expects.
  static crypto::Bytes failure_packet(Conversation& c, std::string_view why);

  EapServerOptions options_;
  TskCache& cache_;
  HomeLink& home_;
  crypto::RandomSource& random_;
  Now now_;
  ConversationTable<Conversation> table_;
  std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, abandoned_{0};
  std::array<std::atomic<std::uint64_t>, kRejectReasons> rejected_by_{};
  std::atomic<std::uint64_t> abandoned_waiting_home_{0}, too_busy_{0};
  UpdateSink* updates_ = nullptr;
  metrics::Distribution* durations_ = nullptr;
  std::mutex revoked_mutex_;
  std::unordered_map<std::string, Clock::time_point> revoked_;  // NAI -> when; pruned by sweep()
};

}  // namespace roamkey::visited
