#include "service/service_notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace roamkey::service {

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // 0 = unset (also when WATCHDOG_PID names another process), > 0 = enabled.
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

ServiceNotifier::~ServiceNotifier() {
  stop_watchdog();
}

void ServiceNotifier::notify(const std::string& message) {
  if (enabled_) sd_notify(0, message.c_str());
}

void ServiceNotifier::ready(const std::string& status) {
  notify("READY=1\nSTATUS=" + status);
}

void ServiceNotifier::reloading(const std::string& status) {
  // RELOADING=1 wants MONOTONIC_USEC= from systemd 253 on (Type=notify-reload);
  // older versions ignore both.
  const auto now =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch());
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(now.count()) + "\nSTATUS=" + status);
}

void ServiceNotifier::stopping(const std::string& status) {
  notify("STOPPING=1\nSTATUS=" + status);
}

void ServiceNotifier::status(const std::string& status) {
  notify("STATUS=" + status);
}

void ServiceNotifier::start_watchdog(boost::asio::io_context& io) {
  if (watchdog_.count() == 0 || timer_) return;
  timer_ = std::make_unique<boost::asio::steady_timer>(io);
  notify("WATCHDOG=1");
  arm();
}

void ServiceNotifier::arm() {
  // sd_watchdog_enabled(3): send the keep-alive at half the interval.
  timer_->expires_after(watchdog_ / 2);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    notify("WATCHDOG=1");
    arm();
  });
}

void ServiceNotifier::stop_watchdog() {
  timer_.reset();
}

}  // namespace roamkey::service
