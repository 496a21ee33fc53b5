#include "conversation_table.h"

#include <stdexcept>

namespace roamkey::visited::detail {

ConversationIndex::ConversationIndex(std::size_t max_conversations, Clock::duration timeout)
    : max_(max_conversations), timeout_(timeout) {
  if (max_ == 0) throw std::invalid_argument("ConversationTable: max_conversations must be positive");
  if (timeout_ <= Clock::duration::zero())
    throw std::invalid_argument("ConversationTable: conversation timeout must be positive");
}

ConversationInsert ConversationIndex::insert(std::string session_id, std::shared_ptr<ConversationSlot> slot,
                                             Clock::time_point now) {
  slot->deadline = now + timeout_;
  std::lock_guard lock(mutex_);
  if (slots_.contains(session_id)) return ConversationInsert::kDuplicate;
  if (slots_.size() >= max_) return ConversationInsert::kFull;
  slots_.emplace(std::move(session_id), std::move(slot));
  return ConversationInsert::kInserted;
}

std::shared_ptr<ConversationSlot> ConversationIndex::lookup(std::string_view session_id) const {
  std::lock_guard lock(mutex_);
  const auto it = slots_.find(session_id);
  return it == slots_.end() ? nullptr : it->second;
}

bool ConversationIndex::touch(std::string_view session_id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = slots_.find(session_id);
  if (it == slots_.end()) return false;
  it->second->deadline = now + timeout_;
  return true;
}

bool ConversationIndex::erase(std::string_view session_id) {
  std::shared_ptr<ConversationSlot> gone;  // the conversation may die here: after the lock is released
  std::lock_guard lock(mutex_);
  const auto it = slots_.find(session_id);
  if (it == slots_.end()) return false;
  it->second->closed.store(true);
  gone = std::move(it->second);
  slots_.erase(it);
  return true;
}

std::vector<ConversationIndex::Expired> ConversationIndex::sweep(Clock::time_point now) {
  std::vector<Expired> expired;
  std::lock_guard lock(mutex_);
  for (auto it = slots_.begin(); it != slots_.end();) {
    ConversationSlot& slot = *it->second;
    // try_lock: a conversation being processed right now is not idle, and
    // waiting for it here would stall every dispatch thread behind the table mutex.
    if (slot.deadline <= now && slot.turn.try_lock()) {
      slot.closed.store(true);
      slot.turn.unlock();
      expired.emplace_back(it->first, std::move(it->second));
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

std::size_t ConversationIndex::size() const {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

}  // namespace roamkey::visited::detail
