#include "storage/sqlite.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace roamkey::sqlite {

void create_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno == EEXIST) return;
  throw Error(path.string() + ": cannot create: " + std::strerror(errno));
}

Database::Database(const std::filesystem::path& path, int flags) : path_(path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);  // sqlite3_open_v2 may return a handle even on failure; it must be closed
  if (rc != SQLITE_OK) {
    const std::string why = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    throw Error(path_.string() + ": cannot open: " + why);
  }
  sqlite3_extended_result_codes(raw, 1);
}

void Database::fail(std::string_view what, int rc) const {
  std::string why = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
  if (why.empty() || why == "not an error") why = sqlite3_errstr(rc);
  throw Error(path_.string() + ": " + std::string(what) + ": " + why);
}

void Database::exec(const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(what, rc);
}

Statement& Database::prepared(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) it = cache_.emplace(std::string(sql), std::make_unique<Statement>(*this, sql)).first;
  return *it->second;
}

Statement::Statement(Database& db, std::string_view sql) : db_(db), sql_(sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db.handle(), sql_.data(), static_cast<int>(sql_.size()), SQLITE_PREPARE_PERSISTENT,
                                    &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) db_.fail("cannot prepare statement", rc);
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) db_.fail("cannot bind parameter", rc);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  const int rc = sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) db_.fail("cannot bind parameter", rc);
  return *this;
}

Statement& Statement::bind_blob(int index, crypto::ByteView value) {
  // A zero-length blob with a null pointer would bind NULL; a blob column
  // must stay a blob.
  static const std::uint8_t kEmpty = 0;
  const void* data = value.empty() ? &kEmpty : value.data();
  const int rc = sqlite3_bind_blob(stmt_.get(), index, data, static_cast<int>(value.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) db_.fail("cannot bind parameter", rc);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("statement failed", rc);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::string Statement::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), column));
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(n));
}

crypto::Bytes Statement::blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return p == nullptr ? crypto::Bytes() : crypto::Bytes(p, p + n);
}

crypto::SecretBytes Statement::secret(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  if (p == nullptr) return crypto::SecretBytes();
  return crypto::SecretBytes(crypto::ByteView(p, static_cast<std::size_t>(n)));
}

// One savepoint name serves every nesting level: SQLite releases and rolls
// back to the innermost savepoint of that name.
Transaction::Transaction(Database& db) : db_(db), nested_(sqlite3_get_autocommit(db.handle()) == 0) {
  db_.exec(nested_ ? "SAVEPOINT roamkey_nested" : "BEGIN IMMEDIATE", "cannot start transaction");
}

Transaction::~Transaction() {
  if (!open_) return;
  if (nested_) {
    sqlite3_exec(db_.handle(), "ROLLBACK TO roamkey_nested; RELEASE roamkey_nested", nullptr, nullptr, nullptr);
  } else {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  db_.exec(nested_ ? "RELEASE roamkey_nested" : "COMMIT", "cannot commit");
  open_ = false;
}

}  // namespace roamkey::sqlite
