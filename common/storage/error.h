#pragma once
// The error of the SQLite layer (storage/sqlite.h), on its own so that store
// interfaces can name it without pulling in <sqlite3.h>.

#include <stdexcept>

namespace roamkey::sqlite {

// "<path>: <operation>: <SQLite's message>".
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace roamkey::sqlite
