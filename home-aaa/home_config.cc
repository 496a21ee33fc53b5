#include "home_config.h"

#include <algorithm>
#include <limits>

#include "nai.h"

namespace roamkey::home {

namespace {

using config::Document;
namespace field = config::field;

constexpr unsigned long kUint32Max = std::numeric_limits<std::uint32_t>::max();

std::string at_index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

StoreConfig parse_store(const Document& doc) {
  const YAML::Node n = doc.root["store"];
  if (!n || n.IsNull()) doc.fail("store", "required section missing");
  field::only_keys(doc, n, "store", {"path", "master_key_file"});
  const auto path = field::string(doc, n, "store", "path");
  if (path.empty()) doc.fail("store.path", "must be a non-empty path");
  StoreConfig c{doc.resolve(path), {}};
  const auto master = field::string(doc, n, "store", "master_key_file", std::string());
  if (!master.empty()) {
    c.master_key_file = doc.resolve(master);
    if (!std::filesystem::is_regular_file(c.master_key_file))
      doc.fail("store.master_key_file", "file not found: " + c.master_key_file.string());
  }
  return c;
}

// The keys present in `n` override `base` (a partner's section overrides
// the top-level one key by key).
DelegationPolicy parse_policy(const Document& doc, const YAML::Node& n, const std::string& at,
                              const DelegationPolicy& base) {
  DelegationPolicy p = base;
  if (!n.IsMap()) doc.fail(at, "must be a mapping");
  field::only_keys(doc, n, at, {"tsk_lifetime", "tsk_max_uses", "rotation_interval"});
  // All three travel as or bound Unsigned32 values (protocol.md sec. 3).
  p.tsk_lifetime =
      static_cast<std::uint32_t>(field::integer(doc, n, at, "tsk_lifetime", 1, kUint32Max, base.tsk_lifetime));
  const auto uses = field::integer(doc, n, at, "tsk_max_uses", 0, kUint32Max, base.tsk_max_uses.value_or(0));
  p.tsk_max_uses = uses == 0 ? std::nullopt : std::optional<std::uint32_t>(static_cast<std::uint32_t>(uses));
  p.rotation_interval = static_cast<std::uint32_t>(
      field::integer(doc, n, at, "rotation_interval", 0, kUint32Max, base.rotation_interval));
  // A TSK that expires before its rotation is due is never rotated: the
  // visited domain fetches a new one with a DLR instead.
  if (p.rotation_interval != 0 && p.rotation_interval >= p.tsk_lifetime)
    doc.fail(at + ".rotation_interval", "must be shorter than tsk_lifetime (" + std::to_string(p.tsk_lifetime) +
                                            "), or the TSK expires before it is rotated; 0 turns rotation off");
  return p;
}

DelegationPolicy parse_delegation(const Document& doc) {
  const YAML::Node n = doc.root["delegation"];
  if (!n || n.IsNull()) return {};
  return parse_policy(doc, n, "delegation", {});
}

std::vector<KekConfig> parse_keks(const Document& doc, const YAML::Node& n, const std::string& at) {
  std::vector<KekConfig> keks;
  if (!n || n.IsNull()) return keks;
  if (!n.IsSequence()) doc.fail(at, "must be a list of {id, key_file}");
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto kek_at = at_index(at, i);
    if (!n[i].IsMap()) doc.fail(kek_at, "must be a mapping {id, key_file}");
    field::only_keys(doc, n[i], kek_at, {"id", "key_file"});
    KekConfig k;
    k.id = field::string(doc, n[i], kek_at, "id");
    if (k.id.empty()) doc.fail(kek_at + ".id", "must be a non-empty string");
    for (std::size_t j = 0; j < keks.size(); ++j)
      if (keks[j].id == k.id) doc.fail(kek_at + ".id", "duplicate of " + at_index(at, j) + ".id");
    const auto file = field::string(doc, n[i], kek_at, "key_file");
    if (file.empty()) doc.fail(kek_at + ".key_file", "must be a non-empty path");
    k.key_file = doc.resolve(file);
    if (!std::filesystem::is_regular_file(k.key_file))
      doc.fail(kek_at + ".key_file", "file not found: " + k.key_file.string());
    keks.push_back(std::move(k));
  }
  return keks;
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

RoamingPartners parse_partners(const Document& doc, const DelegationPolicy& top) {
  const YAML::Node list = doc.root["roaming_partners"];
  if (!list || list.IsNull()) return {};
  if (!list.IsSequence()) doc.fail("roaming_partners", "must be a list of partners");
  std::vector<RoamingPartner> partners;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto at = at_index("roaming_partners", i);
    const YAML::Node n = list[i];
    if (!n.IsMap()) doc.fail(at, "must be a mapping");
    field::only_keys(doc, n, at, {"realm", "peers", "delegation", "keks", "wrap_with"});
    RoamingPartner p;
    p.realm = fqdn(doc, n, at, "realm", "realm");
    for (std::size_t j = 0; j < partners.size(); ++j)
      if (partners[j].realm == p.realm)
        doc.fail(at + ".realm", "duplicate of " + at_index("roaming_partners", j) + ".realm");

    const YAML::Node peers = n["peers"];
    if (!peers || peers.IsNull()) doc.fail(at + ".peers", "required");
    if (!peers.IsSequence() || peers.size() == 0)
      doc.fail(at + ".peers", "must be a non-empty list of Diameter identities");
    for (std::size_t j = 0; j < peers.size(); ++j) {
      const auto peer_at = at_index(at + ".peers", j);
      if (!peers[j].IsScalar() || peers[j].as<std::string>().empty()) doc.fail(peer_at, "must be a non-empty string");
      const auto peer = peers[j].as<std::string>();
      if (!plausible_realm(peer)) doc.fail(peer_at, "not a valid Diameter identity (FQDN)");
      p.peers.push_back(lower_ascii(peer));
    }

    const YAML::Node policy = n["delegation"];
    if (policy && !policy.IsNull()) p.policy = parse_policy(doc, policy, at + ".delegation", top);
    p.keks = parse_keks(doc, n["keks"], at + ".keks");
    p.wrap_with = field::string(doc, n, at, "wrap_with", std::string());
    if (!p.wrap_with.empty() &&
        std::none_of(p.keks.begin(), p.keks.end(), [&](const KekConfig& k) { return k.id == p.wrap_with; }))
      doc.fail(at + ".wrap_with", "names no KEK listed in " + at + ".keks");
    partners.push_back(std::move(p));
  }
  return RoamingPartners(std::move(partners));
}

}  // namespace

HomeConfig parse_home_config(const Document& doc) {
  HomeConfig c;
  c.admin = config::parse_admin(doc, kDefaultAdminPort);
  c.store = parse_store(doc);
  c.delegation = parse_delegation(doc);
  c.roaming_partners = parse_partners(doc, c.delegation);
  // Last, so that check-config, which runs it on its own too, also reports
  // what the sections themselves hold.
  config::only_sections(doc, kHomeSections);
  return c;
}

HomeConfig parse_home_config(const YAML::Node& root, const std::filesystem::path& source) {
  if (!root.IsMap()) throw config::ConfigError(source.string() + ": top level must be a mapping");
  return parse_home_config(Document{source, root});
}

}  // namespace roamkey::home
