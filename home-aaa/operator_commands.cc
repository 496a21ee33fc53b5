#include "operator_commands.h"

#include <time.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "crypto/bytes.h"
#include "master_key.h"
#include "nai.h"
#include "sqlite_subscriber_store.h"
#include "store_schema.h"
#include "subscriber_import.h"
#include "time/iso8601.h"

namespace roamkey::home::cli {

namespace {

constexpr std::size_t kPageSize = 1000;
constexpr std::size_t kMaxProblemsShown = 20;
constexpr std::size_t kHistoryShown = 20;  // revocations, pushes, reports, requests per subscriber

// Read-only and maintenance commands must not leave an empty store behind
// when the operator mistyped the path. Only commands that touch K
// (`needs_key`) read the master key: the others work without access to it.
std::unique_ptr<SqliteSubscriberStore> open_store(const Context& c, bool create, bool needs_key = false) {
  SqliteSubscriberStore::Options options;
  options.create_if_missing = create;
  options.require_key_access = needs_key;
  if (needs_key) options.key_protector = key_protector_for(c.master_key_file);
  return std::make_unique<SqliteSubscriberStore>(c.store_path, options);
}

std::string roaming_text(const RoamingScope& r) {
  if (r.all_partners) return "*";
  if (r.realms.empty()) return "-";
  std::string out;
  for (const auto& realm : r.realms) out += (out.empty() ? "" : ";") + realm;
  return out;
}

nlohmann::json optional_time(const std::optional<Timestamp>& t) {
  return t ? nlohmann::json(iso8601(*t)) : nlohmann::json(nullptr);
}

std::string text_time(const std::optional<Timestamp>& t) {
  return t ? iso8601(*t) : "-";
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

nlohmann::json to_json(const Subscriber& s) {
  return {{"nai", s.nai},
          {"status", to_string(s.status)},
          {"all_partners", s.roaming.all_partners},
          {"realms", s.roaming.realms},
          {"last_generation", s.last_generation},
          {"vectors_issued", s.vectors_issued},
          {"mobile_generation", s.mobile_generation},
          {"mobile_generation_at", optional_time(s.mobile_generation_at)},
          {"created_at", iso8601(s.created_at)},
          {"updated_at", iso8601(s.updated_at)}};
}

nlohmann::json to_json(const DelegationRecord& d, Timestamp now) {
  return {{"user_name", d.user_name},
          {"visited_realm", d.visited_realm},
          {"visited_host", d.visited_host},
          {"first_generation", d.first_generation},
          {"generation", d.generation},
          {"started_at", iso8601(d.started_at)},
          {"issued_at", iso8601(d.issued_at)},
          {"expires_at", iso8601(d.expires_at)},
          {"active", d.active()},
          {"expired", d.expires_at <= now},
          {"ended_at", optional_time(d.ended_at)},
          {"end_reason", d.end_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.end_reason)}};
}

nlohmann::json to_json(const RevocationRecord& r) {
  const bool pending = r.state == RevocationState::Pending;
  return {{"id", r.id},
          {"state", to_string(r.state)},
          {"visited_realm", r.visited_realm},
          {"visited_host", r.visited_host},
          {"user_name", r.user_name},
          {"cause", to_string(r.cause)},
          {"generation", r.generation ? nlohmann::json(*r.generation) : nlohmann::json(nullptr)},
          {"attempts", r.attempts},
          {"created_at", iso8601(r.created_at)},
          {"next_attempt_at", pending ? nlohmann::json(iso8601(r.next_attempt_at)) : nlohmann::json(nullptr)},
          {"give_up_at", iso8601(r.give_up_at)},
          {"last_error", r.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.last_error)},
          {"finished_at", optional_time(r.finished_at)}};
}

nlohmann::json to_json(const KeyPushRecord& p) {
  const bool sending = p.state == KeyPushState::Sending;
  return {{"id", p.id},
          {"state", to_string(p.state)},
          {"generation", p.generation},
          {"visited_realm", p.visited_realm},
          {"visited_host", p.visited_host},
          {"attempts", p.attempts},
          {"created_at", iso8601(p.created_at)},
          {"expires_at", iso8601(p.expires_at)},
          {"next_attempt_at", sending ? nlohmann::json(iso8601(p.next_attempt_at)) : nlohmann::json(nullptr)},
          {"last_error", p.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.last_error)},
          {"finished_at", optional_time(p.finished_at)}};
}

