// bench/delay-relay: a TCP relay that holds every byte for D ms in each
// direction, placed between visited-aaa and home-aaa to emulate a home
// network 2·D ms of round trip away (issue 4). Bytes pass untouched, so
// TLS runs end to end through it. Loopback benchmarks only.
//
// One Asio thread; per connection and direction, a reader stamps each chunk
// with its release time and a writer sends chunks in order once released,
// so delay adds latency without limiting throughput.
#include <CLI/CLI.hpp>
#include <boost/asio.hpp>

#include "cli/command_line.h"

#include <chrono>
#include <csignal>
#include <deque>
#include <iostream>
#include <memory>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Chunk {
  Clock::time_point release;
  std::vector<char> bytes;  // empty = end of stream
};

class Direction {
 public:
  Direction(tcp::socket& from, tcp::socket& to, Clock::duration delay)
      : from_(from), to_(to), delay_(delay), wake_(from.get_executor()), release_(from.get_executor()) {}

  asio::awaitable<void> read_side() {
    std::vector<char> buffer(64 * 1024);
    for (;;) {
      boost::system::error_code ec;
      const auto n =
          co_await from_.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec || n == 0) {
        push({Clock::now() + delay_, {}});
        co_return;
      }
      push({Clock::now() + delay_, std::vector<char>(buffer.begin(), buffer.begin() + static_cast<long>(n))});
    }
  }

  asio::awaitable<void> write_side() {
    for (;;) {
      while (queue_.empty()) {
        boost::system::error_code ec;
        wake_.expires_at(Clock::time_point::max());
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      release_.expires_at(queue_.front().release);
      boost::system::error_code ec;
      co_await release_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      Chunk chunk = std::move(queue_.front());
      queue_.pop_front();
      if (chunk.bytes.empty()) {
        to_.shutdown(tcp::socket::shutdown_send, ec);
        co_return;
      }
      co_await asio::async_write(to_, asio::buffer(chunk.bytes), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        from_.close(ec);
        co_return;
      }
    }
  }

 private:
  void push(Chunk c) {
    queue_.push_back(std::move(c));
    wake_.cancel();
  }

  tcp::socket& from_;
  tcp::socket& to_;
  Clock::duration delay_;
  std::deque<Chunk> queue_;
  asio::steady_timer wake_;
  asio::steady_timer release_;
};

struct Connection : std::enable_shared_from_this<Connection> {
  Connection(tcp::socket client, Clock::duration delay)
      : a(std::move(client)), b(a.get_executor()), up(a, b, delay), down(b, a, delay) {}
  tcp::socket a, b;
  Direction up, down;
};

asio::awaitable<void> keep(std::shared_ptr<Connection> c, asio::awaitable<void> (Direction::*f)(), Direction* d) {
  co_await (d->*f)();
  (void)c;
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, tcp::endpoint target, Clock::duration delay) {
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    tcp::socket client = co_await acceptor.async_accept(asio::use_awaitable);
    auto c = std::make_shared<Connection>(std::move(client), delay);
    boost::system::error_code ec;
    co_await c->b.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      std::cerr << "delay-relay: cannot reach " << target << ": " << ec.message() << "\n";
      continue;
    }
    c->a.set_option(tcp::no_delay(true), ec);
    c->b.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(ex, keep(c, &Direction::read_side, &c->up), asio::detached);
    asio::co_spawn(ex, keep(c, &Direction::write_side, &c->up), asio::detached);
    asio::co_spawn(ex, keep(c, &Direction::read_side, &c->down), asio::detached);
    asio::co_spawn(ex, keep(c, &Direction::write_side, &c->down), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"delay-relay: TCP relay on loopback delaying each direction by D ms", "delay-relay"};
  roamkey::cli::add_version_flag(app, "delay-relay");
  unsigned short listen_port = 0, target_port = 0;
  std::string address = "127.0.0.1", target_address = "127.0.0.1";
  double delay_ms = 0;
  app.add_option("--listen", listen_port, "port to listen on")->required();
  app.add_option("--target", target_port, "port to forward to")->required();
  app.add_option("--address", address, "listen address (default 127.0.0.1)");
  app.add_option("--target-address", target_address, "target address (default 127.0.0.1)");
  app.add_option("--delay-ms", delay_ms, "one-way delay per direction, ms (round trip = 2 x this)")
      ->check(CLI::NonNegativeNumber);
  if (const auto code = roamkey::cli::parse(app, argc, argv, "delay-relay")) return *code;
  try {
    asio::io_context io(1);
    const tcp::endpoint listen(asio::ip::make_address(address), listen_port);
    const tcp::endpoint target(asio::ip::make_address(target_address), target_port);
    tcp::acceptor acceptor(io, listen, true);
    const auto delay = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(delay_ms));
    asio::co_spawn(io, accept_loop(acceptor, target, delay), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    std::cerr << "delay-relay: " << listen << " -> " << target << ", " << delay_ms << " ms each way, ready\n";
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "delay-relay: " << e.what() << "\n";
    return 1;
  }
}
