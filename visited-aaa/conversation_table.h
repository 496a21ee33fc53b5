#pragma once
// The EAP conversations in progress at the visited AAA, keyed by the
// Diameter Session-Id of their DER/DEA exchange (RFC 4072 sec. 2: the
// Session-Id stays the same for the whole conversation; protocol.md sec. 4).
//
// Bounded in number (a full table refuses new conversations; the caller
// answers DIAMETER_TOO_BUSY 3004) and in time (each conversation's deadline
// is its last activity plus the conversation timeout; sweep() takes out the
// ones past it so that the caller can fail and log them).
//
// One thread at a time per conversation: the table never hands out a
// Conversation to work on outside with(), which runs the caller's function
// under that conversation's own lock. A conversation that another thread
// continues later (e.g. when the home's answer arrives) is named by its
// Session-Id, not by a pointer, and reached through with() again; if it has
// gone (erased, timed out) with() says so.
//
// Locking: one table mutex guards the index and deadlines and is never held
// while a caller's function runs; each conversation has its own mutex. The
// table mutex is taken before a conversation mutex only with try_lock
// (sweep), so the two cannot deadlock. with()'s function may call any method
// of the table, including erase() of its own conversation, but must not call
// with() for its own Session-Id.
//
// Times are passed in (`now`, steady clock) so that tests drive them.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace roamkey::visited {

enum class ConversationInsert {
  kInserted,
  kDuplicate,  // a conversation with this Session-Id exists already
  kFull,       // max_conversations reached: answer DIAMETER_TOO_BUSY (3004)
};

namespace detail {

// The part of a table entry that does not depend on the conversation type.
class ConversationSlot {
 public:
  virtual ~ConversationSlot() = default;

  std::mutex turn;                                 // held while one thread processes the conversation
  std::atomic<bool> closed{false};                 // erased or swept: with() must not run on it any more
  std::chrono::steady_clock::time_point deadline;  // guarded by ConversationIndex's mutex
};

// Session-Id -> slot, with the bounds. ConversationTable<T> is a typed shell around it.
class ConversationIndex {
 public:
  using Clock = std::chrono::steady_clock;
  using Expired = std::pair<std::string, std::shared_ptr<ConversationSlot>>;

  ConversationIndex(std::size_t max_conversations, Clock::duration timeout);

  ConversationInsert insert(std::string session_id, std::shared_ptr<ConversationSlot> slot, Clock::time_point now);
  std::shared_ptr<ConversationSlot> lookup(std::string_view session_id) const;
  bool touch(std::string_view session_id, Clock::time_point now);
  bool erase(std::string_view session_id);
  std::vector<Expired> sweep(Clock::time_point now);
  std::size_t size() const;
  std::size_t capacity() const { return max_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const std::size_t max_;
  const Clock::duration timeout_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<ConversationSlot>, Hash, std::equal_to<>> slots_;
};

}  // namespace detail

template <class Conversation>
class ConversationTable {
 public:
  using Clock = std::chrono::steady_clock;

  // A conversation taken out by sweep(). Nobody else can reach it any more:
  // the holder may use it without a lock.
  struct Expired {
    std::string session_id;
    std::shared_ptr<Conversation> conversation;
  };

  // max_conversations >= 1 and timeout > 0, else std::invalid_argument.
  ConversationTable(std::size_t max_conversations, Clock::duration timeout) : index_(max_conversations, timeout) {}

  // Creates the conversation in place (it need not be movable), with
  // deadline now + timeout.
  template <class... Args>
  ConversationInsert emplace(std::string session_id, Clock::time_point now, Args&&... args) {
    // A full table still continues its own conversations; only new ones are
    // refused, and without building them first.
    if (index_.size() >= index_.capacity())
      return index_.lookup(session_id) ? ConversationInsert::kDuplicate : ConversationInsert::kFull;
    auto slot = std::make_shared<Slot>(std::forward<Args>(args)...);
    return index_.insert(std::move(session_id), std::move(slot), now);
  }

  // Runs fn(Conversation&) with the conversation's lock held and returns
  // true (fn returns void) or fn's result; false / nullopt when there is no
  // such conversation. Waits while another thread is processing it.
  template <class Fn>
  auto with(std::string_view session_id, Fn&& fn) {
    using R = std::invoke_result_t<Fn, Conversation&>;
    using Out = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;
    const auto base = index_.lookup(session_id);
    if (!base) return Out{};
    auto& slot = static_cast<Slot&>(*base);
    std::lock_guard lock(slot.turn);
    if (slot.closed.load()) return Out{};
    if constexpr (std::is_void_v<R>) {
      std::invoke(std::forward<Fn>(fn), slot.conversation);
      return true;
    } else {
      return Out{std::invoke(std::forward<Fn>(fn), slot.conversation)};
    }
  }

  // Moves the deadline to now + timeout. False if there is no such conversation.
  bool touch(std::string_view session_id, Clock::time_point now) { return index_.touch(session_id, now); }

  // Removes the conversation. A thread inside with() for it finishes; later
  // with() calls find nothing. False if there was none.
  bool erase(std::string_view session_id) { return index_.erase(session_id); }

  bool contains(std::string_view session_id) const { return index_.lookup(session_id) != nullptr; }

  // Removes and returns the conversations whose deadline is at or before
  // now, except those a thread is processing at this moment (they are
  // active; a later sweep sees them again if they are not touched).
  // Cost: one pass over the table under its mutex.
  std::vector<Expired> sweep(Clock::time_point now) {
    std::vector<Expired> out;
    for (auto& [id, base] : index_.sweep(now)) {
      auto slot = std::static_pointer_cast<Slot>(std::move(base));
      Conversation* conversation = &slot->conversation;
      out.push_back({std::move(id), std::shared_ptr<Conversation>(std::move(slot), conversation)});
    }
    return out;
  }

  std::size_t size() const { return index_.size(); }
  std::size_t capacity() const { return index_.capacity(); }

 private:
  struct Slot final : detail::ConversationSlot {
    template <class... Args>
    explicit Slot(Args&&... args) : conversation(std::forward<Args>(args)...) {}
    Conversation conversation;
  };

  detail::ConversationIndex index_;
};

}  // namespace roamkey::visited
