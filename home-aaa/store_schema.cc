#include "store_schema.h"

#include <stdexcept>
#include <string>

#include "subscriber_store.h"

namespace roamkey::home::schema {

namespace {

// Migration N takes a store from version N-1 to N; index 0 creates version 1
// from nothing. Append, never edit: stores in the field have run the old
// entries. STRICT tables make SQLite enforce the column types.
constexpr const char* kMigrations[] = {
    // Version 1.
    R"sql(
CREATE TABLE schema_version (
  version    INTEGER NOT NULL PRIMARY KEY,
  applied_at INTEGER NOT NULL
) STRICT;

-- nai as provisioned; nai_key is the RFC 7542 lookup key (user part as
-- given, realm lower-case, see nai.h). k_blob is K as the KeyProtector
-- of k_scheme made it (0 = plain).
CREATE TABLE subscribers (
  id              INTEGER PRIMARY KEY,
  nai             TEXT    NOT NULL,
  nai_key         TEXT    NOT NULL UNIQUE,
  k_scheme        INTEGER NOT NULL,
  k_blob          BLOB    NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('active', 'barred')),
  roam_all        INTEGER NOT NULL CHECK (roam_all IN (0, 1)),
  last_generation INTEGER NOT NULL DEFAULT 0 CHECK (last_generation BETWEEN 0 AND 4294967295),
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) STRICT;

-- Realms (lower-case) a subscriber may roam to when roam_all = 0.
CREATE TABLE subscriber_realms (
  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  realm         TEXT    NOT NULL,
  PRIMARY KEY (subscriber_id, realm)
) STRICT, WITHOUT ROWID;

-- Every (RAND, generation) handed to a visited domain (protocol.md sec. 3,
-- DLA). The TSK is not stored: it is recomputed from K for HAR.
CREATE TABLE issued_vectors (
  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  generation    INTEGER NOT NULL,
  rand          BLOB    NOT NULL CHECK (length(rand) = 16),
  visited_realm TEXT    NOT NULL,
  visited_host  TEXT    NOT NULL,
  issued_at     INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  PRIMARY KEY (subscriber_id, generation)
) STRICT, WITHOUT ROWID;

-- The last generation of removed subscribers, so that a NAI provisioned
-- again continues its counter: protocol.md sec. 1, the generation never
-- decreases, and the MN may still remember the old one.
CREATE TABLE retired_subscribers (
  nai_key         TEXT    NOT NULL PRIMARY KEY,
  last_generation INTEGER NOT NULL,
  removed_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql",
    // Version 2: keys at rest, delegations, revocation and rotation (issue 3).
    R"sql(
-- Store-wide facts. 'master_key_check': HMAC-SHA-256 of a fixed label under
-- the master key K is sealed with (never the key), so that a wrong key is
-- refused at open. 'plain_k_refused': every K is sealed; a plain blob is
-- then tampering, not a row waiting for `store rekey`.
CREATE TABLE store_meta (
  name  TEXT NOT NULL PRIMARY KEY,
  value BLOB NOT NULL
) STRICT, WITHOUT ROWID;

-- The highest generation a visited domain reported UPDATED (KUR).
ALTER TABLE subscribers ADD COLUMN mobile_generation INTEGER NOT NULL DEFAULT 0
  CHECK (mobile_generation BETWEEN 0 AND 4294967295);
ALTER TABLE subscribers ADD COLUMN mobile_generation_at INTEGER;

-- Each subscriber's latest delegation (protocol.md sec. 3: at most one
-- active). generation, issued_at and expires_at are those of the latest
-- vector issued within it (DLR or rotation). ended_at set: revoked or gone.
CREATE TABLE delegations (
  subscriber_id    INTEGER NOT NULL PRIMARY KEY REFERENCES subscribers(id) ON DELETE CASCADE,
  user_name        TEXT    NOT NULL,
  visited_realm    TEXT    NOT NULL,
  visited_host     TEXT    NOT NULL,
  first_generation INTEGER NOT NULL,
  generation       INTEGER NOT NULL,
  started_at       INTEGER NOT NULL,
  issued_at        INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  ended_at         INTEGER,
  end_reason       TEXT
) STRICT;
CREATE INDEX delegations_rotation ON delegations (visited_realm, issued_at) WHERE ended_at IS NULL;

-- DRRs owed to visited hosts. Not tied to the subscriber row: removing a
-- subscriber is itself a reason to revoke.
CREATE TABLE revocations (
  id              INTEGER PRIMARY KEY,
  nai             TEXT    NOT NULL,
  nai_key         TEXT    NOT NULL,
  user_name       TEXT    NOT NULL,
  visited_realm   TEXT    NOT NULL,
  visited_host    TEXT    NOT NULL,
  cause           INTEGER NOT NULL CHECK (cause BETWEEN 0 AND 3),
  generation      INTEGER,
  created_at      INTEGER NOT NULL,
  give_up_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'abandoned')),
  finished_at     INTEGER
) STRICT;
CREATE INDEX revocations_due ON revocations (next_attempt_at) WHERE state = 'pending';
CREATE INDEX revocations_by_nai ON revocations (nai_key, id);

