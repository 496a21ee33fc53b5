#pragma once
// What the Stack tells whoever counts its traffic (the metrics layer):
// every request received and answer sent by the handlers, every request
// sent and how it ended. Calls come from freeDiameter's dispatch threads and
// the Stack's timer thread, so an implementation is thread-safe and quick;
// it must not throw.

#include <cstdint>

namespace roamkey::diameter {

enum class AnswerStatus;

class TrafficObserver {
 public:
  virtual ~TrafficObserver() = default;
  // A request for one of our handlers.
  virtual void request_received(std::uint32_t command_code) = 0;
  // Our answer to it: Result-Code, or Experimental-Result-Code when
  // `experimental` (RFC 6733 sec. 7.6), also for a repeat answered again.
  virtual void answer_sent(std::uint32_t command_code, std::uint32_t result_code, bool experimental) = 0;
  // A request we sent (Stack::send), and how it ended.
  virtual void request_sent(std::uint32_t command_code) = 0;
  virtual void answer_received(std::uint32_t command_code, AnswerStatus status, std::uint32_t result_code,
                               bool experimental) = 0;
};

}  // namespace roamkey::diameter
