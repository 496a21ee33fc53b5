#pragma once
// The on-disk layout of the SQLite subscriber store and its migrations.
//
// A file is recognised as a RoamKey home store by its SQLite application_id
// (kApplicationId) and carries its layout version in the schema_version
// table. Opening brings an older layout up to date in one transaction and
// refuses a newer one, so an old binary never writes a store it does not
// understand.

#include <cstdint>

#include "storage/sqlite.h"

namespace roamkey::home::schema {

// "RKH1" in ASCII: PRAGMA application_id of every RoamKey home store.
inline constexpr std::int32_t kApplicationId = 0x524B4831;
inline constexpr int kCurrentVersion = 2;

// Creates the layout in an empty database, migrates an older one, and
// throws StoreError for a file that is not a RoamKey home store or whose
// version is newer than kCurrentVersion. Sets the connection's pragmas
// (WAL, synchronous=FULL, foreign keys, secure delete). `target` below
// kCurrentVersion builds an old layout (for upgrade tests only).
void prepare(sqlite::Database& db, std::int64_t now, int target = kCurrentVersion);

// The version recorded in the store (for diagnostics and tests).
int version(sqlite::Database& db);

// Reads without writing (check-config, on a read-only connection): the
// store's version, 0 for an empty database; StoreError for a file that is
// not a RoamKey home store or is newer than kCurrentVersion.
int inspect(sqlite::Database& db);

}  // namespace roamkey::home::schema
