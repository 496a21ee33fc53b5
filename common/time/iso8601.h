#pragma once
// UTC time as ISO 8601 / RFC 3339 text, the one format RoamKey prints times
// in (CLI output, admin JSON, JSON logs).

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace roamkey {

// "2026-12-03T18:00:00Z".
inline std::string iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "2026-12-03T18:00:00.123Z", for log lines.
inline std::string iso8601_millis(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::string s = iso8601(t);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms < 0 ? ms + 1000 : ms));
  s.insert(s.size() - 1, frac);
  return s;
}

}  // namespace roamkey
