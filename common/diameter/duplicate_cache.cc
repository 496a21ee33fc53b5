#include "diameter/duplicate_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iterator>
#include <list>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "diameter/fd_includes.h"
#include "diameter/stack.h"

namespace roamkey::diameter {

// ---- key and fingerprint ----------------------------------------------------

DuplicateKey DuplicateKey::of(const Message& request) {
  static const AvpDef origin_host = AvpDef::named("Origin-Host");
  const auto host = request.find(origin_host);
  if (!host) throw MessageError("request without Origin-Host");
  DuplicateKey k;
  k.origin_host.reserve(host->str().size());
  for (const char c : host->str())
    k.origin_host.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  k.end_to_end_id = request.end_to_end_id();
  return k;
}

std::size_t DuplicateKeyHash::operator()(const DuplicateKey& k) const noexcept {
  const std::size_t h = std::hash<std::string>{}(k.origin_host);
  return h ^ (std::hash<std::uint32_t>{}(k.end_to_end_id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

namespace {

// The serialised request may carry key material (a KPR's TSK-Vector).
struct WipedBuffer {
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  WipedBuffer() = default;
  WipedBuffer(const WipedBuffer&) = delete;
  WipedBuffer& operator=(const WipedBuffer&) = delete;
  ~WipedBuffer() {
    if (data == nullptr) return;
    OPENSSL_cleanse(data, size);
    std::free(data);  // NOLINT(cppcoreguidelines-no-malloc): fd_msg_bufferize allocates with malloc
  }
};

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("SHA-256 is not available");
  }
  void update(const std::uint8_t* p, std::size_t n) {
    if (EVP_DigestUpdate(ctx_.get(), p, n) != 1) throw std::runtime_error("SHA-256 failed");
  }
  RequestFingerprint finish() {
    RequestFingerprint out{};
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &n) != 1 || n != out.size())
      throw std::runtime_error("SHA-256 failed");
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx_;
};

std::uint32_t load24(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 16) | (static_cast<std::uint32_t>(p[1]) << 8) | p[2];
}

std::uint32_t load32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | load24(p + 1);
}

}  // namespace

RequestFingerprint fingerprint_of(const Message& request) {
  if (!request) throw MessageError("empty message");
  WipedBuffer wire;
  if (fd_msg_bufferize(request.get(), &wire.data, &wire.size) != 0 || wire.data == nullptr)
    throw MessageError("cannot serialise the request");
  // RFC 6733 sec. 3: a 20-byte header, then AVPs, each padded to 4 bytes
  // (sec. 4.1).
  constexpr std::size_t kHeader = 20;
  constexpr std::size_t kAvpHeader = 8;
  if (wire.size < kHeader) throw MessageError("request shorter than a Diameter header");
  Sha256 digest;
  digest.update(wire.data + 5, 3);  // Command Code
  digest.update(wire.data + 8, 4);  // Application-ID
  std::size_t off = kHeader;
  while (off < wire.size) {
    if (wire.size - off < kAvpHeader) throw MessageError("truncated AVP header");
    const std::uint8_t* avp = wire.data + off;
    const std::uint32_t code = load32(avp);
    const bool vendor_specific = (avp[4] & AVP_FLAG_VENDOR) != 0;
    const std::size_t length = load24(avp + 5);
    if (length < kAvpHeader || length > wire.size - off) throw MessageError("AVP length out of range");
    const bool added_by_agents = !vendor_specific && (code == AC_ROUTE_RECORD || code == AC_PROXY_INFO);
    if (!added_by_agents) digest.update(avp, length);
    off += (length + 3) & ~std::size_t{3};
  }
  return digest.finish();
}

RememberedAnswer RememberedAnswer::of(const Message& answer) {
  static const AvpDef session_id = AvpDef::named("Session-Id");
  static const AvpDef proxy_info = AvpDef::named("Proxy-Info");
  RememberedAnswer r;
  r.avps = AvpSnapshot::of(answer, {&session_id, &proxy_info});
  r.protocol_error = answer.error_bit();
  return r;
}

// ---- DuplicateCache ---------------------------------------------------------

using TimePoint = std::chrono::steady_clock::time_point;

