#include "log/log_event.h"

namespace roamkey::log {

namespace {
thread_local const EventFields* t_current = nullptr;
}  // namespace

EventScope::EventScope(const EventFields& fields) : fields_(fields), previous_(t_current) {
  t_current = &fields_;
}

EventScope::~EventScope() {
  t_current = previous_;
}

const EventFields* EventScope::current() {
  return t_current;
}

}  // namespace roamkey::log
