#include "diameter/conf_render.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace roamkey::diameter {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t count(const std::vector<std::string>& lines, const std::string& line) {
  return static_cast<std::size_t>(std::count(lines.begin(), lines.end(), line));
}

// Index of the one line equal to `line`; fails the test when there is not exactly one.
std::ptrdiff_t position(const std::vector<std::string>& lines, const std::string& line) {
  EXPECT_EQ(count(lines, line), 1U) << "line: " << line;
  return std::find(lines.begin(), lines.end(), line) - lines.begin();
}

bool any_starts_with(const std::vector<std::string>& lines, const std::string& prefix) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}

config::DiameterConfig server() {
  config::DiameterConfig d;
  d.identity = "aaa.home.example";
  d.realm = "home.example";
  d.listen = config::ListenConfig{"127.0.0.1", 5868, 3868};
  config::TlsConfig tls;
  tls.certificate = "/etc/roamkey/aaa.pem";
  tls.private_key = "/etc/roamkey/aaa.key";
  tls.ca = {"/etc/roamkey/ca-a.pem", "/etc/roamkey/ca-b.pem"};
  tls.crl = "/etc/roamkey/crl.pem";
  tls.priority = "NORMAL:-VERS-TLS1.2";
  d.tls = tls;
  d.dictionary = "/usr/share/roamkey/roamkey.xml";
  d.app_threads = 6;
  d.tc_timer = 12;
  d.tw_timer = 18;
  d.connect = {{"aaa.visited.example", "192.0.2.7", 5868, true}, {"aaa.lab.example", "192.0.2.8", 3868, false}};
  return d;
}

const std::vector<std::filesystem::path> kExtensions = {"/usr/lib/freeDiameter/dict_nasreq.fdx",
                                                        "/usr/lib/freeDiameter/dict_eap.fdx"};

TEST(RenderConf, ServerWithTlsListenerExtensionsAndPeers) {
  const auto d = server();
  const auto lines = lines_of(render_conf({d, kExtensions}));

  EXPECT_EQ(count(lines, "Identity = \"aaa.home.example\";"), 1U);
  EXPECT_EQ(count(lines, "Realm = \"home.example\";"), 1U);
  EXPECT_EQ(count(lines, "Port = 3868;"), 1U);
  EXPECT_EQ(count(lines, "SecPort = 5868;"), 1U);
  EXPECT_FALSE(any_starts_with(lines, "ListenOn")) << "the Stack adds the address itself (listen_address.h)";
  EXPECT_EQ(count(lines, "No_SCTP;"), 1U);
  EXPECT_EQ(count(lines, "No_IPv6;"), 1U);
  EXPECT_EQ(count(lines, "NoRelay;"), 1U);
  EXPECT_EQ(count(lines, "AppServThreads = 6;"), 1U);
  EXPECT_EQ(count(lines, "TcTimer = 12;"), 1U);
  EXPECT_EQ(count(lines, "TwTimer = 18;"), 1U);
  EXPECT_EQ(count(lines, "TLS_Cred = \"/etc/roamkey/aaa.pem\", \"/etc/roamkey/aaa.key\";"), 1U);
  // One root per TLS_CA line, in the configured order.
  EXPECT_LT(position(lines, "TLS_CA = \"/etc/roamkey/ca-a.pem\";"),
            position(lines, "TLS_CA = \"/etc/roamkey/ca-b.pem\";"));
  EXPECT_EQ(count(lines, "TLS_CRL = \"/etc/roamkey/crl.pem\";"), 1U);
  EXPECT_EQ(count(lines, "TLS_Prio = \"NORMAL:-VERS-TLS1.2\";"), 1U);
  // dict_nasreq must load before dict_eap, which depends on it.
  EXPECT_LT(position(lines, "LoadExtension = \"/usr/lib/freeDiameter/dict_nasreq.fdx\";"),
            position(lines, "LoadExtension = \"/usr/lib/freeDiameter/dict_eap.fdx\";"));
  EXPECT_EQ(count(lines, "ConnectPeer = \"aaa.visited.example\" { ConnectTo = \"192.0.2.7\"; Port = 5868; No_SCTP; };"),
            1U);
  EXPECT_EQ(
      count(lines, "ConnectPeer = \"aaa.lab.example\" { ConnectTo = \"192.0.2.8\"; Port = 3868; No_SCTP; No_TLS; };"),
      1U);
  // Credentials come before the extensions and peers that may use them.
  EXPECT_LT(position(lines, "TLS_Cred = \"/etc/roamkey/aaa.pem\", \"/etc/roamkey/aaa.key\";"),
            position(lines, "LoadExtension = \"/usr/lib/freeDiameter/dict_nasreq.fdx\";"));
}