struct DuplicateCache::Entry {
  DuplicateKey key;
  RequestFingerprint fingerprint{};
  TimePoint seen;
  RememberedAnswerPtr answer;   // set once the first request is answered
  std::vector<Waiter> waiters;  // repeats held while it is handled
  bool indexed = true;
  std::list<std::shared_ptr<Entry>>::iterator position;  // in Core::order while indexed
};

struct DuplicateCache::Core {
  DuplicatePolicy policy;
  Clock clock;
  mutable std::mutex mutex;
  // Oldest first. The window is the same for every entry and the clock is
  // monotonic, so this is also expiry order: the sweep and the cap both take
  // from the front.
  std::list<std::shared_ptr<Entry>> order;
  std::unordered_map<DuplicateKey, std::shared_ptr<Entry>, DuplicateKeyHash> index;

  bool expired(const Entry& e, TimePoint now) const { return now - e.seen >= policy.window; }

  // Unlinks an entry; `released` keeps it alive until the caller unlocked,
  // so that no remembered answer is wiped under the lock.
  void unlink(Entry& e, std::vector<std::shared_ptr<Entry>>& released) {
    if (!e.indexed) return;
    released.push_back(*e.position);
    index.erase(e.key);
    order.erase(e.position);
    e.indexed = false;
  }

  std::size_t drop_expired(TimePoint now, std::vector<std::shared_ptr<Entry>>& released) {
    std::size_t n = 0;
    while (!order.empty() && expired(*order.front(), now)) {
      unlink(*order.front(), released);
      ++n;
    }
    return n;
  }
};

DuplicateCache::DuplicateCache(DuplicatePolicy policy, Clock clock) : core_(std::make_shared<Core>()) {
  if (policy.window <= std::chrono::seconds::zero()) throw std::invalid_argument("duplicate window must be positive");
  if (policy.max_entries == 0) throw std::invalid_argument("duplicate cache needs room for at least one entry");
  if (!clock) throw std::invalid_argument("duplicate cache needs a clock");
  core_->policy = policy;
  core_->clock = std::move(clock);
}

DuplicateCache::~DuplicateCache() = default;

DuplicateCache::Admission DuplicateCache::admit(const DuplicateKey& key, const RequestFingerprint& fingerprint,
                                                Waiter& waiter) {
  std::vector<std::shared_ptr<Entry>> released;  // destroyed after the lock is released
  const std::lock_guard lock(core_->mutex);
  const auto now = core_->clock();
  core_->drop_expired(now, released);

  if (const auto it = core_->index.find(key); it != core_->index.end()) {
    Entry& e = *it->second;
    if (e.fingerprint != fingerprint) return {Verdict::Collision, nullptr, nullptr};
    if (e.answer) return {Verdict::Replay, nullptr, e.answer};
    if (e.waiters.size() >= core_->policy.max_held_repeats) return {Verdict::Dropped, nullptr, nullptr};
    e.waiters.push_back(std::move(waiter));
    return {Verdict::Held, nullptr, nullptr};
  }

  while (core_->index.size() >= core_->policy.max_entries) core_->unlink(*core_->order.front(), released);
  auto entry = std::make_shared<Entry>();
  entry->key = key;
  entry->fingerprint = fingerprint;
  entry->seen = now;
  entry->position = core_->order.insert(core_->order.end(), entry);
  core_->index.emplace(key, entry);
  return {Verdict::First, std::make_shared<DuplicateTicket>(core_, std::move(entry)), nullptr};
}

std::size_t DuplicateCache::sweep() {
  std::vector<std::shared_ptr<Entry>> released;
  const std::lock_guard lock(core_->mutex);
  return core_->drop_expired(core_->clock(), released);
}

std::size_t DuplicateCache::size() const {
  const std::lock_guard lock(core_->mutex);
  return core_->index.size();
}

const DuplicatePolicy& DuplicateCache::policy() const {
  return core_->policy;
}

// ---- DuplicateTicket --------------------------------------------------------

DuplicateTicket::DuplicateTicket(std::shared_ptr<DuplicateCache::Core> core,
                                 std::shared_ptr<DuplicateCache::Entry> entry)
    : core_(std::move(core)), entry_(std::move(entry)) {}

