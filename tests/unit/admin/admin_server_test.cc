#include "admin/admin_server.h"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace roamkey::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using ::testing::HasSubstr;

class AdminServerTest : public ::testing::Test {
 protected:
  AdminServerTest() : server_("127.0.0.1", 0) {
    server_.route("/hello", [] { return Response{200, "text/plain", "hello\n"}; });
    server_.route("/json", [] { return Response{503, "application/json", "{\"status\":\"not_ready\"}\n"}; });
    server_.route("/boom", []() -> Response { throw std::runtime_error("it broke"); });
    server_.start();
  }

  http::response<http::string_body> request(http::verb verb, const std::string& target) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server_.port()});
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    if (verb == http::verb::head) parser.skip(true);
    http::read(socket, buffer, parser);
    return parser.release();
  }

  AdminServer server_;
};

TEST_F(AdminServerTest, ServesARoute) {
  const auto r = request(http::verb::get, "/hello");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "hello\n");
  EXPECT_EQ(r[http::field::content_type], "text/plain");
  EXPECT_EQ(r[http::field::cache_control], "no-store");
}

TEST_F(AdminServerTest, IgnoresTheQueryString) {
  EXPECT_EQ(request(http::verb::get, "/hello?x=1").body(), "hello\n");
}

TEST_F(AdminServerTest, HeadHasTheLengthAndNoBody) {
  const auto r = request(http::verb::head, "/hello");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r[http::field::content_length], "6");
  EXPECT_EQ(r.body(), "");
}

TEST_F(AdminServerTest, KeepsTheHandlersStatus) {
  const auto r = request(http::verb::get, "/json");
  EXPECT_EQ(r.result_int(), 503u);
  EXPECT_EQ(r[http::field::content_type], "application/json");
}

TEST_F(AdminServerTest, UnknownPathIs404AndOtherMethods405) {
  EXPECT_EQ(request(http::verb::get, "/nothing").result_int(), 404u);
  const auto post = request(http::verb::post, "/hello");
  EXPECT_EQ(post.result_int(), 405u);
  EXPECT_EQ(post[http::field::allow], "GET, HEAD");
}

TEST_F(AdminServerTest, AFailingHandlerIs500AndTheServerGoesOn) {
  const auto r = request(http::verb::get, "/boom");
  EXPECT_EQ(r.result_int(), 500u);
  EXPECT_THAT(r.body(), HasSubstr("it broke"));
  EXPECT_EQ(request(http::verb::get, "/hello").result_int(), 200u);
}

TEST_F(AdminServerTest, GarbageClosesOnlyThatConnection) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_.port()});
  asio::write(socket, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  char c;
  boost::system::error_code ec;
  asio::read(socket, asio::buffer(&c, 1), ec);
  EXPECT_TRUE(ec) << "the server closes a connection it cannot parse";
  EXPECT_EQ(request(http::verb::get, "/hello").result_int(), 200u);
}

TEST_F(AdminServerTest, ARequestTooLargeIsRefused) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_.port()});
  const std::string big = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(big), ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> r;
  http::read(socket, buffer, r, ec);
  EXPECT_TRUE(ec) << "no answer to an oversized request";
}

TEST_F(AdminServerTest, BoundNamesAddressAndPort) {
  EXPECT_EQ(server_.bound(), "127.0.0.1:" + std::to_string(server_.port()));
  EXPECT_NE(server_.port(), 0);
}

TEST_F(AdminServerTest, APortInUseIsAnErrorNamingIt) {
  try {
    AdminServer second("127.0.0.1", server_.port());
    FAIL() << "bound a port in use";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("admin.listen: cannot listen on 127.0.0.1:" + std::to_string(server_.port())));
  }
  EXPECT_THROW(AdminServer("localhost", 0), std::runtime_error);
}

TEST_F(AdminServerTest, StopIsIdempotent) {
  server_.stop();
  server_.stop();
}

}  // namespace
}  // namespace roamkey::admin
