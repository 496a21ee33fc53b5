#pragma once
// Key-Update-Reports the home has not acknowledged yet (protocol.md sec. 5
// step 11: "a KUR (UPDATED) to the home domain"). Issue 3 asks that the
// report reach the home at least once, across a visited-aaa restart too, so
// every report is written to SQLite before it is sent and deleted only when
// a KUA arrives. Without a path the outbox lives in memory.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/sqlite.h"

namespace roamkey::visited {

struct KeyUpdateReport {
  std::int64_t id = 0;
  std::string nai;
  std::string home_realm;
  std::uint32_t generation = 0;
  std::int32_t status = 0;  // Key-Update-Status: 0 UPDATED, 1 REJECTED_BY_MN, 2 ABANDONED
  std::uint32_t attempts = 0;
  std::string last_error;
};

class KeyUpdateOutbox {
 public:
  // Throws sqlite::Error (a std::runtime_error) naming the file when it
  // cannot be opened or is no SQLite database.
  explicit KeyUpdateOutbox(const std::filesystem::path& path);
  // What opening `path` would refuse, found on a read-only connection that
  // changes nothing (check-config). A missing file is fine if its directory
  // exists: it is created at start.
  static std::vector<std::string> check_read_only(const std::filesystem::path& path);
  KeyUpdateOutbox(const KeyUpdateOutbox&) = delete;
  KeyUpdateOutbox& operator=(const KeyUpdateOutbox&) = delete;

  // Durable before it returns; the report's id is set.
  KeyUpdateReport add(KeyUpdateReport report);
  void acknowledge(std::int64_t id);
  void record_attempt(std::int64_t id, const std::string& error);
  std::vector<KeyUpdateReport> pending();
  std::size_t size();

 private:
  std::mutex mutex_;
  sqlite::Database db_;
};

}  // namespace roamkey::visited