DuplicateTicket::~DuplicateTicket() {
  if (completed_) return;
  // Released after the lock: their destructors may answer (PendingRequest).
  std::vector<DuplicateCache::Waiter> waiters;
  std::vector<std::shared_ptr<DuplicateCache::Entry>> released;
  const std::lock_guard lock(core_->mutex);
  waiters.swap(entry_->waiters);
  core_->unlink(*entry_, released);
}

void DuplicateTicket::complete(RememberedAnswer answer) {
  if (completed_) throw std::logic_error("the answer of this request was already recorded");
  completed_ = true;
  auto kept = std::make_shared<const RememberedAnswer>(std::move(answer));
  std::vector<DuplicateCache::Waiter> waiters;
  {
    std::vector<std::shared_ptr<DuplicateCache::Entry>> released;
    const std::lock_guard lock(core_->mutex);
    waiters.swap(entry_->waiters);
    if (kept->protocol_error)
      core_->unlink(*entry_, released);  // not remembered, see the header
    else
      entry_->answer = kept;
  }
  for (auto& w : waiters) w(*kept);
}

// ---- DuplicateDetector ------------------------------------------------------

DuplicateDetector::DuplicateDetector(DuplicatePolicy policy, DuplicateCache::Clock clock)
    : cache_(policy, std::move(clock)) {}

void DuplicateDetector::answer_repeat(PendingRequest& repeat, const RememberedAnswer& answer, std::string_view command,
                                      const DuplicateKey& key) {
  try {
    repeat.answer_again(answer);
  } catch (const std::exception& e) {
    spdlog::error("{} repeat from {} (End-to-End {:#010x}): could not answer: {}", command, key.origin_host,
                  key.end_to_end_id, e.what());
  }
}

bool DuplicateDetector::screen(PendingRequest& request, std::string_view command) {
  DuplicateKey key;
  RequestFingerprint fingerprint{};
  bool retransmitted = false;
  try {
    const Message& m = request.request();
    key = DuplicateKey::of(m);
    fingerprint = fingerprint_of(m);
    retransmitted = m.is_retransmission();
  } catch (const std::exception& e) {
    spdlog::warn("{}: cannot check for a repeat ({}); handled as a new request", command, e.what());
    return true;
  }

  auto repeat = std::make_shared<PendingRequest>(std::move(request));
  DuplicateCache::Waiter waiter = [repeat, cmd = std::string(command), key](const RememberedAnswer& a) {
    answer_repeat(*repeat, a, cmd, key);
  };
  auto admission = cache_.admit(key, fingerprint, waiter);
  // The T flag changes nothing in the lookup (RFC 6733 appendix C); it is
  // logged because it tells a failover from a requester's own retry.
  switch (admission.verdict) {
    case DuplicateCache::Verdict::First:
      if (retransmitted)
        spdlog::debug("{} from {} (End-to-End {:#010x}) has the T flag but was not seen before: handled", command,
                      key.origin_host, key.end_to_end_id);
      request = std::move(*repeat);
      request.duplicate_ticket_ = std::move(admission.ticket);
      return true;
    case DuplicateCache::Verdict::Collision:
      spdlog::warn(
          "{} from {} reuses End-to-End {:#010x} for a different request: handled as new, not remembered "
          "(RFC 6733 sec. 3 wants it unique for 4 minutes)",
          command, key.origin_host, key.end_to_end_id);
      request = std::move(*repeat);
      return true;
    case DuplicateCache::Verdict::Replay:
      spdlog::debug("{} repeat from {} (End-to-End {:#010x}, T flag {}): answered as the first time", command,
                    key.origin_host, key.end_to_end_id, retransmitted ? "set" : "clear");
      answer_repeat(*repeat, *admission.answer, command, key);
      return false;
    case DuplicateCache::Verdict::Held:
      spdlog::debug("{} repeat from {} (End-to-End {:#010x}, T flag {}): first still in progress, held", command,
                    key.origin_host, key.end_to_end_id, retransmitted ? "set" : "clear");
      return false;
    case DuplicateCache::Verdict::Dropped:
      spdlog::debug("{} repeat from {} (End-to-End {:#010x}, T flag {}): {} repeats already held, dropped", command,
                    key.origin_host, key.end_to_end_id, retransmitted ? "set" : "clear",
                    cache_.policy().max_held_repeats);
      repeat->drop();
      return false;
  }
  return false;
}

}  // namespace roamkey::diameter