TEST(RenderConf, EveryStatementEndsWithASemicolonOrIsAComment) {
  for (const auto& line : lines_of(render_conf({server(), kExtensions}))) {
    ASSERT_FALSE(line.empty());
    EXPECT_TRUE(line.front() == '#' || line.back() == ';') << line;
  }
}

TEST(RenderConf, IPv6ListenAddressKeepsIPv6Enabled) {
  auto d = server();
  d.listen->address = "::1";
  const auto lines = lines_of(render_conf({d, {}}));
  EXPECT_FALSE(any_starts_with(lines, "ListenOn"));
  EXPECT_EQ(count(lines, "No_IPv6;"), 0U);
}

TEST(RenderConf, IPv6PeerAddressKeepsIPv6Enabled) {
  // freeDiameter drops a peer's IPv6 endpoints when No_IPv6 is set (p_cnx.c,
  // prepare_connection_list), so the peer would never be dialled.
  auto d = server();
  d.connect = {{"aaa.visited.example", "2001:db8::7", 5868, true}};
  EXPECT_EQ(count(lines_of(render_conf({d, {}})), "No_IPv6;"), 0U);

  d.listen.reset();
  EXPECT_EQ(count(lines_of(render_conf({d, {}})), "No_IPv6;"), 0U);
}

TEST(RenderConf, ClientWithoutListenerOpensNoPort) {
  config::DiameterConfig d;
  d.identity = "nas1.visited.example";
  d.realm = "visited.example";
  d.connect = {{"aaa.visited.example", "127.0.0.1", 3868, false}};
  const auto text = render_conf({d, kExtensions});
  EXPECT_NE(text.find("Port = 0;\nSecPort = 0;\n"), std::string::npos) << text;
  const auto lines = lines_of(text);
  EXPECT_FALSE(any_starts_with(lines, "ListenOn")) << text;
  EXPECT_FALSE(any_starts_with(lines, "TLS_")) << text;
  EXPECT_EQ(count(lines, "No_IPv6;"), 1U);
  EXPECT_EQ(count(lines, "No_SCTP;"), 1U);
  EXPECT_EQ(count(lines, "NoRelay;"), 1U);
  EXPECT_EQ(count(lines,
                  "ConnectPeer = \"aaa.visited.example\" { ConnectTo = \"127.0.0.1\"; Port = 3868; No_SCTP; "
                  "No_TLS; };"),
            1U);
}

TEST(RenderConf, TlsWithoutCrlOrPriorityOmitsThoseLines) {
  auto d = server();
  d.tls->crl.clear();
  d.tls->priority.clear();
  const auto lines = lines_of(render_conf({d, {}}));
  EXPECT_FALSE(any_starts_with(lines, "TLS_CRL"));
  EXPECT_FALSE(any_starts_with(lines, "TLS_Prio"));
  EXPECT_FALSE(any_starts_with(lines, "LoadExtension"));
  EXPECT_TRUE(any_starts_with(lines, "TLS_Cred"));
}

TEST(RenderConf, ValuesFreeDiameterCannotQuoteAreRefused) {
  // fdd.l has no escapes in quoted strings: a quote, backslash or newline
  // would end the string early or corrupt the file.
  for (const std::string bad : {"a\"b", "a\\b", "a\nb", "a\rb"}) {
    {
      auto d = server();
      d.realm = bad;
      EXPECT_THROW(render_conf({d, {}}), config::ConfigError) << "realm";
    }
    {
      auto d = server();
      d.identity = bad;
      EXPECT_THROW(render_conf({d, {}}), config::ConfigError) << "identity";
    }
    {
      auto d = server();
      d.tls->certificate = "/etc/" + bad;
      EXPECT_THROW(render_conf({d, {}}), config::ConfigError) << "certificate";
    }
    {
      auto d = server();
      d.tls->ca.back() = "/etc/" + bad;
      EXPECT_THROW(render_conf({d, {}}), config::ConfigError) << "ca";
    }
    {
      auto d = server();
      d.tls->priority = bad;
      EXPECT_THROW(render_conf({d, {}}), config::ConfigError) << "priority";
    }
    {
      auto d = server();
      d.connect[1].address = bad;
      EXPECT_THROW(render_conf({d, {}}), config::ConfigError) << "peer address";
    }
    {
      auto d = server();
      EXPECT_THROW(render_conf({d, {std::filesystem::path("/x/" + bad)}}), config::ConfigError) << "extension";
    }
  }
}

TEST(RenderConf, RefusalNamesTheKeyButNotTheValue) {
  auto d = server();
  d.tls->private_key = "/etc/secret\"name.key";
  try {
    render_conf({d, {}});
    FAIL() << "no ConfigError";
  } catch (const config::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("diameter.tls.private_key"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace roamkey::diameter
