#pragma once
// Reading a file of subscribers for `home-aaa subscriber import`.
//
// One subscriber per line, in either of two forms (mixed freely); blank
// lines and lines starting with "#" are skipped:
//
//   CSV:        nai,k_hex[,roaming]
//               roaming: empty or absent = may roam nowhere,
//               "*" = every roaming partner, or realms joined by ";"
//               e.g.  alice@home.example,00010203...1e1f,visited.example;other.example
//   JSON line:  {"nai": "...", "k": "<64 hex>", "realms": ["..."], "all_partners": false}
//               ("realms" and "all_partners" optional)
//
// Every problem is reported with its line number, and never with the line's
// text (it may hold K). A file with any problem imports nothing.

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "subscriber_store.h"

namespace roamkey::home {

struct ImportEntry {
  std::size_t line = 0;
  NewSubscriber subscriber;
};

struct ImportProblem {
  std::size_t line = 0;
  std::string message;
};

struct ImportFile {
  std::vector<ImportEntry> entries;
  std::vector<ImportProblem> problems;
  bool ok() const { return problems.empty(); }
};

// Also reports an NAI given twice in the file (RFC 7542 comparison).
ImportFile parse_import(std::istream& in);

}  // namespace roamkey::home
