#include "config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace roamkey::config {

namespace {

std::string join(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// RFC 6733 sec. 4.3.1: DiameterIdentity is an FQDN; realms are FQDN-like too.
bool plausible_fqdn(const std::string& s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; });
}

}  // namespace

std::filesystem::path Document::resolve(const std::filesystem::path& p) const {
  if (p.empty() || p.is_absolute()) return p;
  return (base_dir() / p).lexically_normal();
}

void Document::fail(const std::string& key, const std::string& problem) const {
  throw ConfigError(path.string() + ": " + key + ": " + problem);
}

Document load(const std::filesystem::path& path) {
  Document doc{path, {}};
  try {
    doc.root = YAML::LoadFile(path.string());
  } catch (const YAML::BadFile&) {
    throw ConfigError(path.string() + ": cannot open configuration file");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(path.string() + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!doc.root.IsMap()) throw ConfigError(path.string() + ": top level must be a mapping");
  return doc;
}

namespace field {

std::string string(const Document& doc, const YAML::Node& parent, const std::string& key_path, const char* key,
                   std::optional<std::string> fallback) {
  const auto full = join(key_path, key);
  const YAML::Node n = parent[key];
  if (!n || n.IsNull()) {
    if (fallback) return *fallback;
    doc.fail(full, "required");
  }
  if (!n.IsScalar()) doc.fail(full, "must be a string");
  return n.as<std::string>();
}

unsigned long integer(const Document& doc, const YAML::Node& parent, const std::string& key_path, const char* key,
                      unsigned long min, unsigned long max, std::optional<unsigned long> fallback) {
  const auto full = join(key_path, key);
  const YAML::Node n = parent[key];
  if (!n || n.IsNull()) {
    if (fallback) return *fallback;
    doc.fail(full, "required");
  }
  unsigned long v = 0;
  try {
    if (!n.IsScalar()) throw YAML::BadConversion(n.Mark());
    const auto text = n.as<std::string>();
    if (text.empty() || text.front() == '-') throw YAML::BadConversion(n.Mark());
    v = n.as<unsigned long>();
  } catch (const YAML::BadConversion&) {
    doc.fail(full, "must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  if (v < min || v > max) doc.fail(full, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return v;
}

bool boolean(const Document& doc, const YAML::Node& parent, const std::string& key_path, const char* key,
             bool fallback) {
  const YAML::Node n = parent[key];
  if (!n || n.IsNull()) return fallback;
  try {
    return n.as<bool>();
  } catch (const YAML::BadConversion&) {
    doc.fail(join(key_path, key), "must be true or false");
  }
}

void only_keys(const Document& doc, const YAML::Node& node, const std::string& key_path,
               std::initializer_list<const char*> known) {
  if (!node.IsMap()) doc.fail(key_path, "must be a mapping");
  for (const auto& kv : node) {
    const auto k = kv.first.as<std::string>();
    if (std::none_of(known.begin(), known.end(), [&](const char* x) { return k == x; }))
      doc.fail(join(key_path, k.c_str()), "unknown key");
  }
}

}  // namespace field

namespace {

std::filesystem::path existing_file(const Document& doc, const YAML::Node& parent, const std::string& key_path,
                                    const char* key) {
  const auto p = doc.resolve(field::string(doc, parent, key_path, key));
  if (!std::filesystem::is_regular_file(p)) doc.fail(join(key_path, key), "file not found: " + p.string());
  return p;
}

TlsConfig parse_tls(const Document& doc, const YAML::Node& n) {
  const std::string at = "diameter.tls";
  field::only_keys(doc, n, at, {"certificate", "private_key", "ca", "crl", "priority"});
  TlsConfig tls;
  tls.certificate = existing_file(doc, n, at, "certificate");
  tls.private_key = existing_file(doc, n, at, "private_key");
  const YAML::Node ca = n["ca"];
  if (!ca) doc.fail(at + ".ca", "required");
  if (ca.IsScalar()) {
    tls.ca.push_back(existing_file(doc, n, at, "ca"));
  } else if (ca.IsSequence() && ca.size() > 0) {
    for (std::size_t i = 0; i < ca.size(); ++i) {
      const auto at_i = at + ".ca[" + std::to_string(i) + "]";
      // as<std::string>() would throw a YAML exception for a list or map, and
      // turn ~ into the file name "null".
      if (!ca[i].IsScalar()) doc.fail(at_i, "must be a string");
      const auto p = doc.resolve(ca[i].as<std::string>());
      if (!std::filesystem::is_regular_file(p)) doc.fail(at_i, "file not found: " + p.string());
      tls.ca.push_back(p);
    }
  } else {
    doc.fail(at + ".ca", "must be a file or a non-empty list of files");
  }
  if (n["crl"] && !field::string(doc, n, at, "crl", "").empty()) tls.crl = existing_file(doc, n, at, "crl");
  tls.priority = field::string(doc, n, at, "priority", "");
  return tls;
}

PeerConfig parse_peer(const Document& doc, const YAML::Node& n, const std::string& at) {
  field::only_keys(doc, n, at, {"identity", "address", "port", "tls"});
  PeerConfig p;
  p.identity = lower(field::string(doc, n, at, "identity"));
  if (!plausible_fqdn(p.identity)) doc.fail(at + ".identity", "not a valid Diameter identity (FQDN)");
  p.address = field::string(doc, n, at, "address");
  p.tls = field::boolean(doc, n, at, "tls", true);
  p.port = static_cast<std::uint16_t>(field::integer(doc, n, at, "port", 1, 65535, p.tls ? 5868 : 3868));
  return p;
}

}  // namespace

DiameterConfig parse_diameter(const Document& doc, const std::filesystem::path& default_dictionary) {
  const YAML::Node d = doc.root["diameter"];
  if (!d) doc.fail("diameter", "required section missing");
  field::only_keys(
      doc, d, "diameter",
      {"identity", "realm", "listen", "tls", "dictionary", "app_threads", "tc_timer", "tw_timer", "connect"});
  DiameterConfig c;
  c.source = doc.path;
  c.identity = lower(field::string(doc, d, "diameter", "identity"));
  if (!plausible_fqdn(c.identity)) doc.fail("diameter.identity", "not a valid Diameter identity (FQDN)");
  c.realm = lower(field::string(doc, d, "diameter", "realm"));
  if (!plausible_fqdn(c.realm)) doc.fail("diameter.realm", "not a valid realm");

  if (const YAML::Node l = d["listen"]; l && !l.IsNull()) {
    field::only_keys(doc, l, "diameter.listen", {"address", "tls_port", "tcp_port"});
    ListenConfig lc;
    lc.address = field::string(doc, l, "diameter.listen", "address", "127.0.0.1");
    in_addr a4{};
    in6_addr a6{};
    if (inet_pton(AF_INET, lc.address.c_str(), &a4) != 1 && inet_pton(AF_INET6, lc.address.c_str(), &a6) != 1)
      doc.fail("diameter.listen.address", "\"" + lc.address + "\" is not an IP address");
    lc.tls_port = static_cast<std::uint16_t>(field::integer(doc, l, "diameter.listen", "tls_port", 0, 65535, 5868));
    lc.tcp_port = static_cast<std::uint16_t>(field::integer(doc, l, "diameter.listen", "tcp_port", 0, 65535, 0));
    if (lc.tls_port == 0 && lc.tcp_port == 0) doc.fail("diameter.listen", "tls_port and tcp_port are both 0");
    if (lc.tls_port != 0 && lc.tls_port == lc.tcp_port) doc.fail("diameter.listen", "tls_port equals tcp_port");
    c.listen = lc;
  }
  if (const YAML::Node t = d["tls"]; t && !t.IsNull()) c.tls = parse_tls(doc, t);

  if (c.listen && c.listen->tls_port != 0 && !c.tls)
    doc.fail("diameter.listen.tls_port", "a TLS listener needs the diameter.tls section");

  const auto dict = field::string(doc, d, "diameter", "dictionary", "");
  c.dictionary = dict.empty() ? default_dictionary : doc.resolve(dict);
  if (!std::filesystem::is_regular_file(c.dictionary))
    doc.fail("diameter.dictionary", "file not found: " + c.dictionary.string());

  c.app_threads = static_cast<unsigned>(field::integer(doc, d, "diameter", "app_threads", 1, 64, 4));
  c.tc_timer = static_cast<unsigned>(field::integer(doc, d, "diameter", "tc_timer", 1, 3600, 30));
  c.tw_timer = static_cast<unsigned>(field::integer(doc, d, "diameter", "tw_timer", 6, 3600, 30));

  if (const YAML::Node peers = d["connect"]; peers && !peers.IsNull()) {
    if (!peers.IsSequence()) doc.fail("diameter.connect", "must be a list of peers");
    for (std::size_t i = 0; i < peers.size(); ++i) {
      auto p = parse_peer(doc, peers[i], "diameter.connect[" + std::to_string(i) + "]");
      if (p.tls && !c.tls)
        doc.fail("diameter.connect[" + std::to_string(i) + "].tls", "a TLS peer needs the diameter.tls section");
      c.connect.push_back(std::move(p));
    }
  }
  return c;
}

void only_sections(const Document& doc, std::initializer_list<const char*> program_sections) {
  for (const auto& kv : doc.root) {
    const auto k = kv.first.as<std::string>();
    const auto is = [&](const char* x) { return k == x; };
    if (std::none_of(kCommonSections.begin(), kCommonSections.end(), is) &&
        std::none_of(program_sections.begin(), program_sections.end(), is))
      doc.fail(k, "unknown section");
  }
}

LogConfig parse_log(const Document& doc) {
  LogConfig c;
  const YAML::Node l = doc.root["log"];
  if (!l || l.IsNull()) return c;
  field::only_keys(doc, l, "log", {"level", "file", "diameter_level", "format", "nai"});
  static constexpr const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  auto level = [&](const char* key, const char* fallback) {
    auto v = lower(field::string(doc, l, "log", key, fallback));
    if (std::none_of(std::begin(kLevels), std::end(kLevels), [&](const char* x) { return v == x; }))
      doc.fail(std::string("log.") + key, "must be one of trace, debug, info, warn, error, critical, off");
    return v;
  };
  c.level = level("level", "info");
  c.diameter_level = level("diameter_level", "warn");
  const auto file = field::string(doc, l, "log", "file", "");
  if (!file.empty()) c.file = doc.resolve(file);
  const auto format = lower(field::string(doc, l, "log", "format", "text"));
  if (format == "json")
    c.format = LogFormat::Json;
  else if (format != "text")
    doc.fail("log.format", "must be text or json");
  const auto nai = lower(field::string(doc, l, "log", "nai", "full"));
  if (nai == "realm")
    c.nai = LogNai::Realm;
  else if (nai == "hidden")
    c.nai = LogNai::Hidden;
  else if (nai != "full")
    doc.fail("log.nai", "must be full, realm or hidden");
  return c;
}

AdminConfig parse_admin(const Document& doc, std::uint16_t default_port) {
  AdminConfig c;
  c.port = default_port;
  const YAML::Node a = doc.root["admin"];
  if (!a || a.IsNull()) return c;
  field::only_keys(doc, a, "admin", {"listen", "metrics"});
  c.metrics = field::boolean(doc, a, "admin", "metrics", true);
  const auto listen = field::string(doc, a, "admin", "listen", c.address + ":" + std::to_string(default_port));
  if (listen.empty()) {
    c.port = 0;
    return c;
  }
  // host:port, with an IPv6 address in brackets (RFC 3986 sec. 3.2.2).
  std::string host;
  std::string port;
  if (listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      doc.fail("admin.listen", "must be ADDRESS:PORT, an IPv6 address in brackets ([::1]:9868)");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || listen.find(':') != colon)
      doc.fail("admin.listen", "must be ADDRESS:PORT (127.0.0.1:9868), an IPv6 address in brackets");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  in6_addr a6{};
  in_addr a4{};
  if (inet_pton(AF_INET, host.c_str(), &a4) != 1 && inet_pton(AF_INET6, host.c_str(), &a6) != 1)
    doc.fail("admin.listen", "\"" + host + "\" is not an IP address");
  unsigned long p = 0;
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      (p = std::stoul(port)) == 0 || p > 65535)
    doc.fail("admin.listen", "port must be between 1 and 65535");
  c.address = host;
  c.port = static_cast<std::uint16_t>(p);
  return c;
}

}  // namespace roamkey::config
