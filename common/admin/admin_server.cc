#include "admin/admin_server.h"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>

namespace roamkey::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxRequestBytes = 8 * 1024;

}  // namespace

struct AdminServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::map<std::string, Handler> routes;
  std::atomic<std::size_t> connections{0};
  bool stopped = false;

  http::response<http::string_body> respond(const http::request<http::string_body>& req) {
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::server, "roamkey-admin");
    res.set(http::field::cache_control, "no-store");
    auto target = std::string(req.target());
    if (const auto q = target.find('?'); q != std::string::npos) target.erase(q);
    const auto it = routes.find(target);
    Response r;
    if (it == routes.end()) {
      r = {404, "text/plain; charset=utf-8", "not found: " + target + "\n"};
    } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
      r = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
      res.set(http::field::allow, "GET, HEAD");
    } else {
      try {
        r = it->second();
      } catch (const std::exception& e) {
        r = {500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"};
      }
    }
    res.result(static_cast<http::status>(r.status));
    res.set(http::field::content_type, r.content_type);
    if (req.method() == http::verb::head) {
      res.content_length(r.body.size());
    } else {
      res.body() = std::move(r.body);
      res.prepare_payload();
    }
    return res;
  }

  asio::awaitable<void> session(beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxRequestBytes);
      parser.header_limit(kMaxRequestBytes);
      stream.expires_after(kIdleTimeout);
      beast::error_code ec;
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;  // closed, timed out or malformed: nothing more to say
      auto res = respond(parser.get());
      const bool keep = res.keep_alive();
      stream.expires_after(kIdleTimeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    --connections;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;
      }
      if (connections.load() >= kMaxConnections) {
        socket.close(ec);
        continue;
      }
      ++connections;
      asio::co_spawn(io, session(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }
};

AdminServer::AdminServer(const std::string& address, std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  beast::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) throw std::runtime_error("admin.listen: \"" + address + "\" is not an IP address");
  const tcp::endpoint ep(ip, port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("admin.listen: cannot listen on " + (ip.is_v6() ? "[" + address + "]" : address) + ":" +
                             std::to_string(port) + ": " + ec.message());
}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::route(const std::string& path, Handler handler) {
  impl_->routes[path] = std::move(handler);
}

void AdminServer::start() {
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  thread_ = std::thread([this] { impl_->io.run(); });
}

void AdminServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->io.stop();
  if (thread_.joinable()) thread_.join();
}

std::string AdminServer::bound() const {
  beast::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return "?";
  const auto a = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}

std::uint16_t AdminServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

}  // namespace roamkey::admin
