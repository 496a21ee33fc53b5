#pragma once
// Duplicate detection for received requests (protocol.md sec. 3, RFC 6733
// sec. 3 "T flag" and appendix C): a request repeating the (Origin-Host,
// End-to-End-Identifier) of a request seen within the window gets the answer
// the first one got, and its handler does not run again, so a retried DLR
// never costs a second key generation. freeDiameter 1.2.1 has no duplicate
// detection of its own (notes sec. 5 and 7.4).
//
// How a repeat is treated (the T flag plays no part in the lookup: a plain
// repeat and a T-flagged one are alike, RFC 6733 appendix C):
// * first answer already sent: the repeat is answered at once with a copy of
//   that answer's AVPs; it gets its own Hop-by-Hop-Identifier, Session-Id and
//   Proxy-Info (RFC 6733 sec. 6.2), the End-to-End-Identifier is the same;
// * first still being handled (asynchronous handlers): the repeat is held and
//   answered the moment the first answer is produced. A requester that failed
//   over (the usual source of T-flagged repeats) may never see the first
//   answer, so it must get one for the repeat without having to retry again.
//   At most DuplicatePolicy::max_held_repeats are held per request; beyond
//   that a repeat is dropped unanswered (the held ones carry the answer);
// * the key was seen, but for a different request (a sender that reuses
//   End-to-End-Identifiers, such as one built without MSGFL_ALLOC_ETEID,
//   notes sec. 7.4): handled as a new request and not remembered. Handing one
//   subscriber's TSK to another subscriber's DLR would be far worse than a
//   second key generation. "Different" is judged by RequestFingerprint.
//
// Which answers are remembered: every answer except protocol errors (E bit,
// RFC 6733 sec. 7.1.3, e.g. 3004 DIAMETER_TOO_BUSY). Those mean the request
// was not processed and invite the requester to try again, so replaying them
// for four minutes would turn a passing overload into a four-minute outage;
// repeats held at that moment still get the protocol error, later ones are
// handled afresh. When the first request ends without a remembered answer
// (shutdown, an answer that could not be built or copied), the key is
// forgotten too and its held repeats are released: each then answers
// DIAMETER_UNABLE_TO_COMPLY as any abandoned PendingRequest does (none while
// the Stack stops).
//
// Window and memory: an entry lives `window` from the first request's arrival
// (repeats do not extend it) and is treated as absent once that has passed,
// whether or not the sweep (Stack timer, every window/8, at most 30 s) has
// removed it yet. At most `max_entries` are kept; a new request evicts the
// oldest. An entry evicted while its request is still being handled still
// answers the repeats it holds. One entry is about 1-2 KiB for the answers of
// protocol.md sec. 3. Remembered answers stay in memory only; their octet
// strings (TSK-Key included) are wiped when the entry goes (AvpSnapshot) and
// are never logged.
//
// Thread safety: every member may be called from any thread (dispatch
// threads, application threads answering later, the Stack's timer thread).
// No lock is held while a handler runs or an answer is sent.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "diameter/message.h"

namespace roamkey::diameter {

class PendingRequest;

struct DuplicatePolicy {
  // RFC 6733 appendix C and protocol.md sec. 3: four minutes.
  std::chrono::seconds window{240};
  std::size_t max_entries = 50'000;
  std::size_t max_held_repeats = 16;
};

struct DuplicateKey {
  // Lower-cased: Diameter identities are FQDNs, which compare without case.
  std::string origin_host;
  std::uint32_t end_to_end_id = 0;

  // Throws MessageError when the request has no Origin-Host.
  static DuplicateKey of(const Message& request);
  friend bool operator==(const DuplicateKey&, const DuplicateKey&) = default;
};

struct DuplicateKeyHash {
  std::size_t operator()(const DuplicateKey& k) const noexcept;
};

// SHA-256 over the command code, the Application-Id and the request's AVPs
// as they are on the wire, leaving out what may differ between a request and
// its retransmission: the header's flags (T) and Hop-by-Hop-Identifier, and
// the AVPs relays and proxies add on the way (Route-Record, Proxy-Info).
using RequestFingerprint = std::array<std::uint8_t, 32>;
RequestFingerprint fingerprint_of(const Message& request);

// What a repeat is answered with.
struct RememberedAnswer {
  // Every AVP of the first answer except Session-Id and Proxy-Info, which
  // the answer to the repeat takes from the repeat itself.
  AvpSnapshot avps;
  // E bit: the answer is built on the generic error model (RFC 6733 sec.
  // 7.1.3).
  bool protocol_error = false;

