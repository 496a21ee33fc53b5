#pragma once
// `check-config`: runs every check of a configuration, so that one run
// reports every problem (not just the first), then prints them and gives the
// exit status (0 usable, 1 not).

#include <exception>
#include <filesystem>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace roamkey::config {

class CheckReport {
 public:
  // Runs one independent check; what it throws is recorded (a multi-line
  // message as several problems) and false returned.
  template <typename F>
  bool check(F&& step) {
    try {
      step();
      return true;
    } catch (const std::exception& e) {
      add(e.what());
      return false;
    }
  }
  void add(const std::string& problem);
  const std::vector<std::string>& problems() const { return problems_; }

  // "<file>: OK" on `out`, or every problem then a count on `err`; 0 or 1.
  int finish(const std::filesystem::path& file, std::ostream& out, std::ostream& err) const;

 private:
  std::vector<std::string> problems_;
};

struct Document;

// What every daemon's check-config starts with: the top-level sections (the
// common ones and `program_sections`), log, diameter and its TLS credentials.
void check_common(CheckReport& report, const Document& doc, std::initializer_list<const char*> program_sections);

}  // namespace roamkey::config
