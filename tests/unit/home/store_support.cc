#include "store_support.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "support/scratch_dir.h"

namespace roamkey::home::test {

void raw_sql(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path.string());
  }
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error("raw_sql: " + message);
}

bool store_files_contain(const std::filesystem::path& store, crypto::ByteView needle) {
  for (const auto* suffix : {"", "-wal", "-shm"}) {
    const auto content = roamkey::test::read_file(store.string() + suffix);
    const auto it = std::search(content.begin(), content.end(), needle.begin(), needle.end(),
                                [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; });
    if (it != content.end()) return true;
  }
  return false;
}

std::filesystem::path write_key_file(const std::filesystem::path& path, const std::string& content, unsigned mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
  return path;
}

}  // namespace roamkey::home::test
