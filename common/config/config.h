#pragma once
// Configuration shared by every RoamKey program: the Diameter node (identity,
// listeners, TLS, peers to dial) and logging. Daemon-specific sections are
// parsed by each daemon from the same YAML root.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace roamkey::config {

// A configuration problem. The message names the file and the key path
// (e.g. "home.yaml: diameter.tls.certificate: file not found").
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TlsConfig {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  std::vector<std::filesystem::path> ca;  // one root per file (notes sec. 4, T8)
  std::filesystem::path crl;              // empty: no CRL
  std::string priority;                   // GnuTLS priority string; empty: GnuTLS default

  bool operator==(const TlsConfig&) const = default;
};

struct ListenConfig {
  std::string address = "127.0.0.1";
  std::uint16_t tls_port = 5868;  // RFC 6733 sec. 2.1: 5868 for TLS/TCP
  std::uint16_t tcp_port = 0;     // clear TCP, off by default

  bool operator==(const ListenConfig&) const = default;
};

struct PeerConfig {
  std::string identity;
  std::string address;
  std::uint16_t port = 5868;
  bool tls = true;

  bool operator==(const PeerConfig&) const = default;
};

struct DiameterConfig {
  std::string identity;
  std::string realm;
  std::optional<ListenConfig> listen;  // absent: this node only dials out
  std::optional<TlsConfig> tls;        // absent: clear TCP only (lab/interop use)
  std::filesystem::path dictionary;
  unsigned app_threads = 4;
  unsigned tc_timer = 30;  // RFC 6733 sec. 2.1 Tc, seconds between reconnection attempts
  unsigned tw_timer = 30;  // RFC 3539 Tw, watchdog interval
  std::vector<PeerConfig> connect;
  std::filesystem::path source;  // the file this was read from, named in errors
};

enum class LogFormat { Text, Json };
// How far log lines name a subscriber (NAIs are personal data).
enum class LogNai { Full, Realm, Hidden };

struct LogConfig {
  std::string level = "info";
  std::filesystem::path file;  // empty: stderr
  std::string diameter_level = "warn";
  LogFormat format = LogFormat::Text;
  LogNai nai = LogNai::Full;

  bool operator==(const LogConfig&) const = default;
};

// A daemon's management listener: plain HTTP for /metrics, /healthz,
// /readyz and /status/peers (docs/operations.md), never on the Diameter port.
struct AdminConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: no admin listener
  bool metrics = true;     // false: nothing is counted (and /metrics is empty)
};

// A loaded YAML document and where it came from, so that relative paths and
// error messages refer to the file.
struct Document {
  std::filesystem::path path;
  YAML::Node root;

  std::filesystem::path base_dir() const { return path.parent_path(); }
  // Resolves a path from the file relative to the file's directory.
  std::filesystem::path resolve(const std::filesystem::path& p) const;
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
};

Document load(const std::filesystem::path& path);

DiameterConfig parse_diameter(const Document& doc, const std::filesystem::path& default_dictionary);

// The top-level sections every program reads (diameter, log).
inline constexpr std::initializer_list<const char*> kCommonSections = {"diameter", "log"};
// Fails on a top-level key that is neither common nor one of `program_sections`
// ("home.yaml: bogus_section: unknown key").
void only_sections(const Document& doc, std::initializer_list<const char*> program_sections);
LogConfig parse_log(const Document& doc);
// admin: {listen: "127.0.0.1:9868" | "[::1]:9868" | "", metrics: true}; an
// absent section listens on 127.0.0.1:default_port.
AdminConfig parse_admin(const Document& doc, std::uint16_t default_port);

// Typed accessors that raise ConfigError naming the key path.
namespace field {
std::string string(const Document& doc, const YAML::Node& parent, const std::string& key_path, const char* key,
                   std::optional<std::string> fallback = std::nullopt);
unsigned long integer(const Document& doc, const YAML::Node& parent, const std::string& key_path, const char* key,
                      unsigned long min, unsigned long max, std::optional<unsigned long> fallback = std::nullopt);
bool boolean(const Document& doc, const YAML::Node& parent, const std::string& key_path, const char* key,
             bool fallback);
// Fails on keys of `node` not in `known`, so that typos are not silently ignored.
void only_keys(const Document& doc, const YAML::Node& node, const std::string& key_path,
               std::initializer_list<const char*> known);
}  // namespace field

}  // namespace roamkey::config
