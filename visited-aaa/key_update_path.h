#pragma once
// Key-Update-Reports to the home (KUR/KUA, protocol.md sec. 3), delivered at
// least once: each report is written to the outbox before it is sent and
// leaves it only when the home answers; unanswered ones are sent again on a
// timer, and after a restart (the home treats repeats as one, issue 3).

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>

#include "diameter/stack.h"
#include "key_update_outbox.h"
#include "update_sink.h"

namespace roamkey::visited {

class KeyUpdateReporter final : public UpdateSink {
 public:
  KeyUpdateReporter(diameter::Stack& stack, KeyUpdateOutbox& outbox, std::chrono::milliseconds timeout,
                    std::chrono::seconds retry_interval = std::chrono::seconds(5));
  void report(const std::string& nai, const std::string& home_realm, std::uint32_t generation,
              KeyUpdateStatus status) override;
  // Sends every report not in flight; called at start-up and by the timer.
  void resend_pending();
  // Sends that failed and wait for another attempt, since start (metrics).
  std::uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }

 private:
  void send(const KeyUpdateReport& r);
  void arm();

  diameter::Stack& stack_;
  KeyUpdateOutbox& outbox_;
  std::chrono::milliseconds timeout_;
  std::chrono::seconds retry_interval_;
  boost::asio::steady_timer timer_;
  std::mutex mutex_;
  std::set<std::int64_t> in_flight_;
  std::atomic<std::uint64_t> retries_{0};
};

}  // namespace roamkey::visited
