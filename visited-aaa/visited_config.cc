#include "visited_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <optional>

#include "crypto/key_input.h"

namespace roamkey::visited {

namespace {

[[noreturn]] void fail(const std::string& key_path, const std::string& problem) {
  throw ConfigError(key_path + ": " + problem);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// RFC 6733 sec. 4.3.1: a DiameterIdentity is an FQDN.
bool plausible_identity(const std::string& s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos)
    return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; });
}

// A section is optional; when present it is a mapping of known keys only, so
// that a misspelt key is reported instead of silently falling back to a default.
std::optional<YAML::Node> section(const YAML::Node& root, const char* name, std::initializer_list<const char*> known) {
  const YAML::Node node = root[name];
  if (!node || node.IsNull()) return std::nullopt;
  if (!node.IsMap()) fail(name, "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; }))
      fail(std::string(name) + "." + key, "unknown key");
  }
  return node;
}

// A decimal integer in [1, max]; absent or null: `fallback`.
std::size_t positive(const YAML::Node& parent, const char* section_name, const char* key, std::size_t max,
                     std::size_t fallback) {
  const std::string path = std::string(section_name) + "." + key;
  const YAML::Node n = parent[key];
  if (!n || n.IsNull()) return fallback;
  if (!n.IsScalar()) fail(path, "must be a positive integer");
  const std::string& text = n.Scalar();
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error == std::errc::invalid_argument || end != text.data() + text.size() ||
      (error == std::errc{} && value == 0))
    fail(path, "must be a positive integer");
  if (error == std::errc::result_out_of_range || value > max) fail(path, "must be at most " + std::to_string(max));
  return value;
}

std::vector<std::string> parse_aaa_clients(const YAML::Node& root) {
  const YAML::Node list = root["aaa_clients"];
  if (!list || list.IsNull()) fail("aaa_clients", "required: the Diameter identities allowed to send DER");
  if (!list.IsSequence() || list.size() == 0) fail("aaa_clients", "must be a non-empty list of Diameter identities");
  std::vector<std::string> clients;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = "aaa_clients[" + std::to_string(i) + "]";
    if (!list[i].IsScalar() || list[i].Scalar().empty()) fail(path, "must be a non-empty string");
    std::string identity = lower(list[i].Scalar());
    if (!plausible_identity(identity)) fail(path, "not a valid Diameter identity (FQDN)");
    if (const auto dup = std::find(clients.begin(), clients.end(), identity); dup != clients.end())
      fail(path, "duplicate of aaa_clients[" + std::to_string(dup - clients.begin()) + "]");
    clients.push_back(std::move(identity));
  }
  return clients;
}

}  // namespace

VisitedConfig parse_visited_config(const YAML::Node& root) {
  if (!root.IsMap()) fail("(top level)", "must be a mapping");
  VisitedConfig c;
  c.aaa_clients = parse_aaa_clients(root);

  if (const auto cache = section(root, "cache", {"max_entries"}))
    c.cache.max_entries = positive(*cache, "cache", "max_entries", 100'000'000, c.cache.max_entries);

  if (const auto eap = section(root, "eap", {"max_conversations", "conversation_timeout", "home_timeout"})) {
    const auto seconds = [&](const char* key, std::size_t max, std::chrono::seconds fallback) {
      return std::chrono::seconds(positive(*eap, "eap", key, max, static_cast<std::size_t>(fallback.count())));
    };
    c.eap.max_conversations = positive(*eap, "eap", "max_conversations", 10'000'000, c.eap.max_conversations);
    c.eap.conversation_timeout = seconds("conversation_timeout", 3600, c.eap.conversation_timeout);
    c.eap.home_timeout = seconds("home_timeout", 300, c.eap.home_timeout);
  }
  // A conversation waiting for the home must outlive the wait, or the sweep
  // would drop it before the answer can arrive.
  if (c.eap.home_timeout >= c.eap.conversation_timeout)
    fail("eap.home_timeout",
         "must be less than eap.conversation_timeout (" + std::to_string(c.eap.conversation_timeout.count()) + ")");
  return c;
}

namespace {

std::vector<HomeRealmConfig> parse_home_realms(const config::Document& doc) {
  namespace field = config::field;
  std::vector<HomeRealmConfig> out;
  const YAML::Node list = doc.root["home_realms"];
  if (!list || list.IsNull()) return out;
  if (!list.IsSequence()) doc.fail("home_realms", "must be a list");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = "home_realms[" + std::to_string(i) + "]";
    field::only_keys(doc, list[i], at, {"realm", "keks"});
    HomeRealmConfig h;
    h.realm = lower(field::string(doc, list[i], at, "realm"));
    if (!plausible_identity(h.realm)) doc.fail(at + ".realm", "not a valid realm");
    for (const auto& other : out)
      if (other.realm == h.realm) doc.fail(at + ".realm", "listed twice");
    const YAML::Node keks = list[i]["keks"];
    if (keks && !keks.IsNull()) {
      if (!keks.IsSequence()) doc.fail(at + ".keks", "must be a list of {id, key_file}");
      for (std::size_t k = 0; k < keks.size(); ++k) {
        const std::string kat = at + ".keks[" + std::to_string(k) + "]";
        field::only_keys(doc, keks[k], kat, {"id", "key_file"});
        Kek kek;
        kek.id = field::string(doc, keks[k], kat, "id");
        if (kek.id.empty()) doc.fail(kat + ".id", "must not be empty");
        for (const auto& other : h.keks)
          if (other.id == kek.id) doc.fail(kat + ".id", "listed twice");
        const auto file = doc.resolve(field::string(doc, keks[k], kat, "key_file"));
        try {
          kek.key = crypto::read_key_file(file);
        } catch (const std::exception& e) {
          doc.fail(kat + ".key_file", e.what());
        }
        h.keks.push_back(std::move(kek));
      }
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace

VisitedConfig parse_visited_config(const config::Document& doc) {
  VisitedConfig c;
  try {
    c = parse_visited_config(doc.root);
  } catch (const ConfigError& e) {
    throw ConfigError(doc.path.string() + ": " + e.what());
  }
  c.home_realms = parse_home_realms(doc);
  if (const YAML::Node st = doc.root["state"]; st && !st.IsNull()) {
    config::field::only_keys(doc, st, "state", {"path"});
    const auto path = config::field::string(doc, st, "state", "path", "");
    if (!path.empty()) c.state.path = doc.resolve(path);
  }
  c.admin = config::parse_admin(doc, kDefaultAdminPort);
  config::only_sections(doc, kVisitedSections);
  return c;
}

}  // namespace roamkey::visited
