#include "log/logged_nai.h"

namespace roamkey::log {

namespace {
std::atomic<NaiDisplay> g_display{NaiDisplay::Full};
}  // namespace

void set_nai_display(NaiDisplay display) {
  g_display.store(display, std::memory_order_relaxed);
}

NaiDisplay nai_display() {
  return g_display.load(std::memory_order_relaxed);
}

std::string shown_nai(std::string_view nai) {
  switch (nai_display()) {
    case NaiDisplay::Full: return std::string(nai);
    case NaiDisplay::Realm: {
      // RFC 7542 sec. 2.2: the realm follows the last "@" (a decorated
      // NAI's user part may hold more).
      const auto at = nai.rfind('@');
      return at == std::string_view::npos ? std::string("*") : "*" + std::string(nai.substr(at));
    }
    case NaiDisplay::Hidden: return "*";
  }
  return "*";
}

}  // namespace roamkey::log
