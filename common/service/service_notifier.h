#pragma once
// What a daemon tells its service manager (systemd, sd_notify(3) through
// libsystemd): READY=1 once it serves, RELOADING=1 / READY=1 around a
// configuration reload, STOPPING=1 when it begins to stop, STATUS= lines,
// and WATCHDOG=1 every half WatchdogSec when the unit sets one.
//
// Without NOTIFY_SOCKET (not started by systemd) every call does nothing.
// The watchdog is fed from the Stack's timer thread, so a stuck timer
// thread (which also runs the daemons' periodic work) stops the keep-alives
// and systemd restarts the service.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace roamkey::service {

class ServiceNotifier {
 public:
  ServiceNotifier();
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // Whether a service manager listens (NOTIFY_SOCKET is set).
  bool enabled() const { return enabled_; }
  // The WatchdogSec interval systemd asked for, 0 if none.
  std::chrono::microseconds watchdog_interval() const { return watchdog_; }

  void ready(const std::string& status);
  void reloading(const std::string& status);
  void stopping(const std::string& status);
  void status(const std::string& status);

  // Feeds the watchdog from `io`'s thread until stop_watchdog(). Nothing
  // when the unit has no WatchdogSec.
  void start_watchdog(boost::asio::io_context& io);
  // Once `io`'s thread has stopped (Stack::shutdown), and before `io` goes.
  void stop_watchdog();

 private:
  void notify(const std::string& message);
  void arm();

  bool enabled_ = false;
  std::chrono::microseconds watchdog_{0};
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace roamkey::service
