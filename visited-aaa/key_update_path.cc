#include "key_update_path.h"

#include <spdlog/spdlog.h>

#include "apps/delegation.h"
#include "log/log_event.h"
#include "log/logged_nai.h"

namespace roamkey::visited {

using apps::DelegationApp;

namespace {
const char* status_name(std::int32_t s) {
  switch (s) {
    case 0: return "UPDATED";
    case 1: return "REJECTED_BY_MN";
    case 2: return "ABANDONED";
    default: return "?";
  }
}
}  // namespace

KeyUpdateReporter::KeyUpdateReporter(diameter::Stack& stack, KeyUpdateOutbox& outbox, std::chrono::milliseconds timeout,
                                     std::chrono::seconds retry_interval)
    : stack_(stack), outbox_(outbox), timeout_(timeout), retry_interval_(retry_interval), timer_(stack.timers()) {
  arm();
}

void KeyUpdateReporter::arm() {
  timer_.expires_after(retry_interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    try {
      resend_pending();
    } catch (const std::exception& e) {
      spdlog::error("key update reports: {}", e.what());
    }
    arm();
  });
}

void KeyUpdateReporter::report(const std::string& nai, const std::string& home_realm, std::uint32_t generation,
                               KeyUpdateStatus status) {
  KeyUpdateReport r;
  r.nai = nai;
  r.home_realm = home_realm;
  r.generation = generation;
  r.status = static_cast<std::int32_t>(status);
  send(outbox_.add(std::move(r)));
}

void KeyUpdateReporter::resend_pending() {
  for (const auto& r : outbox_.pending()) send(r);
}

void KeyUpdateReporter::send(const KeyUpdateReport& r) {
  {
    std::lock_guard lock(mutex_);
    if (!in_flight_.insert(r.id).second) return;
  }
  const auto& app = DelegationApp::get();
  auto kur = app.request(app.kur, r.home_realm);
  kur.avps().add(app.user_name, r.nai).add(app.key_generation, r.generation).add(app.key_update_status, r.status);
  {
    const log::EventScope event{{"KUR", r.home_realm, 0, r.nai}};
    spdlog::info("KUR nai={} generation={} status={} to realm {} (attempt {})", log::nai(r.nai), r.generation,
                 status_name(r.status), r.home_realm, r.attempts + 1);
  }
  stack_.send(std::move(kur), timeout_, [this, r](diameter::Answer a) {
    {
      std::lock_guard lock(mutex_);
      in_flight_.erase(r.id);
    }
    const log::EventScope event{{"KUR", r.home_realm, a.result.code, r.nai}};
    try {
      const bool permanent = a.status == diameter::AnswerStatus::Answered && a.result.code >= 5000;
      if (a.is_success() || permanent) {
        if (permanent)
          spdlog::error("home refused the KUR for nai={} generation={}: {}", log::nai(r.nai), r.generation,
                        a.describe());
        outbox_.acknowledge(r.id);
        return;
      }
      retries_.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("KUR for nai={} generation={} not delivered ({}); retrying", log::nai(r.nai), r.generation,
                   a.describe());
      outbox_.record_attempt(r.id, a.describe());
    } catch (const std::exception& e) {
      spdlog::error("key update report {}: {}", r.id, e.what());
    }
  });
}

}  // namespace roamkey::visited
