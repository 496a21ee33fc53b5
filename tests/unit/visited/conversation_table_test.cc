#include "conversation_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace roamkey::visited {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

// Stands in for the EAP-TSK server state: not copyable nor movable, like a
// conversation holding a mutex or a state machine would be.
struct FakeConversation {
  explicit FakeConversation(std::string n = "") : nai(std::move(n)) {}
  FakeConversation(const FakeConversation&) = delete;
  FakeConversation& operator=(const FakeConversation&) = delete;
  std::string nai;
  int messages = 0;
};

using Table = ConversationTable<FakeConversation>;

std::vector<std::string> ids_of(const std::vector<Table::Expired>& expired) {
  std::vector<std::string> ids;
  for (const auto& e : expired) ids.push_back(e.session_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(ConversationTable, EmplaceThenWith) {
  Table table(10, 30s);
  EXPECT_EQ(table.emplace("s1", t0, "alice@home.example"), ConversationInsert::kInserted);
  EXPECT_EQ(table.size(), 1U);
  EXPECT_TRUE(table.contains("s1"));
  EXPECT_TRUE(table.with("s1", [](FakeConversation& c) { ++c.messages; }));
  const auto seen = table.with("s1", [](FakeConversation& c) { return c.nai + "/" + std::to_string(c.messages); });
  ASSERT_TRUE(seen);
  EXPECT_EQ(*seen, "alice@home.example/1");
}

TEST(ConversationTable, WithOnAnUnknownSessionDoesNothing) {
  Table table(10, 30s);
  bool called = false;
  EXPECT_FALSE(table.with("nope", [&](FakeConversation&) { called = true; }));
  EXPECT_FALSE(table.with("nope", [&](FakeConversation&) { return 1; }));
  EXPECT_FALSE(called);
  EXPECT_FALSE(table.contains("nope"));
}

TEST(ConversationTable, DuplicateSessionIdIsRefused) {
  Table table(10, 30s);
  ASSERT_EQ(table.emplace("s1", t0, "first"), ConversationInsert::kInserted);
  EXPECT_EQ(table.emplace("s1", t0, "second"), ConversationInsert::kDuplicate);
  EXPECT_EQ(*table.with("s1", [](FakeConversation& c) { return c.nai; }), "first");
  EXPECT_EQ(table.size(), 1U);
}

TEST(ConversationTable, FullTableRefusesNewConversations) {
  Table table(2, 30s);
  EXPECT_EQ(table.emplace("s1", t0), ConversationInsert::kInserted);
  EXPECT_EQ(table.emplace("s2", t0), ConversationInsert::kInserted);
  EXPECT_EQ(table.emplace("s3", t0), ConversationInsert::kFull);
  EXPECT_EQ(table.size(), 2U);
  EXPECT_FALSE(table.contains("s3"));
  EXPECT_TRUE(table.erase("s1"));
  EXPECT_EQ(table.emplace("s3", t0), ConversationInsert::kInserted) << "room again after an erase";
}

TEST(ConversationTable, SweepTakesOutConversationsPastTheirDeadline) {
  Table table(10, 30s);
  ASSERT_EQ(table.emplace("s1", t0, "a"), ConversationInsert::kInserted);
  ASSERT_EQ(table.emplace("s2", t0 + 10s, "b"), ConversationInsert::kInserted);
  EXPECT_TRUE(table.sweep(t0 + 29s).empty());

  const auto expired = table.sweep(t0 + 30s);
  ASSERT_EQ(expired.size(), 1U);
  EXPECT_EQ(expired[0].session_id, "s1");
  EXPECT_EQ(expired[0].conversation->nai, "a") << "handed back so that the caller can fail and log it";
  EXPECT_FALSE(table.contains("s1"));
  EXPECT_EQ(table.size(), 1U);
  EXPECT_EQ(ids_of(table.sweep(t0 + 40s)), std::vector<std::string>{"s2"});
  EXPECT_EQ(table.size(), 0U);
}

TEST(ConversationTable, TouchPostponesTheDeadline) {
  Table table(10, 30s);
  ASSERT_EQ(table.emplace("s1", t0), ConversationInsert::kInserted);
  EXPECT_TRUE(table.touch("s1", t0 + 20s));
  EXPECT_TRUE(table.sweep(t0 + 49s).empty());
  EXPECT_EQ(table.sweep(t0 + 50s).size(), 1U);
  EXPECT_FALSE(table.touch("s1", t0 + 50s)) << "gone";
}

TEST(ConversationTable, Erase) {
  Table table(10, 30s);
  ASSERT_EQ(table.emplace("s1", t0), ConversationInsert::kInserted);
  EXPECT_TRUE(table.erase("s1"));
  EXPECT_FALSE(table.erase("s1"));
  EXPECT_FALSE(table.with("s1", [](FakeConversation&) {}));
  EXPECT_TRUE(table.sweep(t0 + 1h).empty());
  EXPECT_EQ(table.size(), 0U);
}

TEST(ConversationTable, AConversationMayEraseItselfFromWith) {
  Table table(10, 30s);
  ASSERT_EQ(table.emplace("s1", t0, "alice"), ConversationInsert::kInserted);
  std::string nai_after_erase;
  EXPECT_TRUE(table.with("s1", [&](FakeConversation& c) {
    EXPECT_TRUE(table.erase("s1"));
    nai_after_erase = c.nai;  // still alive: with() holds it
  }));
  EXPECT_EQ(nai_after_erase, "alice");
  EXPECT_FALSE(table.contains("s1"));
}

TEST(ConversationTable, SweepSkipsAConversationBeingProcessed) {
  Table table(10, 30s);
  ASSERT_EQ(table.emplace("busy", t0), ConversationInsert::kInserted);
  ASSERT_EQ(table.emplace("idle", t0), ConversationInsert::kInserted);
  std::vector<Table::Expired> swept;
  table.with("busy", [&](FakeConversation&) {
    std::thread sweeper([&] { swept = table.sweep(t0 + 1h); });  // another thread, like the daemon's timer
    sweeper.join();
  });
  EXPECT_EQ(ids_of(swept), std::vector<std::string>{"idle"});
  EXPECT_TRUE(table.contains("busy"));
  EXPECT_EQ(ids_of(table.sweep(t0 + 1h)), std::vector<std::string>{"busy"});
}

TEST(ConversationTable, OneThreadAtATimePerConversation) {
  Table table(10, 30s);
  ASSERT_EQ(table.emplace("s1", t0), ConversationInsert::kInserted);
  constexpr int kThreads = 8;
  constexpr int kRounds = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        table.with("s1", [](FakeConversation& c) { ++c.messages; });  // unsynchronised but for with()
        table.touch("s1", t0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(*table.with("s1", [](FakeConversation& c) { return c.messages; }), kThreads * kRounds);
}

TEST(ConversationTable, ConcurrentInsertsRespectTheBound) {
  Table table(100, 30s);
  std::atomic<int> inserted{0};
  std::atomic<int> full{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        switch (table.emplace("s" + std::to_string(t) + "-" + std::to_string(i), t0)) {
          case ConversationInsert::kInserted: ++inserted; break;
          case ConversationInsert::kFull: ++full; break;
          case ConversationInsert::kDuplicate: break;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(inserted.load(), 100);
  EXPECT_EQ(full.load(), 300);
  EXPECT_EQ(table.size(), 100U);
}

TEST(ConversationTable, BoundsAreValidated) {
  EXPECT_THROW(Table(0, 30s), std::invalid_argument);
  EXPECT_THROW(Table(10, 0s), std::invalid_argument);
}

}  // namespace
}  // namespace roamkey::visited
