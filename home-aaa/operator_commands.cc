#include "operator_commands.h"

#include <time.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "crypto/bytes.h"
#include "nai.h"
#include "sqlite_subscriber_store.h"
#include "subscriber_import.h"

namespace roamkey::home::cli {

namespace {

constexpr std::size_t kPageSize = 1000;
constexpr std::size_t kMaxProblemsShown = 20;

// Read-only and maintenance commands must not leave an empty store behind
// when the operator mistyped the path.
std::unique_ptr<SqliteSubscriberStore> open_store(const Context& c, bool create) {
  SqliteSubscriberStore::Options options;
  options.create_if_missing = create;
  return std::make_unique<SqliteSubscriberStore>(c.store_path, options);
}

std::string iso8601(Timestamp t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string roaming_text(const RoamingScope& r) {
  if (r.all_partners) return "*";
  if (r.realms.empty()) return "-";
  std::string out;
  for (const auto& realm : r.realms) out += (out.empty() ? "" : ";") + realm;
  return out;
}

nlohmann::json to_json(const Subscriber& s) {
  return {{"nai", s.nai},
          {"status", to_string(s.status)},
          {"all_partners", s.roaming.all_partners},
          {"realms", s.roaming.realms},
          {"last_generation", s.last_generation},
          {"vectors_issued", s.vectors_issued},
          {"created_at", iso8601(s.created_at)},
          {"updated_at", iso8601(s.updated_at)}};
}

nlohmann::json to_json(const VectorRecord& v) {
  return {{"generation", v.generation},   {"rand", crypto::to_hex(v.rand)},
          {"visited_realm", v.visited_realm}, {"visited_host", v.visited_host},
          {"issued_at", iso8601(v.issued_at)}, {"expires_at", iso8601(v.expires_at)}};
}

[[noreturn]] void no_such_subscriber(const std::string& nai) { throw std::runtime_error("no such subscriber: " + nai); }

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
  auto store = open_store(c, true);
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
    throw std::runtime_error(name + ": " + std::to_string(parsed.problems.size()) +
                             " bad line(s); nothing imported");
  }
  std::vector<NewSubscriber> batch;
  batch.reserve(parsed.entries.size());
  for (auto& e : parsed.entries) batch.push_back(std::move(e.subscriber));
  auto store = open_store(c, true);
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
        c.out << s.nai << "\t" << to_string(s.status) << "\t" << s.last_generation << "\t" << s.vectors_issued
              << "\t" << roaming_text(s.roaming) << "\n";
    }
    if (!page.next) break;
    cursor = std::move(*page.next);
  }
}

void show_subscriber(const Context& c, const std::string& nai, bool json) {
  auto store = open_store(c, false);
  const auto s = store->get(nai);
  if (!s) no_such_subscriber(nai);
  if (json) {
    c.out << to_json(*s).dump(2) << "\n";
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
        << "created:         " << iso8601(s->created_at) << "\n"
        << "updated:         " << iso8601(s->updated_at) << "\n";
}

void set_status(const Context& c, const std::string& nai, SubscriberStatus status) {
  auto store = open_store(c, false);
  if (!store->set_status(nai, status, c.now())) no_such_subscriber(nai);
  c.out << (status == SubscriberStatus::Barred ? "barred " : "unbarred ") << nai << "\n";
}

void set_roaming(const Context& c, const std::string& nai, const RoamingScope& roaming) {
  auto store = open_store(c, false);
  if (!store->set_roaming(nai, roaming, c.now())) no_such_subscriber(nai);
  warn_about_realms(c, roaming);
  c.out << "roaming of " << nai << ": " << roaming_text(roaming) << "\n";
}

void remove_subscriber(const Context& c, const std::string& nai) {
  auto store = open_store(c, false);
  if (!store->remove(nai, c.now())) no_such_subscriber(nai);
  c.out << "removed " << nai << "\n";
}

void list_delegations(const Context& c, const std::string& nai, bool json) {
  auto store = open_store(c, false);
  if (!store->get(nai)) no_such_subscriber(nai);
  const auto vectors = store->list_delegations(nai);
  if (!json) c.out << "GENERATION\tRAND\tVISITED_REALM\tVISITED_HOST\tISSUED\tEXPIRES\n";
  for (const auto& v : vectors) {
    if (json)
      c.out << to_json(v).dump() << "\n";
    else
      c.out << v.generation << "\t" << crypto::to_hex(v.rand) << "\t" << v.visited_realm << "\t" << v.visited_host
            << "\t" << iso8601(v.issued_at) << "\t" << iso8601(v.expires_at) << "\n";
  }
}

}  // namespace roamkey::home::cli
