#include "sqlite_subscriber_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <sstream>

#include "nai.h"
#include "store_schema.h"

namespace roamkey::home {

namespace {

constexpr std::int64_t kMaxGeneration = std::numeric_limits<std::uint32_t>::max();

std::int64_t seconds(Timestamp t) { return t.time_since_epoch().count(); }
Timestamp timestamp(std::int64_t s) { return Timestamp(std::chrono::seconds(s)); }

std::string_view status_text(SubscriberStatus s) { return to_string(s); }

SubscriberStatus status_from(const std::string& s) {
  return s == "barred" ? SubscriberStatus::Barred : SubscriberStatus::Active;
}

// K may be stored in clear (KeyScheme::Plain): create the file readable by
// its owner only before SQLite sees it. SQLite gives the -wal and -shm files
// the permissions of the database file.
void create_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno == EEXIST) return;
  throw StoreError(path.string() + ": cannot create store: " + std::strerror(errno));
}

int open_flags(const std::filesystem::path& path, const SqliteSubscriberStore::Options& options) {
  if (options.create_if_missing) {
    create_private_file(path);
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

// Columns 0-7 of every subscriber SELECT below.
constexpr const char* kSubscriberColumns =
    "s.nai, s.status, s.roam_all, s.last_generation, s.created_at, s.updated_at, "
    "(SELECT group_concat(r.realm, ' ') FROM subscriber_realms r WHERE r.subscriber_id = s.id), "
    "(SELECT count(*) FROM issued_vectors v WHERE v.subscriber_id = s.id)";

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

// Column 8 is the canonical NAI (the list cursor).
const std::string& select_subscriber_sql() {
  static const std::string sql = std::string("SELECT ") + kSubscriberColumns + ", s.nai_key FROM subscribers s ";
  return sql;
}

// Columns 9 and 10 are K's scheme and blob: only for get_with_key, so that
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
};

SqliteSubscriberStore::SqliteSubscriberStore(const std::filesystem::path& path)
    : SqliteSubscriberStore(path, Options{}) {}

SqliteSubscriberStore::SqliteSubscriberStore(const std::filesystem::path& path, Options options)
    : db_(path, open_flags(path, options)), protector_(std::move(options.key_protector)) {
  if (!protector_) protector_ = std::make_shared<PlainKeyProtector>();
  sqlite3_busy_timeout(db_.handle(), static_cast<int>(options.busy_timeout.count()));
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  schema::prepare(db_, seconds(now));
}

int SqliteSubscriberStore::schema_version() {
  std::lock_guard lock(mutex_);
  return schema::version(db_);
}

SqliteSubscriberStore::Validated SqliteSubscriberStore::validate(const NewSubscriber& s) const {
  auto key = canonical_nai(s.nai);
  if (!key) throw std::invalid_argument("not a valid NAI (user@realm): " + s.nai);
  if (s.k.size() != kKeyLength) throw std::invalid_argument("K of " + s.nai + " must be 32 bytes");
  Validated v{s.nai,
              std::move(*key),
              protector_->scheme(),
              {},
              s.status,
              s.roaming.all_partners,
              s.roaming.all_partners ? std::vector<std::string>{} : normalized_realms(s.roaming.realms)};
  v.blob = protector_->protect(s.k.view(), v.key);
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
  const auto scheme = static_cast<KeyScheme>(row.integer(9));
  const auto blob = row.secret(10);
  auto k = protector_->unprotect(scheme, blob.view(), *key);
  if (!k || k->size() != kKeyLength)
    throw StoreError(db_.path().string() + ": K of " + out.subscriber.nai + " cannot be read (key scheme " +
                     std::to_string(static_cast<std::uint32_t>(scheme)) + ")");
  out.k = std::move(*k);
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
    last_key = q->text(8);
  }
  return page;
}

bool SqliteSubscriberStore::set_status(std::string_view nai, SubscriberStatus status, Timestamp now) {
  const auto key = canonical_nai(nai);
  if (!key) return false;
  std::lock_guard lock(mutex_);
  auto q = db_.query("UPDATE subscribers SET status = ?1, updated_at = ?2 WHERE nai_key = ?3");
  q->bind(1, status_text(status)).bind(2, seconds(now)).bind(3, *key).run();
  return sqlite3_changes(db_.handle()) > 0;
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

std::optional<std::uint32_t> SqliteSubscriberStore::issue_vector(const IssueRequest& r) {
  if (r.rand.size() != kRandLength) throw std::invalid_argument("RAND must be 16 bytes");
  const auto key = canonical_nai(r.nai);
  if (!key) return std::nullopt;
  const auto realm = lower_ascii(r.visited_realm);
  const auto host = lower_ascii(r.visited_host);
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  std::int64_t id = 0;
  std::int64_t generation = 0;
  {
    auto q = db_.query(
        "UPDATE subscribers SET last_generation = last_generation + 1 "
        "WHERE nai_key = ?1 AND last_generation < ?2 RETURNING id, last_generation");
    q->bind(1, *key).bind(2, kMaxGeneration);
    if (q->step()) {
      id = q->integer(0);
      generation = q->integer(1);
    }
  }
  if (generation == 0) {
    if (!id_of(*key)) return std::nullopt;
    throw StoreError(db_.path().string() + ": key generation space exhausted for " + std::string(r.nai));
  }
  {
    auto q = db_.query(
        "INSERT INTO issued_vectors (subscriber_id, generation, rand, visited_realm, visited_host, issued_at, "
        "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    q->bind(1, id)
        .bind(2, generation)
        .bind_blob(3, r.rand)
        .bind(4, realm)
        .bind(5, host)
        .bind(6, seconds(r.now))
        .bind(7, seconds(r.now) + static_cast<std::int64_t>(r.lifetime))
        .run();
  }
  tx.commit();
  return static_cast<std::uint32_t>(generation);
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
