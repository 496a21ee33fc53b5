#include "config/check_report.h"

#include <algorithm>
#include <optional>
#include <sstream>

#include "config/config.h"
#include "config/install_paths.h"
#include "config/tls_credentials.h"

namespace roamkey::config {

void CheckReport::add(const std::string& problem) {
  std::istringstream lines(problem);
  for (std::string line; std::getline(lines, line);)
    // A check that runs another's (a section parser checks the top level
    // too) reports its problem once.
    if (!line.empty() && std::find(problems_.begin(), problems_.end(), line) == problems_.end())
      problems_.push_back(line);
}

int CheckReport::finish(const std::filesystem::path& file, std::ostream& out, std::ostream& err) const {
  if (problems_.empty()) {
    out << file.string() << ": OK\n";
    return 0;
  }
  for (const auto& p : problems_) err << p << "\n";
  err << file.string() << ": " << problems_.size() << (problems_.size() == 1 ? " problem" : " problems") << "\n";
  return 1;
}

void check_common(CheckReport& report, const Document& doc, std::initializer_list<const char*> program_sections) {
  report.check([&] { only_sections(doc, program_sections); });
  report.check([&] { parse_log(doc); });
  std::optional<DiameterConfig> diameter;
  if (report.check([&] { diameter = parse_diameter(doc, default_dictionary()); }))
    report.check([&] { require_usable_tls(*diameter); });
}

}  // namespace roamkey::config
