#pragma once
// The fields of a log line about one Diameter exchange, for log.format: json
// (log_sink.h). Text lines carry the same facts in their message.
//
//   const std::string host = m.origin_host();
//   const log::EventScope event{{"DLR", host, 5402, nai}};
//   spdlog::warn("DLR nai={} ...", log::nai(nai), ...);
//
// The scope marks the lines the calling thread writes while it lives; the
// sink reads it in that same thread (the logger is synchronous). It keeps
// the fields, not the strings they view: those must outlive the scope.

#include <cstdint>
#include <string_view>

namespace roamkey::log {

struct EventFields {
  std::string_view event;         // "DLR", "DER", "KPR" ...
  std::string_view peer;          // the Diameter peer: Origin-Host, or the host a request goes to
  std::uint32_t result_code = 0;  // Result-Code or Experimental-Result-Code; 0 = none yet
  std::string_view nai;           // shown as log.nai says (logged_nai.h)
};

class EventScope {
 public:
  explicit EventScope(const EventFields& fields);
  ~EventScope();
  EventScope(const EventScope&) = delete;
  EventScope& operator=(const EventScope&) = delete;

  // The fields of the innermost scope of this thread, or null.
  static const EventFields* current();

 private:
  EventFields fields_;
  const EventFields* previous_;
};

}  // namespace roamkey::log
