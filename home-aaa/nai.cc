#include "nai.h"

#include <algorithm>

namespace roamkey::home {

namespace {

char lower_char(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 7542 sec. 2.2 lets the user part hold any UTF-8 except controls, space
// and "@"; we do not validate UTF-8 itself, only reject bytes that would
// make log lines and CSV files ambiguous.
bool acceptable_user_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f && c != '@' && c != ',';
}

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower_char);
  return out;
}

bool same_realm(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower_char(x) == lower_char(y); });
}

bool plausible_realm(std::string_view realm) {
  if (realm.empty() || realm.size() > 253) return false;
  std::size_t label = 0;
  for (const char c : realm) {
    if (c == '.') {
      if (label == 0) return false;  // leading dot or empty label
      label = 0;
    } else if (alnum(c) || c == '-') {
      ++label;
    } else {
      return false;
    }
  }
  return label != 0;  // no trailing dot
}

std::optional<std::string> canonical_nai(std::string_view nai) {
  if (nai.size() > kMaxNaiLength) return std::nullopt;
  const auto at = nai.find('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  const auto user = nai.substr(0, at);
  const auto realm = nai.substr(at + 1);
  if (!std::all_of(user.begin(), user.end(), acceptable_user_byte)) return std::nullopt;
  if (!plausible_realm(realm)) return std::nullopt;  // also rejects a second "@"
  return std::string(user) + "@" + lower_ascii(realm);
}

}  // namespace roamkey::home
