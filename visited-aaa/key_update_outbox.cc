#include "key_update_outbox.h"

#include <stdexcept>

namespace roamkey::visited {

namespace {

struct Stmt {
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) s = nullptr;
  }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* s = nullptr;
};

}  // namespace

KeyUpdateOutbox::KeyUpdateOutbox(const std::filesystem::path& path) : path_(path) {
  const auto name = path.empty() ? std::string(":memory:") : path.string();
  // sqlite3_open_v2 hands out a handle even when it fails, and no destructor
  // runs for a constructor that throws: close it here on every failure.
  try {
    if (sqlite3_open_v2(name.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK)
      fail("cannot open");
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    // A report must survive a crash right after add() returned.
    exec("PRAGMA synchronous=FULL");
    exec(
        "CREATE TABLE IF NOT EXISTS key_update_reports ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, nai TEXT NOT NULL, home_realm TEXT NOT NULL,"
        " generation INTEGER NOT NULL, status INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
        " last_error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL DEFAULT (unixepoch()))");
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

KeyUpdateOutbox::~KeyUpdateOutbox() {
  sqlite3_close_v2(db_);
}

void KeyUpdateOutbox::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail("cannot prepare the outbox");
}

void KeyUpdateOutbox::fail(const char* what) const {
  throw std::runtime_error("state file " + (path_.empty() ? std::string("(memory)") : path_.string()) + ": " + what +
                           ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
}

KeyUpdateReport KeyUpdateOutbox::add(KeyUpdateReport r) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "INSERT INTO key_update_reports (nai, home_realm, generation, status) VALUES (?, ?, ?, ?)");
  if (st.s == nullptr) fail("cannot record a key update report");
  sqlite3_bind_text(st.s, 1, r.nai.data(), static_cast<int>(r.nai.size()), SQLITE_STATIC);
  sqlite3_bind_text(st.s, 2, r.home_realm.data(), static_cast<int>(r.home_realm.size()), SQLITE_STATIC);
  sqlite3_bind_int64(st.s, 3, r.generation);
  sqlite3_bind_int(st.s, 4, r.status);
  if (sqlite3_step(st.s) != SQLITE_DONE) fail("cannot record a key update report");
  r.id = sqlite3_last_insert_rowid(db_);
  return r;
}

void KeyUpdateOutbox::acknowledge(std::int64_t id) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "DELETE FROM key_update_reports WHERE id = ?");
  if (st.s == nullptr) fail("cannot delete a key update report");
  sqlite3_bind_int64(st.s, 1, id);
  if (sqlite3_step(st.s) != SQLITE_DONE) fail("cannot delete a key update report");
}

void KeyUpdateOutbox::record_attempt(std::int64_t id, const std::string& error) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "UPDATE key_update_reports SET attempts = attempts + 1, last_error = ? WHERE id = ?");
  if (st.s == nullptr) fail("cannot update a key update report");
  sqlite3_bind_text(st.s, 1, error.data(), static_cast<int>(error.size()), SQLITE_STATIC);
  sqlite3_bind_int64(st.s, 2, id);
  if (sqlite3_step(st.s) != SQLITE_DONE) fail("cannot update a key update report");
}

std::vector<KeyUpdateReport> KeyUpdateOutbox::pending() {
  std::lock_guard lock(mutex_);
  Stmt st(db_,
          "SELECT id, nai, home_realm, generation, status, attempts, last_error FROM key_update_reports ORDER BY id");
  if (st.s == nullptr) fail("cannot read key update reports");
  std::vector<KeyUpdateReport> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    KeyUpdateReport r;
    r.id = sqlite3_column_int64(st.s, 0);
    r.nai = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1));
    r.home_realm = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 2));
    r.generation = static_cast<std::uint32_t>(sqlite3_column_int64(st.s, 3));
    r.status = sqlite3_column_int(st.s, 4);
    r.attempts = static_cast<std::uint32_t>(sqlite3_column_int64(st.s, 5));
    r.last_error = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 6));
    out.push_back(std::move(r));
  }
  // A read error must not pass for "fewer reports pending".
  if (rc != SQLITE_DONE) fail("cannot read key update reports");
  return out;
}

std::size_t KeyUpdateOutbox::size() {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "SELECT count(*) FROM key_update_reports");
  if (st.s == nullptr || sqlite3_step(st.s) != SQLITE_ROW) fail("cannot count key update reports");
  return static_cast<std::size_t>(sqlite3_column_int64(st.s, 0));
}

}  // namespace roamkey::visited
