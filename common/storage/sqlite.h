#pragma once
// RAII over the SQLite C API, as much as RoamKey's two stores need (home-aaa's
// subscriber store, visited-aaa's key update outbox): one connection,
// statements prepared once and reused, immediate transactions nesting as
// savepoints. Every failure becomes an sqlite::Error naming the file and the
// operation; SQLite's messages never contain bound values, so no key
// material can leak through them.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "storage/error.h"

namespace roamkey::sqlite {

class Database;

// Creates `path` readable and writable by its owner only (0600) if it does
// not exist, before SQLite sees it: stores hold NAIs and keys, and SQLite
// gives the -wal and -shm files the database file's permissions. An
// existing file is left as it is. Throws Error.
void create_private_file(const std::filesystem::path& path);

class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Indices are 1-based, as in SQLite. Text and blobs are bound without a
  // copy (SQLITE_STATIC): they must outlive the Query that binds them.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind_blob(int index, crypto::ByteView value);

  // true: a row is available; false: done.
  bool step();
  // Steps to the end, for statements that return no rows.
  void run();
  void reset() noexcept;

  // Columns are 0-based, as in SQLite.
  bool is_null(int column) const;
  std::int64_t integer(int column) const;
  std::string text(int column) const;
  crypto::Bytes blob(int column) const;
  // Copies straight from SQLite's buffer, so no plain copy of K is left in
  // an ordinary vector.
  crypto::SecretBytes secret(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
  };
  Database& db_;
  std::string sql_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

// One use of a cached statement. Resets it and clears its bindings on the
// way out, so that no statement keeps a read transaction open (an open WAL
// reader holds back checkpoints) and no bound buffer is used after it dies.
class Query {
 public:
  explicit Query(Statement& s) : s_(s) {}
  ~Query() { s_.reset(); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Statement* operator->() { return &s_; }
  Statement& operator*() { return s_; }

 private:
  Statement& s_;
};

class Database {
 public:
  // `flags` as for sqlite3_open_v2.
  Database(const std::filesystem::path& path, int flags);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL that returns no rows we need (schema, pragmas, BEGIN ...).
  void exec(const char* sql, std::string_view what);
  // Prepared once per connection, reused afterwards.
  Statement& prepared(std::string_view sql);
  Query query(std::string_view sql) { return Query(prepared(sql)); }

  // Error "<path>: <what>: <SQLite's message>".
  [[noreturn]] void fail(std::string_view what, int rc) const;
  sqlite3* handle() const { return db_.get(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  std::filesystem::path path_;
  std::unique_ptr<sqlite3, Close> db_;  // declared before cache_: statements are finalized first
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN IMMEDIATE: takes the write lock at the start, so two writers never
// deadlock trying to upgrade read locks (they wait busy_timeout instead).
// Rolls back unless commit() was reached.
//
// Opened while the connection is already inside a transaction (a group
// commit, DelegationQueue), it is a SAVEPOINT instead: commit() releases it
// into the outer transaction, and a failure rolls back only its own work, so
// one failed request never takes the others of its batch with it. Nothing is
// durable before the outermost COMMIT.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();
  bool nested() const { return nested_; }

 private:
  Database& db_;
  bool nested_;
  bool open_ = true;
};

}  // namespace roamkey::sqlite