-- Rotated generations pushed (KPR) to the host of the active delegation.
-- RAND is the issued vector's; the TSK is derived again at send time.
CREATE TABLE key_pushes (
  id              INTEGER PRIMARY KEY,
  subscriber_id   INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  generation      INTEGER NOT NULL,
  user_name       TEXT    NOT NULL,
  visited_realm   TEXT    NOT NULL,
  visited_host    TEXT    NOT NULL,
  lifetime        INTEGER NOT NULL,
  max_uses        INTEGER,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  state           TEXT    NOT NULL CHECK (state IN ('sending', 'pending', 'updated', 'rejected', 'gone', 'failed',
                                                    'superseded', 'expired')),
  finished_at     INTEGER,
  UNIQUE (subscriber_id, generation),
  FOREIGN KEY (subscriber_id, generation) REFERENCES issued_vectors (subscriber_id, generation) ON DELETE CASCADE
) STRICT;
CREATE INDEX key_pushes_due ON key_pushes (next_attempt_at) WHERE state = 'sending';

-- KURs, one row per (subscriber, generation, status): a retried report
-- only counts up (protocol.md sec. 3, repeated KURs are handled as one).
CREATE TABLE key_update_reports (
  subscriber_id     INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  generation        INTEGER NOT NULL,
  status            INTEGER NOT NULL CHECK (status BETWEEN 0 AND 2),
  visited_realm     TEXT    NOT NULL,
  visited_host      TEXT    NOT NULL,
  first_reported_at INTEGER NOT NULL,
  last_reported_at  INTEGER NOT NULL,
  reports           INTEGER NOT NULL,
  PRIMARY KEY (subscriber_id, generation, status)
) STRICT, WITHOUT ROWID;

-- Requests of the operator CLI for the daemon (`home-aaa rotate`).
CREATE TABLE operator_requests (
  id           INTEGER PRIMARY KEY,
  kind         TEXT    NOT NULL CHECK (kind IN ('rotate')),
  nai          TEXT    NOT NULL,
  nai_key      TEXT    NOT NULL,
  requested_at INTEGER NOT NULL,
  handled_at   INTEGER,
  result       TEXT
) STRICT;
CREATE INDEX operator_requests_open ON operator_requests (id) WHERE handled_at IS NULL;
CREATE INDEX operator_requests_by_nai ON operator_requests (nai_key, id);
)sql",
};

static_assert(std::size(kMigrations) == kCurrentVersion, "one migration per schema version");

std::int64_t single_integer(sqlite::Database& db, const char* sql) {
  auto q = db.query(sql);
  if (!q->step()) db.fail("unexpected empty result", SQLITE_ERROR);
  return q->integer(0);
}

// The first read of the file: turns SQLite's NOTADB into a message an
// operator understands.
std::int64_t application_id(sqlite::Database& db) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db.handle(), "PRAGMA application_id", -1, &raw, nullptr);
  std::int64_t id = 0;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(raw);
    if (rc == SQLITE_ROW) id = sqlite3_column_int64(raw, 0);
  }
  sqlite3_finalize(raw);
  if ((rc & 0xff) == SQLITE_NOTADB)
    throw StoreError(db.path().string() + ": not a RoamKey home store (not a SQLite database)");
  if (rc != SQLITE_ROW) db.fail("cannot read the store header", rc);
  return id;
}

void check_ours(sqlite::Database& db) {
  const auto id = application_id(db);
  if (id == kApplicationId) return;
  if (id != 0 || single_integer(db, "SELECT count(*) FROM sqlite_schema") != 0)
    throw StoreError(db.path().string() + ": not a RoamKey home store (a SQLite database of another application)");
}

void set_pragmas(sqlite::Database& db) {
  {
    auto q = db.query("PRAGMA journal_mode = WAL");
    if (!q->step() || q->text(0) != "wal")
      throw StoreError(db.path().string() + ": cannot switch the store to write-ahead logging");
  }
  // synchronous=FULL syncs the WAL on every commit: a generation is on disk
  // before issue_vector returns, so a crash never hands out the same one
  // twice (protocol.md sec. 1).
  db.exec(
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;"
      "PRAGMA trusted_schema = OFF",
      "cannot configure the store");
}

}  // namespace

int version(sqlite::Database& db) {
  return static_cast<int>(single_integer(db, "SELECT coalesce(max(version), 0) FROM schema_version"));
}

int inspect(sqlite::Database& db) {
  check_ours(db);
  if (application_id(db) != kApplicationId) return 0;
  const int v = version(db);
  if (v > kCurrentVersion)
    throw StoreError(db.path().string() + ": store schema version " + std::to_string(v) +
                     " is newer than this program supports (" + std::to_string(kCurrentVersion) + ")");
  return v;
}

void prepare(sqlite::Database& db, std::int64_t now, int target) {
  if (target < 1 || target > kCurrentVersion) throw std::invalid_argument("no such store schema version");
  check_ours(db);
  set_pragmas(db);

  auto current = [&] { return application_id(db) == kApplicationId ? version(db) : 0; };
  auto too_new = [&](int v) {
    if (v > kCurrentVersion)
      throw StoreError(db.path().string() + ": store schema version " + std::to_string(v) +
                       " is newer than this program supports (" + std::to_string(kCurrentVersion) + ")");
  };
  const int seen = current();
  too_new(seen);
  if (seen >= target) return;

  // Re-read under the write lock: another process may have created or
  // migrated the store since.
  sqlite::Transaction tx(db);
  check_ours(db);
  int v = current();
  too_new(v);
  if (v == 0) db.exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str(), "cannot mark the store");
  for (; v < target; ++v) {
    db.exec(kMigrations[v], "cannot migrate the store to schema version " + std::to_string(v + 1));
    auto q = db.query("INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)");
    q->bind(1, std::int64_t{v + 1}).bind(2, now).run();
  }
  tx.commit();
}

}  // namespace roamkey::home::schema
