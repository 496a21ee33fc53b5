#include "home_config.h"

#include <limits>

#include "nai.h"

namespace roamkey::home {

namespace {

using config::Document;
namespace field = config::field;

constexpr unsigned long kUint32Max = std::numeric_limits<std::uint32_t>::max();

std::string at_index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

StoreConfig parse_store(const Document& doc) {
  const YAML::Node n = doc.root["store"];
  if (!n || n.IsNull()) doc.fail("store", "required section missing");
  field::only_keys(doc, n, "store", {"path"});
  const auto path = field::string(doc, n, "store", "path");
  if (path.empty()) doc.fail("store.path", "must be a non-empty path");
  return {doc.resolve(path)};
}

DelegationPolicy parse_delegation(const Document& doc) {
  DelegationPolicy p;
  const YAML::Node n = doc.root["delegation"];
  if (!n || n.IsNull()) return p;
  field::only_keys(doc, n, "delegation", {"tsk_lifetime", "tsk_max_uses"});
  // Both travel as Unsigned32 AVPs (protocol.md sec. 3).
  p.tsk_lifetime = static_cast<std::uint32_t>(field::integer(doc, n, "delegation", "tsk_lifetime", 1, kUint32Max, 3600));
  const auto uses = field::integer(doc, n, "delegation", "tsk_max_uses", 0, kUint32Max, 0);
  if (uses != 0) p.tsk_max_uses = static_cast<std::uint32_t>(uses);
  return p;
}

std::string fqdn(const Document& doc, const YAML::Node& parent, const std::string& path, const char* key,
                 const char* what) {
  const auto full = path + "." + key;
  const YAML::Node n = parent[key];
  if (!n || n.IsNull()) doc.fail(full, "required");
  if (!n.IsScalar() || n.as<std::string>().empty()) doc.fail(full, "must be a non-empty string");
  const auto v = n.as<std::string>();
  if (!plausible_realm(v)) doc.fail(full, std::string("not a valid ") + what);
  return lower_ascii(v);
}

RoamingPartners parse_partners(const Document& doc) {
  const YAML::Node list = doc.root["roaming_partners"];
  if (!list || list.IsNull()) return {};
  if (!list.IsSequence()) doc.fail("roaming_partners", "must be a list of partners");
  std::vector<RoamingPartner> partners;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto at = at_index("roaming_partners", i);
    const YAML::Node n = list[i];
    field::only_keys(doc, n, at, {"realm", "peers"});
    RoamingPartner p;
    p.realm = fqdn(doc, n, at, "realm", "realm");
    for (std::size_t j = 0; j < partners.size(); ++j)
      if (partners[j].realm == p.realm)
        doc.fail(at + ".realm", "duplicate of " + at_index("roaming_partners", j) + ".realm");

    const YAML::Node peers = n["peers"];
    if (!peers || peers.IsNull()) doc.fail(at + ".peers", "required");
    if (!peers.IsSequence() || peers.size() == 0) doc.fail(at + ".peers", "must be a non-empty list of Diameter identities");
    for (std::size_t j = 0; j < peers.size(); ++j) {
      const auto peer_at = at_index(at + ".peers", j);
      if (!peers[j].IsScalar() || peers[j].as<std::string>().empty()) doc.fail(peer_at, "must be a non-empty string");
      const auto peer = peers[j].as<std::string>();
      if (!plausible_realm(peer)) doc.fail(peer_at, "not a valid Diameter identity (FQDN)");
      p.peers.push_back(lower_ascii(peer));
    }
    partners.push_back(std::move(p));
  }
  return RoamingPartners(std::move(partners));
}

}  // namespace

HomeConfig parse_home_config(const Document& doc) {
  HomeConfig c;
  c.store = parse_store(doc);
  c.delegation = parse_delegation(doc);
  c.roaming_partners = parse_partners(doc);
  return c;
}

HomeConfig parse_home_config(const YAML::Node& root, const std::filesystem::path& source) {
  if (!root.IsMap()) throw config::ConfigError(source.string() + ": top level must be a mapping");
  return parse_home_config(Document{source, root});
}

}  // namespace roamkey::home
