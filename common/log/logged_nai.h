#pragma once
// An NAI as the logs may show it (log.nai): NAIs are personal data (they
// name a subscriber), so an operator may keep them out of the logs.
//
//   full    alice@home.example
//   realm   *@home.example      (RFC 7542 sec. 2.2: the realm routes; the user part identifies)
//   hidden  *
//
// Every log line that names a subscriber passes its NAI through nai().

#include <spdlog/fmt/fmt.h>

#include <atomic>
#include <string>
#include <string_view>

namespace roamkey::log {

enum class NaiDisplay { Full, Realm, Hidden };

// Process-wide; set by configure() and on reload.
void set_nai_display(NaiDisplay display);
NaiDisplay nai_display();

// `nai` as the current setting shows it.
std::string shown_nai(std::string_view nai);

struct LoggedNai {
  std::string_view value;
};
inline LoggedNai nai(std::string_view value) {
  return LoggedNai{value};
}

}  // namespace roamkey::log

template <>
struct fmt::formatter<roamkey::log::LoggedNai> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const roamkey::log::LoggedNai& n, Context& ctx) const {
    const auto shown = roamkey::log::shown_nai(n.value);
    return fmt::formatter<std::string_view>::format(std::string_view(shown), ctx);
  }
};