nlohmann::json to_json(const KeyUpdateRecord& k) {
  return {{"generation", k.generation},
          {"status", to_string(k.status)},
          {"visited_realm", k.visited_realm},
          {"visited_host", k.visited_host},
          {"first_reported_at", iso8601(k.first_reported_at)},
          {"last_reported_at", iso8601(k.last_reported_at)},
          {"reports", k.reports}};
}

nlohmann::json to_json(const OperatorRequest& r) {
  return {{"id", r.id},
          {"kind", r.kind},
          {"requested_at", iso8601(r.requested_at)},
          {"handled_at", optional_time(r.handled_at)},
          {"result", r.result.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.result)}};
}

// One line about a delegation, for show and delegations.
std::string delegation_text(const DelegationRecord& d, Timestamp now) {
  std::string s = d.visited_realm + " via " + d.visited_host + ", generation " + std::to_string(d.generation);
  if (d.first_generation != d.generation) s += " (from " + std::to_string(d.first_generation) + ")";
  s += ", since " + iso8601(d.started_at);
  if (d.active()) {
    s += d.expires_at <= now ? ", expired " : ", expires ";
    s += iso8601(d.expires_at);
  } else {
    s += ", ended " + iso8601(*d.ended_at) + ": " + d.end_reason;
  }
  return s;
}

std::string mobile_text(const Subscriber& s) {
  if (s.mobile_generation == 0) return "unknown (no key update reported)";
  return "generation " + std::to_string(s.mobile_generation) + " (reported UPDATED " +
         text_time(s.mobile_generation_at) + ")";
}

nlohmann::json to_json(const VectorRecord& v) {
  return {{"generation", v.generation},     {"rand", crypto::to_hex(v.rand)},    {"visited_realm", v.visited_realm},
          {"visited_host", v.visited_host}, {"issued_at", iso8601(v.issued_at)}, {"expires_at", iso8601(v.expires_at)}};
}

[[noreturn]] void no_such_subscriber(const std::string& nai) {
  throw std::runtime_error("no such subscriber: " + nai);
}

void warn_about_realms(const Context& c, const RoamingScope& roaming) {
  if (!c.partners) return;
  for (const auto& realm : roaming.realms)
    if (!c.partners->is_partner(realm))
      c.err << "home-aaa: warning: " << realm << " is not a roaming partner in the configuration\n";
}

}  // namespace

void add_subscriber(const Context& c, const std::string& nai, const crypto::SecretBytes& k,
                    const RoamingScope& roaming) {
  // Checked before the store is opened, so a typo does not leave a new
  // empty store behind.
  if (!canonical_nai(nai)) throw std::invalid_argument("not a valid NAI (user@realm): " + nai);
  for (const auto& realm : roaming.realms)
    if (!plausible_realm(realm)) throw std::invalid_argument("not a valid realm: " + realm);
  NewSubscriber s{nai, k, SubscriberStatus::Active, roaming};
  auto store = open_store(c, true, true);
  store->add(s, c.now());
  warn_about_realms(c, roaming);
  c.out << "added " << nai << "\n";
}

void import_subscribers(const Context& c, const std::string& file) {
  ImportFile parsed;
  if (file == "-") {
    parsed = parse_import(std::cin);
  } else {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(file + ": cannot open");
    parsed = parse_import(in);
  }
  const std::string name = file == "-" ? "<stdin>" : file;
  if (!parsed.ok()) {
    for (std::size_t i = 0; i < parsed.problems.size() && i < kMaxProblemsShown; ++i)
      c.err << name << ":" << parsed.problems[i].line << ": " << parsed.problems[i].message << "\n";
    if (parsed.problems.size() > kMaxProblemsShown)
      c.err << name << ": and " << parsed.problems.size() - kMaxProblemsShown << " more problems\n";
    throw std::runtime_error(name + ": " + std::to_string(parsed.problems.size()) + " bad line(s); nothing imported");
  }
  std::vector<NewSubscriber> batch;
  batch.reserve(parsed.entries.size());
  for (auto& e : parsed.entries) batch.push_back(std::move(e.subscriber));
  auto store = open_store(c, true, true);
  try {
    store->import(batch, c.now());
  } catch (const DuplicateSubscriber& e) {
    throw std::runtime_error(name + ":" + std::to_string(parsed.entries.at(e.index()).line) +
                             ": subscriber already exists: " + e.nai() + "; nothing imported");
  }
  for (const auto& s : batch) warn_about_realms(c, s.roaming);
  c.out << "imported " << batch.size() << " subscriber(s)\n";
}

