#include "key_update_outbox.h"

namespace roamkey::visited {

namespace {

// The reports name subscribers (NAIs): the file is readable by its owner only.
std::filesystem::path database_path(const std::filesystem::path& path) {
  if (path.empty()) return ":memory:";
  sqlite::create_private_file(path);
  return path;
}

}  // namespace

KeyUpdateOutbox::KeyUpdateOutbox(const std::filesystem::path& path)
    : db_(database_path(path), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX) {
  sqlite3_busy_timeout(db_.handle(), 5000);
  db_.exec("PRAGMA journal_mode=WAL", "cannot prepare the outbox");
  // A report must survive a crash right after add() returned.
  db_.exec("PRAGMA synchronous=FULL", "cannot prepare the outbox");
  db_.exec(
      "CREATE TABLE IF NOT EXISTS key_update_reports ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT, nai TEXT NOT NULL, home_realm TEXT NOT NULL,"
      " generation INTEGER NOT NULL, status INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
      " last_error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL DEFAULT (unixepoch()))",
      "cannot prepare the outbox");
}

std::vector<std::string> KeyUpdateOutbox::check_read_only(const std::filesystem::path& path) {
  std::vector<std::string> problems;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!std::filesystem::is_directory(path.parent_path().empty() ? "." : path.parent_path(), ec))
      problems.push_back("state.path: " + path.string() + ": no state database, and its directory does not exist");
    return problems;
  }
  try {
    sqlite::Database db(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    // Reads the schema: fails on a file that is no SQLite database.
    auto q = db.query("SELECT count(*) FROM sqlite_schema WHERE name = 'key_update_reports'");
    if (!q->step()) problems.push_back("state.path: " + path.string() + ": cannot be read");
  } catch (const std::exception& e) {
    problems.push_back(std::string("state.path: ") + e.what());
  }
  return problems;
}

KeyUpdateReport KeyUpdateOutbox::add(KeyUpdateReport r) {
  std::lock_guard lock(mutex_);
  auto q = db_.query("INSERT INTO key_update_reports (nai, home_realm, generation, status) VALUES (?1, ?2, ?3, ?4)");
  q->bind(1, r.nai).bind(2, r.home_realm).bind(3, std::int64_t{r.generation}).bind(4, std::int64_t{r.status}).run();
  r.id = sqlite3_last_insert_rowid(db_.handle());
  return r;
}

void KeyUpdateOutbox::acknowledge(std::int64_t id) {
  std::lock_guard lock(mutex_);
  db_.query("DELETE FROM key_update_reports WHERE id = ?1")->bind(1, id).run();
}

void KeyUpdateOutbox::record_attempt(std::int64_t id, const std::string& error) {
  std::lock_guard lock(mutex_);
  db_.query("UPDATE key_update_reports SET attempts = attempts + 1, last_error = ?1 WHERE id = ?2")
      ->bind(1, error)
      .bind(2, id)
      .run();
}

std::vector<KeyUpdateReport> KeyUpdateOutbox::pending() {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "SELECT id, nai, home_realm, generation, status, attempts, last_error FROM key_update_reports ORDER BY id");
  std::vector<KeyUpdateReport> out;
  // step() throws on a read error: it must not pass for "fewer reports pending".
  while (q->step()) {
    KeyUpdateReport r;
    r.id = q->integer(0);
    r.nai = q->text(1);
    r.home_realm = q->text(2);
    r.generation = static_cast<std::uint32_t>(q->integer(3));
    r.status = static_cast<std::int32_t>(q->integer(4));
    r.attempts = static_cast<std::uint32_t>(q->integer(5));
    r.last_error = q->text(6);
    out.push_back(std::move(r));
  }
  return out;
}

std::size_t KeyUpdateOutbox::size() {
  std::lock_guard lock(mutex_);
  auto q = db_.query("SELECT count(*) FROM key_update_reports");
  if (!q->step()) return 0;
  return static_cast<std::size_t>(q->integer(0));
}

}  // namespace roamkey::visited