  static RememberedAnswer of(const Message& answer);
};
using RememberedAnswerPtr = std::shared_ptr<const RememberedAnswer>;

class DuplicateTicket;

// The record of requests seen in the window; knows nothing of how requests
// are answered (DuplicateDetector does that).
class DuplicateCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Answers one held repeat. Called once, with no lock held; must not throw.
  using Waiter = std::function<void(const RememberedAnswer&)>;

  enum class Verdict {
    First,      // not seen in the window: handle it; the ticket records its answer
    Replay,     // answer with `answer`
    Held,       // the waiter was taken and runs when the first is answered
    Dropped,    // already max_held_repeats held: drop it unanswered
    Collision,  // key seen for a different request: handle it, not remembered
  };
  struct Admission {
    Verdict verdict = Verdict::First;
    std::shared_ptr<DuplicateTicket> ticket;  // First only
    RememberedAnswerPtr answer;               // Replay only
  };

  explicit DuplicateCache(DuplicatePolicy policy = {}, Clock clock = &std::chrono::steady_clock::now);
  ~DuplicateCache();
  DuplicateCache(const DuplicateCache&) = delete;
  DuplicateCache& operator=(const DuplicateCache&) = delete;

  // Looks the key up and records it when new. `waiter` is moved from only
  // when the verdict is Held.
  Admission admit(const DuplicateKey& key, const RequestFingerprint& fingerprint, Waiter& waiter);
  // Removes the entries whose window has passed; returns how many.
  std::size_t sweep();
  std::size_t size() const;
  const DuplicatePolicy& policy() const;

 private:
  friend class DuplicateTicket;
  struct Core;
  struct Entry;
  std::shared_ptr<Core> core_;
};

// Owned by the PendingRequest of a first request: records its answer for the
// repeats, and answers the repeats held meanwhile. Destroyed without
// complete(), it forgets the key and releases the held repeats unanswered.
class DuplicateTicket {
 public:
  DuplicateTicket(std::shared_ptr<DuplicateCache::Core> core, std::shared_ptr<DuplicateCache::Entry> entry);
  ~DuplicateTicket();
  DuplicateTicket(const DuplicateTicket&) = delete;
  DuplicateTicket& operator=(const DuplicateTicket&) = delete;

  // Remembers the answer (unless it is a protocol error) and runs the held
  // repeats' waiters on this thread.
  void complete(RememberedAnswer answer);

 private:
  std::shared_ptr<DuplicateCache::Core> core_;
  std::shared_ptr<DuplicateCache::Entry> entry_;
  bool completed_ = false;
};

// The Stack's side: screens each request of a command that opted in
// (RequestOptions::detect_duplicates) before its handler runs. Logs repeats
// at debug level (with the T flag), identifier reuse at warning level.
class DuplicateDetector {
 public:
  explicit DuplicateDetector(DuplicatePolicy policy = {},
                             DuplicateCache::Clock clock = &std::chrono::steady_clock::now);

  // True: run the handler (a first request, which then carries the ticket
  // that remembers its answer, or an identifier reused for another request).
  // False: the request was answered from the cache, held, or dropped; it has
  // been moved out of `request`.
  bool screen(PendingRequest& request, std::string_view command);

  std::size_t sweep() { return cache_.sweep(); }
  const DuplicateCache& cache() const { return cache_; }

 private:
  static void answer_repeat(PendingRequest& repeat, const RememberedAnswer& answer, std::string_view command,
                            const DuplicateKey& key);

  DuplicateCache cache_;
};

}  // namespace roamkey::diameter