void list_subscribers(const Context& c, bool json) {
  auto store = open_store(c, false);
  if (!json) c.out << "NAI\tSTATUS\tLAST_GENERATION\tVECTORS\tROAMING\n";
  std::string cursor;
  for (;;) {
    auto page = store->list(cursor, kPageSize);
    for (const auto& s : page.subscribers) {
      if (json)
        c.out << to_json(s).dump() << "\n";
      else
        c.out << s.nai << "\t" << to_string(s.status) << "\t" << s.last_generation << "\t" << s.vectors_issued << "\t"
              << roaming_text(s.roaming) << "\n";
    }
    if (!page.next) break;
    cursor = std::move(*page.next);
  }
}

void show_subscriber(const Context& c, const std::string& nai, bool json) {
  auto store = open_store(c, false);
  const auto s = store->get(nai);
  if (!s) no_such_subscriber(nai);
  const auto d = store->delegation(nai);
  const auto now = c.now();
  if (json) {
    auto j = to_json(*s);
    j["delegation"] = d ? to_json(*d, now) : nlohmann::json(nullptr);
    c.out << j.dump(2) << "\n";
    return;
  }
  std::string roaming = s->roaming.all_partners ? "all roaming partners" : "";
  if (!s->roaming.all_partners) {
    for (const auto& r : s->roaming.realms) roaming += (roaming.empty() ? "" : ", ") + r;
    if (roaming.empty()) roaming = "nowhere";
  }
  c.out << "nai:             " << s->nai << "\n"
        << "status:          " << to_string(s->status) << "\n"
        << "roaming:         " << roaming << "\n"
        << "last generation: " << s->last_generation << "\n"
        << "vectors issued:  " << s->vectors_issued << "\n"
        << "delegation:      " << (d ? delegation_text(*d, now) : std::string("none")) << "\n"
        << "mobile holds:    " << mobile_text(*s) << "\n"
        << "created:         " << iso8601(s->created_at) << "\n"
        << "updated:         " << iso8601(s->updated_at) << "\n";
}

// What the store revoked as a side effect of a provisioning change.
void report_revocation(const Context& c, SqliteSubscriberStore& store, const std::string& nai,
                       const std::optional<DelegationRecord>& before) {
  if (!before || !before->active()) return;
  const auto after = store.delegation(nai);
  if (after && after->active()) return;
  c.out << "revoked its delegation to " << before->visited_realm << " (" << before->visited_host
        << ", SUBSCRIPTION_WITHDRAWN): the daemon delivers the DRR; see home-aaa delegations --nai " << nai << "\n";
}

void set_status(const Context& c, const std::string& nai, SubscriberStatus status) {
  auto store = open_store(c, false);
  const auto before = store->delegation(nai);
  if (!store->set_status(nai, status, c.now())) no_such_subscriber(nai);
  c.out << (status == SubscriberStatus::Barred ? "barred " : "unbarred ") << nai << "\n";
  report_revocation(c, *store, nai, before);
}

void set_roaming(const Context& c, const std::string& nai, const RoamingScope& roaming) {
  auto store = open_store(c, false);
  const auto before = store->delegation(nai);
  if (!store->set_roaming(nai, roaming, c.now())) no_such_subscriber(nai);
  warn_about_realms(c, roaming);
  c.out << "roaming of " << nai << ": " << roaming_text(roaming) << "\n";
  report_revocation(c, *store, nai, before);
}

void remove_subscriber(const Context& c, const std::string& nai) {
  auto store = open_store(c, false);
  const auto before = store->delegation(nai);
  if (!store->remove(nai, c.now())) no_such_subscriber(nai);
  c.out << "removed " << nai << "\n";
  if (before && before->active())
    c.out << "revoked its delegation to " << before->visited_realm << " (" << before->visited_host
          << ", SUBSCRIPTION_WITHDRAWN): the daemon delivers the DRR\n";
}

