#pragma once
// Helpers shared by the store tests of issue 3.

#include <filesystem>
#include <string>

#include "crypto/bytes.h"
#include "subscriber_store.h"

namespace roamkey::home::test {

inline Timestamp at(std::int64_t s) {
  return Timestamp(std::chrono::seconds(s));
}

// Runs SQL on the file behind the store's back, as an operator with the
// sqlite3 shell (or an attacker with write access) would. Throws on error.
void raw_sql(const std::filesystem::path& path, const std::string& sql);

// Whether `needle` occurs in the raw bytes of the store file or of its
// -wal and -shm companions.
bool store_files_contain(const std::filesystem::path& store, crypto::ByteView needle);

// Writes `content` to `path` with `mode`.
std::filesystem::path write_key_file(const std::filesystem::path& path, const std::string& content,
                                     unsigned mode = 0600);

}  // namespace roamkey::home::test
