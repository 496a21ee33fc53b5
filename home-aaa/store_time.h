#pragma once
// Timestamps as the SQLite store keeps them: whole seconds since the Unix
// epoch in an INTEGER column.

#include <cstdint>

#include "subscriber_store.h"

namespace roamkey::home::store_time {

inline std::int64_t seconds(Timestamp t) {
  return t.time_since_epoch().count();
}
inline Timestamp timestamp(std::int64_t s) {
  return Timestamp(std::chrono::seconds(s));
}

}  // namespace roamkey::home::store_time