void list_delegations(const Context& c, const std::string& nai, bool json) {
  auto store = open_store(c, false);
  const auto s = store->get(nai);
  if (!s) no_such_subscriber(nai);
  const auto now = c.now();
  const auto d = store->delegation(nai);
  const auto vectors = store->list_delegations(nai);
  const auto revocations = store->revocations(nai, kHistoryShown);
  const auto pushes = store->key_pushes(nai, kHistoryShown);
  const auto updates = store->key_updates(nai, kHistoryShown);
  const auto requests = store->operator_requests(nai, kHistoryShown);
  if (json) {
    nlohmann::json j = {{"nai", s->nai},
                        {"delegation", d ? to_json(*d, now) : nlohmann::json(nullptr)},
                        {"mobile_generation", s->mobile_generation},
                        {"mobile_generation_at", optional_time(s->mobile_generation_at)},
                        {"vectors", nlohmann::json::array()},
                        {"revocations", nlohmann::json::array()},
                        {"key_pushes", nlohmann::json::array()},
                        {"key_updates", nlohmann::json::array()},
                        {"operator_requests", nlohmann::json::array()}};
    for (const auto& v : vectors) j["vectors"].push_back(to_json(v));
    for (const auto& r : revocations) j["revocations"].push_back(to_json(r));
    for (const auto& p : pushes) j["key_pushes"].push_back(to_json(p));
    for (const auto& k : updates) j["key_updates"].push_back(to_json(k));
    for (const auto& r : requests) j["operator_requests"].push_back(to_json(r));
    c.out << j.dump() << "\n";
    return;
  }
  c.out << (d && d->active() ? "active delegation: " : "delegation:        ")
        << (d ? delegation_text(*d, now) : std::string("none")) << "\n"
        << "mobile holds:      " << mobile_text(*s) << "\n";
  c.out << "GENERATION\tRAND\tVISITED_REALM\tVISITED_HOST\tISSUED\tEXPIRES\n";
  for (const auto& v : vectors)
    c.out << v.generation << "\t" << crypto::to_hex(v.rand) << "\t" << v.visited_realm << "\t" << v.visited_host << "\t"
          << iso8601(v.issued_at) << "\t" << iso8601(v.expires_at) << "\n";
  if (!revocations.empty()) {
    c.out << "revocations (DRR):\nID\tSTATE\tVISITED_HOST\tCAUSE\tGENERATION\tATTEMPTS\tNEXT_ATTEMPT\tLAST_ERROR\n";
    for (const auto& r : revocations)
      c.out << r.id << "\t" << to_string(r.state) << "\t" << r.visited_host << "\t" << to_string(r.cause) << "\t"
            << (r.generation ? "<=" + std::to_string(*r.generation) : std::string("all")) << "\t" << r.attempts << "\t"
            << (r.state == RevocationState::Pending ? iso8601(r.next_attempt_at) : "-") << "\t" << or_dash(r.last_error)
            << "\n";
  }
  if (!pushes.empty()) {
    c.out << "key pushes (KPR):\nID\tSTATE\tGENERATION\tVISITED_HOST\tATTEMPTS\tNEXT_ATTEMPT\tLAST_ERROR\n";
    for (const auto& p : pushes)
      c.out << p.id << "\t" << to_string(p.state) << "\t" << p.generation << "\t" << p.visited_host << "\t"
            << p.attempts << "\t" << (p.state == KeyPushState::Sending ? iso8601(p.next_attempt_at) : "-") << "\t"
            << or_dash(p.last_error) << "\n";
  }
  if (!updates.empty()) {
    c.out << "key update reports (KUR):\nGENERATION\tSTATUS\tVISITED_HOST\tFIRST\tLAST\tREPORTS\n";
    for (const auto& k : updates)
      c.out << k.generation << "\t" << to_string(k.status) << "\t" << k.visited_host << "\t"
            << iso8601(k.first_reported_at) << "\t" << iso8601(k.last_reported_at) << "\t" << k.reports << "\n";
  }
  if (!requests.empty()) {
    c.out << "operator requests:\nID\tKIND\tREQUESTED\tHANDLED\tRESULT\n";
    for (const auto& r : requests)
      c.out << r.id << "\t" << r.kind << "\t" << iso8601(r.requested_at) << "\t" << text_time(r.handled_at) << "\t"
            << (r.handled_at ? r.result : std::string("waiting for the daemon")) << "\n";
  }
}

