#pragma once
// A daemon's management listener: plain HTTP/1.1 on admin.listen (loopback
// by default), GET and HEAD only, for /metrics, /healthz, /readyz and
// /status/peers (docs/operations.md). It runs on a thread of its own with
// Boost.Beast, so a slow or stuck scraper never touches a Diameter thread;
// connections are few, bounded in number and in time.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace roamkey::admin {

struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
using Handler = std::function<Response()>;

class AdminServer {
 public:
  // Binds and listens now, so that a port in use is a start-up error naming
  // the address (std::runtime_error); serves once start() is called.
  AdminServer(const std::string& address, std::uint16_t port);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Before start(): `path` (no query string) answers GET and HEAD with
  // what `handler` returns. Handlers run on the listener's thread.
  void route(const std::string& path, Handler handler);

  void start();
  // Closes the listener and every connection, joins the thread. Idempotent.
  void stop();

  // "127.0.0.1:9868": what the socket is bound to.
  std::string bound() const;
  std::uint16_t port() const;

  // At most this many connections at once; more are closed at accept.
  static constexpr std::size_t kMaxConnections = 32;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace roamkey::admin
