#include "sqlite_subscriber_store.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "crypto/hmac.h"
#include "nai.h"
#include "store_schema.h"
#include "store_time.h"

namespace roamkey::home {

namespace {

using store_time::seconds;
using store_time::timestamp;

constexpr std::int64_t kMaxGeneration = std::numeric_limits<std::uint32_t>::max();

// store_meta names (store_schema.cc, version 2).
constexpr std::string_view kMasterKeyCheck = "master_key_check";
constexpr std::string_view kPlainKRefused = "plain_k_refused";
constexpr std::size_t kRekeyPage = 500;

std::string_view status_text(SubscriberStatus s) {
  return to_string(s);
}

SubscriberStatus status_from(const std::string& s) {
  return s == "barred" ? SubscriberStatus::Barred : SubscriberStatus::Active;
}

int open_flags(const std::filesystem::path& path, const SqliteSubscriberStore::Options& options) {
  if (options.create_if_missing) {
    // K may be stored in clear (KeyScheme::Plain): owner only.
    sqlite::create_private_file(path);
  } else if (!std::filesystem::exists(path)) {
    throw StoreError(path.string() + ": no subscriber store at this path");
  }
  return SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
}

std::vector<std::string> normalized_realms(const std::vector<std::string>& realms) {
  std::vector<std::string> out;
  out.reserve(realms.size());
  for (const auto& r : realms) {
    if (!plausible_realm(r)) throw std::invalid_argument("not a valid realm: " + r);
    out.push_back(lower_ascii(r));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> split_realms(const std::string& joined) {
  std::vector<std::string> out;
  std::istringstream in(joined);
  for (std::string r; in >> r;) out.push_back(r);
  std::sort(out.begin(), out.end());
  return out;
}

// Columns 0-9 of every subscriber SELECT below.
constexpr const char* kSubscriberColumns =
    "s.nai, s.status, s.roam_all, s.last_generation, s.created_at, s.updated_at, "
    "(SELECT group_concat(r.realm, ' ') FROM subscriber_realms r WHERE r.subscriber_id = s.id), "
    "(SELECT count(*) FROM issued_vectors v WHERE v.subscriber_id = s.id), "
    "s.mobile_generation, s.mobile_generation_at";

Subscriber read_subscriber(sqlite::Statement& q) {
  Subscriber s;
  s.nai = q.text(0);
  s.status = status_from(q.text(1));
  s.roaming.all_partners = q.integer(2) != 0;
  if (!q.is_null(6)) s.roaming.realms = split_realms(q.text(6));
  s.last_generation = static_cast<std::uint32_t>(q.integer(3));
  s.created_at = timestamp(q.integer(4));
  s.updated_at = timestamp(q.integer(5));
  s.vectors_issued = static_cast<std::uint64_t>(q.integer(7));
  s.mobile_generation = static_cast<std::uint32_t>(q.integer(8));
  if (!q.is_null(9)) s.mobile_generation_at = timestamp(q.integer(9));
  return s;
}

VectorRecord read_vector(sqlite::Statement& q) {
  VectorRecord v;
  v.generation = static_cast<std::uint32_t>(q.integer(0));
  v.rand = q.blob(1);
  v.visited_realm = q.text(2);
  v.visited_host = q.text(3);
  v.issued_at = timestamp(q.integer(4));
  v.expires_at = timestamp(q.integer(5));
  return v;
}

// Column 10 is the canonical NAI (the list cursor).
const std::string& select_subscriber_sql() {
  static const std::string sql = std::string("SELECT ") + kSubscriberColumns + ", s.nai_key FROM subscribers s ";
  return sql;
}

// Columns 11 and 12 are K's scheme and blob: only for get_with_key, so that
// no other query pulls K into memory.
const std::string& select_subscriber_with_key_sql() {
  static const std::string sql =
      std::string("SELECT ") + kSubscriberColumns + ", s.nai_key, s.k_scheme, s.k_blob FROM subscribers s ";
  return sql;
}

}  // namespace

struct SqliteSubscriberStore::Validated {
  std::string nai;
  std::string key;
  KeyScheme scheme;
  crypto::SecretBytes blob;
  SubscriberStatus status;
  bool roam_all;
  std::vector<std::string> realms;
  crypto::Bytes key_check = {};  // of the protector that made `blob`
};

SqliteSubscriberStore::SqliteSubscriberStore(const std::filesystem::path& path)
    : SqliteSubscriberStore(path, Options{}) {}

SqliteSubscriberStore::SqliteSubscriberStore(const std::filesystem::path& path, Options options)
    : db_(path, open_flags(path, options)), protector_(std::move(options.key_protector)) {
  if (!protector_) protector_ = std::make_shared<PlainKeyProtector>();
  sqlite3_busy_timeout(db_.handle(), static_cast<int>(options.busy_timeout.count()));
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  schema::prepare(db_, seconds(now));
  check_key_access(options.require_key_access);
}

std::vector<std::string> SqliteSubscriberStore::check_read_only(const std::filesystem::path& path,
                                                                const std::shared_ptr<const KeyProtector>& protector) {
  std::vector<std::string> problems;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!std::filesystem::is_directory(path.parent_path().empty() ? "." : path.parent_path(), ec))
      problems.push_back(path.string() + ": no store, and its directory does not exist");
    return problems;
  }
  try {
    sqlite::Database db(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    if (schema::inspect(db) == 0) return problems;  // empty: laid out at start
    const auto has_meta = [&] {
      auto q = db.query("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'store_meta'");
      return q->step();
    }();
    std::optional<crypto::Bytes> stored;
    if (has_meta) {
      auto q = db.query("SELECT value FROM store_meta WHERE name = ?1");
      q->bind(1, kMasterKeyCheck);
      if (q->step()) stored = q->blob(0);
    }
    const auto mine = protector ? protector->key_check() : crypto::Bytes{};
    if (mine.empty()) {
      if (stored)
        problems.push_back(path.string() +
                           ": the K in this store are sealed under a master key: configure "
                           "store.master_key_file");
    } else if (stored && !crypto::constant_time_equal(*stored, mine)) {
      problems.push_back(path.string() +
                         ": store.master_key_file does not match this store: its K are sealed "
                         "under another master key");
    } else if (!stored) {
      auto q = db.query("SELECT nai_key, k_blob FROM subscribers WHERE k_scheme = ?1 LIMIT 1");
      q->bind(1, static_cast<std::int64_t>(KeyScheme::Aes256GcmMasterKey));
      if (q->step() && !protector->unprotect(KeyScheme::Aes256GcmMasterKey, q->secret(1).view(), q->text(0)))
        problems.push_back(path.string() +
                           ": store.master_key_file does not match this store: its K are "
                           "sealed under another master key");
    }
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  return problems;
}

std::optional<crypto::Bytes> SqliteSubscriberStore::meta(std::string_view name) {
  auto q = db_.query("SELECT value FROM store_meta WHERE name = ?1");
  q->bind(1, name);
  if (!q->step()) return std::nullopt;
  return q->blob(0);
}

void SqliteSubscriberStore::set_meta(std::string_view name, crypto::ByteView value) {
  auto q = db_.query(
      "INSERT INTO store_meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  q->bind(1, name).bind_blob(2, value).run();
}

void SqliteSubscriberStore::erase_meta(std::string_view name) {
  auto q = db_.query("DELETE FROM store_meta WHERE name = ?1");
  q->bind(1, name).run();
}

// The store remembers the check value of the master key its K are sealed
// under, so that a wrong key is a start-up error and not a 5012 on every
// DLR. A store first opened with a master key is bound to it here; if it
// has no check value yet (sealed before version 2 kept one), one sealed row
// must open with the key first.
void SqliteSubscriberStore::check_key_access(bool require_key_access) {
  const auto mismatch = [&] {
    return StoreError(db_.path().string() +
                      ": the master key does not match this store: its K are sealed under another master key. "
                      "Give the key file the store was created or last re-keyed with (store.master_key_file)");
  };
  const auto mine = protector_->key_check();
  std::lock_guard lock(mutex_);
  auto stored = meta(kMasterKeyCheck);
  sealed_store_ = stored.has_value();
  plain_refused_ = meta(kPlainKRefused).has_value();
  if (mine.empty()) {
    if (sealed_store_ && require_key_access)
      throw StoreError(db_.path().string() +
                       ": the K in this store are sealed under a master key: configure store.master_key_file "
                       "(or give --master-key-file)");
    return;
  }
  if (stored && !crypto::constant_time_equal(*stored, mine)) throw mismatch();
  if (stored && plain_refused_) return;

  sqlite::Transaction tx(db_);
  stored = meta(kMasterKeyCheck);  // again, under the write lock
  if (stored && !crypto::constant_time_equal(*stored, mine)) throw mismatch();
  if (!stored) {
    auto q = db_.query("SELECT nai_key, k_blob FROM subscribers WHERE k_scheme = ?1 LIMIT 1");
    q->bind(1, static_cast<std::int64_t>(KeyScheme::Aes256GcmMasterKey));
    if (q->step()) {
      const auto blob = q->secret(1);
      if (!protector_->unprotect(KeyScheme::Aes256GcmMasterKey, blob.view(), q->text(0))) throw mismatch();
    }
  }
  bool all_sealed = false;
  {
    auto q = db_.query("SELECT NOT EXISTS (SELECT 1 FROM subscribers WHERE k_scheme = ?1)");
    q->bind(1, static_cast<std::int64_t>(KeyScheme::Plain));
    all_sealed = q->step() && q->integer(0) != 0;
  }
  set_meta(kMasterKeyCheck, mine);
  if (all_sealed) set_meta(kPlainKRefused, crypto::Bytes{1});
  tx.commit();
  sealed_store_ = true;
  plain_refused_ = all_sealed;
}

crypto::SecretBytes SqliteSubscriberStore::open_k(KeyScheme scheme, crypto::ByteView blob, const std::string& nai_key,
                                                  const std::string& nai) const {
  if (scheme != KeyScheme::Plain && protector_->scheme() == KeyScheme::Plain)
    throw StoreError(db_.path().string() + ": K of " + nai +
                     " cannot be read: it is sealed under a master key; configure store.master_key_file (or give "
                     "--master-key-file)");
  if (scheme == KeyScheme::Plain && plain_refused_)
    throw StoreError(db_.path().string() + ": K of " + nai +
                     " is stored in clear in a store whose K are all sealed: refused (the row was changed "
                     "outside home-aaa)");
  auto k = protector_->unprotect(scheme, blob, nai_key);
  if (!k || k->size() != kKeyLength)
    throw StoreError(db_.path().string() + ": K of " + nai + " cannot be read (key scheme " +
                     std::to_string(static_cast<std::uint32_t>(scheme)) +
                     (scheme == KeyScheme::Aes256GcmMasterKey ? ": wrong master key or altered row)" : ")"));
  return std::move(*k);
}

SqliteSubscriberStore::RekeyResult SqliteSubscriberStore::rekey(std::shared_ptr<const KeyProtector> target) {
  if (!target) throw std::invalid_argument("rekey: no target key protector");
  struct Row {
    std::int64_t id;
    std::string nai_key;
    std::string nai;
    KeyScheme scheme;
    crypto::SecretBytes blob;
  };
  RekeyResult result;
  std::lock_guard lock(mutex_);
  const auto check = target->key_check();
  {
    // One transaction: until COMMIT the file holds the old blobs and the old
    // check value, whatever happens to this process.
    sqlite::Transaction tx(db_);
    std::int64_t after = 0;
    for (;;) {
      std::vector<Row> rows;
      {
        auto q =
            db_.query("SELECT id, nai_key, nai, k_scheme, k_blob FROM subscribers WHERE id > ?1 ORDER BY id LIMIT ?2");
        q->bind(1, after).bind(2, static_cast<std::int64_t>(kRekeyPage));
        while (q->step())
          rows.push_back({q->integer(0), q->text(1), q->text(2), static_cast<KeyScheme>(q->integer(3)), q->secret(4)});
      }
      if (rows.empty()) break;
      for (const auto& row : rows) {
        const auto k = open_k(row.scheme, row.blob.view(), row.nai_key, row.nai);
        const auto blob = target->protect(k.view(), row.nai_key);
        auto q = db_.query("UPDATE subscribers SET k_scheme = ?1, k_blob = ?2 WHERE id = ?3");
        q->bind(1, static_cast<std::int64_t>(target->scheme())).bind_blob(2, blob.view()).bind(3, row.id).run();
        ++result.rekeyed;
      }
      after = rows.back().id;
    }
    if (check.empty()) {
      erase_meta(kMasterKeyCheck);
      erase_meta(kPlainKRefused);
    } else {
      set_meta(kMasterKeyCheck, check);
      set_meta(kPlainKRefused, crypto::Bytes{1});
    }
    tx.commit();
  }
  protector_ = std::move(target);
  sealed_store_ = !check.empty();
  plain_refused_ = !check.empty();
  // The old blobs are still in frames of the write-ahead log: copy the new
  // pages into the database file and empty the log (secure_delete already
  // zeroes what the database file frees).
  int log_frames = 0;
  int checkpointed = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &checkpointed);
  result.wal_truncated = rc == SQLITE_OK;
  return result;
}

KeyStats SqliteSubscriberStore::key_stats() {
  KeyStats stats;
  std::lock_guard lock(mutex_);
  {
    auto q = db_.query("SELECT k_scheme, count(*) FROM subscribers GROUP BY k_scheme");
    while (q->step()) {
      const auto n = static_cast<std::uint64_t>(q->integer(1));
      if (q->integer(0) == static_cast<std::int64_t>(KeyScheme::Plain))
        stats.plain += n;
      else
        stats.sealed += n;
    }
  }
  stats.master_key_check = meta(kMasterKeyCheck).has_value();
  stats.plain_refused = meta(kPlainKRefused).has_value();
  return stats;
}

int SqliteSubscriberStore::schema_version() {
  std::lock_guard lock(mutex_);
  return schema::version(db_);
}

SqliteSubscriberStore::OutboxDepth SqliteSubscriberStore::outbox_depth() {
  std::lock_guard lock(mutex_);
  OutboxDepth d;
  auto r = db_.query("SELECT count(*) FROM revocations WHERE state = 'pending'");
  if (r->step()) d.revocations = static_cast<std::uint64_t>(r->integer(0));
  auto p = db_.query("SELECT count(*) FROM key_pushes WHERE state = 'sending'");
  if (p->step()) d.key_pushes = static_cast<std::uint64_t>(p->integer(0));
  return d;
}

SqliteSubscriberStore::Validated SqliteSubscriberStore::validate(const NewSubscriber& s) {
  auto key = canonical_nai(s.nai);
  if (!key) throw std::invalid_argument("not a valid NAI (user@realm): " + s.nai);
  if (s.k.size() != kKeyLength) throw std::invalid_argument("K of " + s.nai + " must be 32 bytes");
  // A snapshot: rekey() may swap the protector; sealing runs unlocked.
  std::shared_ptr<const KeyProtector> protector;
  {
    std::lock_guard lock(mutex_);
    if (sealed_store_ && protector_->scheme() == KeyScheme::Plain)
      throw StoreError(db_.path().string() +
                       ": the K in this store are sealed under a master key: configure store.master_key_file "
                       "(or give --master-key-file) to add subscribers");
    protector = protector_;
  }
  Validated v{s.nai,
              std::move(*key),
              protector->scheme(),
              {},
              s.status,
              s.roaming.all_partners,
              s.roaming.all_partners ? std::vector<std::string>{} : normalized_realms(s.roaming.realms)};
  v.blob = protector->protect(s.k.view(), v.key);
  v.key_check = protector->key_check();
  return v;
}

std::optional<std::int64_t> SqliteSubscriberStore::id_of(const std::string& nai_key) {
  auto q = db_.query("SELECT id FROM subscribers WHERE nai_key = ?1");
  q->bind(1, nai_key);
  if (!q->step()) return std::nullopt;
  return q->integer(0);
}

void SqliteSubscriberStore::write_realms(std::int64_t id, const RoamingScope& roaming) {
  {
    auto q = db_.query("DELETE FROM subscriber_realms WHERE subscriber_id = ?1");
    q->bind(1, id).run();
  }
  for (const auto& realm : roaming.realms) {
    auto q = db_.query("INSERT INTO subscriber_realms (subscriber_id, realm) VALUES (?1, ?2)");
    q->bind(1, id).bind(2, realm).run();
  }
}

void SqliteSubscriberStore::insert(const Validated& v, std::size_t index, Timestamp now) {
  // Another process may have re-keyed the store since the blob was sealed
  // (outside the transaction): such a row could never be opened.
  if (meta(kMasterKeyCheck).value_or(crypto::Bytes{}) != v.key_check)
    throw StoreError(db_.path().string() +
                     ": the store's master key changed meanwhile (store rekey): nothing added; run the command "
                     "again with the new master key");
  if (id_of(v.key)) throw DuplicateSubscriber(v.nai, index);
  std::int64_t generation = 0;
  {
    auto q = db_.query("SELECT last_generation FROM retired_subscribers WHERE nai_key = ?1");
    q->bind(1, v.key);
    if (q->step()) generation = q->integer(0);
  }
  std::int64_t id = 0;
  {
    auto q = db_.query(
        "INSERT INTO subscribers (nai, nai_key, k_scheme, k_blob, status, roam_all, last_generation, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id");
    q->bind(1, v.nai)
        .bind(2, v.key)
        .bind(3, static_cast<std::int64_t>(v.scheme))
        .bind_blob(4, v.blob.view())
        .bind(5, status_text(v.status))
        .bind(6, std::int64_t{v.roam_all ? 1 : 0})
        .bind(7, generation)
        .bind(8, seconds(now));
    if (!q->step()) db_.fail("cannot add subscriber", SQLITE_ERROR);
    id = q->integer(0);
  }
  write_realms(id, RoamingScope{v.roam_all, v.realms});
  auto q = db_.query("DELETE FROM retired_subscribers WHERE nai_key = ?1");
  q->bind(1, v.key).run();
}

void SqliteSubscriberStore::add(const NewSubscriber& s, Timestamp now) {
  const auto v = validate(s);
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  insert(v, 0, now);
  tx.commit();
}

void SqliteSubscriberStore::import(const std::vector<NewSubscriber>& batch, Timestamp now) {
  std::vector<Validated> validated;
  validated.reserve(batch.size());
  for (const auto& s : batch) validated.push_back(validate(s));
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  for (std::size_t i = 0; i < validated.size(); ++i) insert(validated[i], i, now);
  tx.commit();
}

std::optional<Subscriber> SqliteSubscriberStore::get(std::string_view nai) {
  const auto key = canonical_nai(nai);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto q = db_.query(select_subscriber_sql() + "WHERE s.nai_key = ?1");
  q->bind(1, *key);
  if (!q->step()) return std::nullopt;
  return read_subscriber(*q);
}

std::optional<SubscriberWithKey> SqliteSubscriberStore::get_with_key(std::string_view nai) {
  const auto key = canonical_nai(nai);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto q = db_.query(select_subscriber_with_key_sql() + "WHERE s.nai_key = ?1");
  q->bind(1, *key);
  if (!q->step()) return std::nullopt;
  auto& row = *q;
  SubscriberWithKey out{read_subscriber(row), {}};
  const auto scheme = static_cast<KeyScheme>(row.integer(11));
  const auto blob = row.secret(12);
  out.k = open_k(scheme, blob.view(), *key, out.subscriber.nai);
  return out;
}

SubscriberPage SqliteSubscriberStore::list(std::string_view after, std::size_t limit) {
  if (limit == 0) throw std::invalid_argument("list: limit must be at least 1");
  const auto capped = std::min<std::size_t>(limit, 100000);
  std::lock_guard lock(mutex_);
  auto q = db_.query(select_subscriber_sql() + "WHERE s.nai_key > ?1 ORDER BY s.nai_key LIMIT ?2");
  // One row more than asked tells whether another page exists.
  q->bind(1, after).bind(2, static_cast<std::int64_t>(capped + 1));
  SubscriberPage page;
  std::string last_key;
  while (q->step()) {
    if (page.subscribers.size() == capped) {
      page.next = last_key;
      break;
    }
    page.subscribers.push_back(read_subscriber(*q));
    last_key = q->text(10);
  }
  return page;
}

bool SqliteSubscriberStore::set_status(std::string_view nai, SubscriberStatus status, Timestamp now) {
  const auto key = canonical_nai(nai);
  if (!key) return false;
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  const auto id = id_of(*key);
  if (!id) return false;
  {
    auto q = db_.query("UPDATE subscribers SET status = ?1, updated_at = ?2 WHERE id = ?3");
    q->bind(1, status_text(status)).bind(2, seconds(now)).bind(3, *id).run();
  }
  if (status == SubscriberStatus::Barred)
    revoke_locked(*id, RevocationCause::SubscriptionWithdrawn, "subscriber barred", now);
  tx.commit();
  return true;
}

bool SqliteSubscriberStore::set_roaming(std::string_view nai, const RoamingScope& roaming, Timestamp now) {
  const auto key = canonical_nai(nai);
  if (!key) return false;
  const RoamingScope scope{roaming.all_partners,
                           roaming.all_partners ? std::vector<std::string>{} : normalized_realms(roaming.realms)};
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  const auto id = id_of(*key);
  if (!id) return false;
  {
    auto q = db_.query("UPDATE subscribers SET roam_all = ?1, updated_at = ?2 WHERE id = ?3");
    q->bind(1, std::int64_t{scope.all_partners ? 1 : 0}).bind(2, seconds(now)).bind(3, *id).run();
  }
  write_realms(*id, scope);
  {
    std::optional<std::string> realm;
    {
      auto q = db_.query("SELECT visited_realm FROM delegations WHERE subscriber_id = ?1 AND ended_at IS NULL");
      q->bind(1, *id);
      if (q->step()) realm = q->text(0);
    }
    if (realm && !scope.allows(*realm))
      revoke_locked(*id, RevocationCause::SubscriptionWithdrawn, "roaming to " + *realm + " withdrawn", now);
  }
  tx.commit();
  return true;
}

bool SqliteSubscriberStore::remove(std::string_view nai, Timestamp now) {
  const auto key = canonical_nai(nai);
  if (!key) return false;
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  std::int64_t id = 0;
  std::int64_t generation = 0;
  {
    auto q = db_.query("SELECT id, last_generation FROM subscribers WHERE nai_key = ?1");
    q->bind(1, *key);
    if (!q->step()) return false;
    id = q->integer(0);
    generation = q->integer(1);
  }
  // Queued before the row goes: revocations outlive the subscriber.
  revoke_locked(id, RevocationCause::SubscriptionWithdrawn, "subscriber removed", now);
  {
    auto q = db_.query(
        "INSERT INTO retired_subscribers (nai_key, last_generation, removed_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (nai_key) DO UPDATE SET last_generation = max(last_generation, excluded.last_generation), "
        "removed_at = excluded.removed_at");
    q->bind(1, *key).bind(2, generation).bind(3, seconds(now)).run();
  }
  {
    auto q = db_.query("DELETE FROM subscribers WHERE id = ?1");
    q->bind(1, id).run();
  }
  tx.commit();
  return true;
}

std::optional<SqliteSubscriberStore::Issued> SqliteSubscriberStore::issue_locked(const IssueRequest& r,
                                                                                 const std::string& nai_key) {
  if (r.rand.size() != kRandLength) throw std::invalid_argument("RAND must be 16 bytes");
  std::int64_t id = 0;
  std::int64_t generation = 0;
  {
    auto q = db_.query(
        "UPDATE subscribers SET last_generation = last_generation + 1 "
        "WHERE nai_key = ?1 AND last_generation < ?2 RETURNING id, last_generation");
    q->bind(1, nai_key).bind(2, kMaxGeneration);
    if (q->step()) {
      id = q->integer(0);
      generation = q->integer(1);
    }
  }
  if (generation == 0) {
    if (!id_of(nai_key)) return std::nullopt;
    throw StoreError(db_.path().string() + ": key generation space exhausted for " + std::string(r.nai));
  }
  {
    auto q = db_.query(
        "INSERT INTO issued_vectors (subscriber_id, generation, rand, visited_realm, visited_host, issued_at, "
        "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    const auto realm = lower_ascii(r.visited_realm);
    const auto host = lower_ascii(r.visited_host);
    q->bind(1, id)
        .bind(2, generation)
        .bind_blob(3, r.rand)
        .bind(4, realm)
        .bind(5, host)
        .bind(6, seconds(r.now))
        .bind(7, seconds(r.now) + static_cast<std::int64_t>(r.lifetime))
        .run();
  }
  return Issued{id, static_cast<std::uint32_t>(generation)};
}

std::optional<std::uint32_t> SqliteSubscriberStore::issue_vector(const IssueRequest& r) {
  if (r.rand.size() != kRandLength) throw std::invalid_argument("RAND must be 16 bytes");
  const auto key = canonical_nai(r.nai);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  const auto issued = issue_locked(r, *key);
  if (!issued) return std::nullopt;
  tx.commit();
  return issued->generation;
}

std::optional<VectorRecord> SqliteSubscriberStore::find_issued(std::string_view nai, std::uint32_t generation) {
  const auto key = canonical_nai(nai);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "SELECT v.generation, v.rand, v.visited_realm, v.visited_host, v.issued_at, v.expires_at "
      "FROM issued_vectors v JOIN subscribers s ON s.id = v.subscriber_id "
      "WHERE s.nai_key = ?1 AND v.generation = ?2");
  q->bind(1, *key).bind(2, static_cast<std::int64_t>(generation));
  if (!q->step()) return std::nullopt;
  return read_vector(*q);
}

std::vector<VectorRecord> SqliteSubscriberStore::list_delegations(std::string_view nai) {
  std::vector<VectorRecord> out;
  const auto key = canonical_nai(nai);
  if (!key) return out;
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "SELECT v.generation, v.rand, v.visited_realm, v.visited_host, v.issued_at, v.expires_at "
      "FROM issued_vectors v JOIN subscribers s ON s.id = v.subscriber_id "
      "WHERE s.nai_key = ?1 ORDER BY v.generation");
  q->bind(1, *key);
  while (q->step()) out.push_back(read_vector(*q));
  return out;
}

}  // namespace roamkey::home