std::optional<RevocationCause> revocation_cause_from(const std::string& name) {
  if (name == "administrative") return RevocationCause::Administrative;
  if (name == "subscription-withdrawn") return RevocationCause::SubscriptionWithdrawn;
  if (name == "key-compromised") return RevocationCause::KeyCompromised;
  return std::nullopt;
}

void revoke(const Context& c, const std::string& nai, RevocationCause cause) {
  auto store = open_store(c, false);
  const auto out = store->revoke(nai, cause, c.now());
  if (!out) no_such_subscriber(nai);
  if (!out->revoked) {
    c.out << nai << " has no active delegation: nothing to revoke\n";
    return;
  }
  c.out << "revoked the delegation of " << nai << " to " << out->revoked->visited_realm << " ("
        << out->revoked->visited_host << ", " << to_string(cause) << "): DRR queued to " << out->revocations_queued
        << " host(s); the daemon delivers it (see home-aaa delegations --nai " << nai << ")\n";
}

void rotate(const Context& c, const std::string& nai) {
  auto store = open_store(c, false);
  if (!store->get(nai)) no_such_subscriber(nai);
  const auto d = store->delegation(nai);
  if (!d || !d->active()) throw std::runtime_error(nai + " has no active delegation: nothing to rotate");
  if (d->expires_at <= c.now())
    throw std::runtime_error(nai + ": the delegation to " + d->visited_host +
                             " has expired (the visited host holds no vector): nothing to rotate");
  const auto id = store->request_rotation(nai, c.now());
  if (!id) no_such_subscriber(nai);
  c.out << "rotation of " << nai << " queued as request #" << *id << ": the daemon issues the generation after "
        << d->generation << " and pushes it to " << d->visited_host << " (see home-aaa delegations --nai " << nai
        << ")\n";
}

void rekey_store(const Context& c, const std::filesystem::path& new_master_key_file) {
  if (new_master_key_file.empty() && c.master_key_file.empty())
    throw UsageError("store rekey: give --new-master-key-file FILE, or configure store.master_key_file");
  // The current key opens the store (and is checked against it); the
  // target key is read, with its permissions checked, before anything
  // changes.
  auto store = open_store(c, false, true);
  const auto target_file = new_master_key_file.empty() ? c.master_key_file : new_master_key_file;
  auto target = std::make_shared<MasterKeyProtector>(read_master_key_file(target_file));
  const auto result = store->rekey(std::move(target));
  c.out << "sealed " << result.rekeyed << " subscriber key(s) under " << target_file.string() << "\n";
  if (!result.wal_truncated)
    c.err << "home-aaa: warning: " << c.store_path.string()
          << "-wal is in use by another process: old blobs stay in it until its next checkpoint\n";
  if (!new_master_key_file.empty() && new_master_key_file != c.master_key_file)
    c.out << "now set store.master_key_file: " << new_master_key_file.string()
          << " in the configuration and (re)start home-aaa; keep the old key file until it runs\n";
}

void store_info(const Context& c, bool json) {
  // With a configured master key this also proves that key matches.
  auto store = open_store(c, false, !c.master_key_file.empty());
  const auto stats = store->key_stats();
  const auto version = store->schema_version();
  const bool matches = !c.master_key_file.empty();
  if (json) {
    c.out << nlohmann::json{{"path", c.store_path.string()},
                            {"schema_version", version},
                            {"k_plain", stats.plain},
                            {"k_sealed", stats.sealed},
                            {"master_key_bound", stats.master_key_check},
                            {"plain_k_refused", stats.plain_refused},
                            {"master_key_file",
                             matches ? nlohmann::json(c.master_key_file.string()) : nlohmann::json(nullptr)}}
                 .dump(2)
          << "\n";
    return;
  }
  c.out << "store:          " << c.store_path.string() << "\n"
        << "schema version: " << version << "\n"
        << "K sealed:       " << stats.sealed << "\n"
        << "K in clear:     " << stats.plain << "\n"
        << "master key:     "
        << (stats.master_key_check
                ? (matches ? c.master_key_file.string() + " (matches)" : std::string("bound to one (not given)"))
                : std::string("none"))
        << "\n";
}

}  // namespace roamkey::home::cli
