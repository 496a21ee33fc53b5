// KeyUpdateOutbox: Key-Update-Reports kept until the home acknowledges them,
// in memory or in an SQLite file that survives a restart (issue 3).

#include "key_update_outbox.h"

#include "support/scratch_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace roamkey::visited {
namespace {

namespace fs = std::filesystem;

KeyUpdateReport report(std::string nai, std::uint32_t generation, std::int32_t status = 0,
                       std::string home_realm = "home.example") {
  KeyUpdateReport r;
  r.nai = std::move(nai);
  r.home_realm = std::move(home_realm);
  r.generation = generation;
  r.status = status;
  return r;
}

using ScratchDir = roamkey::test::ScratchDir;

// Every test runs on the in-memory outbox and on a file.
class KeyUpdateOutboxTest : public ::testing::TestWithParam<bool> {
 protected:
  fs::path where() const { return GetParam() ? dir_.path() / "visited.db" : fs::path(); }
  ScratchDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Storage, KeyUpdateOutboxTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? std::string("File") : std::string("Memory"); });

TEST_P(KeyUpdateOutboxTest, StartsEmpty) {
  KeyUpdateOutbox box(where());
  EXPECT_EQ(box.size(), 0U);
  EXPECT_TRUE(box.pending().empty());
}

TEST_P(KeyUpdateOutboxTest, AddReturnsTheReportWithAnIdAndKeepsIt) {
  KeyUpdateOutbox box(where());
  const auto added = box.add(report("alice@home.example", 8, 0));
  EXPECT_GT(added.id, 0);
  EXPECT_EQ(added.nai, "alice@home.example");
  EXPECT_EQ(added.home_realm, "home.example");
  EXPECT_EQ(added.generation, 8U);
  EXPECT_EQ(added.status, 0);
  EXPECT_EQ(added.attempts, 0U);
  EXPECT_EQ(added.last_error, "");
  EXPECT_EQ(box.size(), 1U);
  const auto p = box.pending();
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].id, added.id);
  EXPECT_EQ(p[0].nai, "alice@home.example");
  EXPECT_EQ(p[0].home_realm, "home.example");
  EXPECT_EQ(p[0].generation, 8U);
  EXPECT_EQ(p[0].status, 0);
  EXPECT_EQ(p[0].attempts, 0U);
  EXPECT_EQ(p[0].last_error, "");
}

// A report arrives new; what the caller put in id/attempts/last_error is not
// taken over (the outbox owns those).
TEST_P(KeyUpdateOutboxTest, AddStartsAttemptsAtZero) {
  KeyUpdateOutbox box(where());
  auto r = report("bob@home.example", 3);
  r.id = 999;
  r.attempts = 7;
  r.last_error = "stale";
  const auto added = box.add(r);
  EXPECT_NE(added.id, 999);
  const auto p = box.pending();
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].id, added.id);
  EXPECT_EQ(p[0].attempts, 0U);
  EXPECT_EQ(p[0].last_error, "");
}

TEST_P(KeyUpdateOutboxTest, PendingListsInTheOrderAdded) {
  KeyUpdateOutbox box(where());
  const auto a = box.add(report("a@home.example", 1, 0));
  const auto b = box.add(report("b@other.example", 2, 1, "other.example"));
  const auto c = box.add(report("c@home.example", 3, 2));
  EXPECT_LT(a.id, b.id);
  EXPECT_LT(b.id, c.id);
  const auto p = box.pending();
  ASSERT_EQ(p.size(), 3U);
  EXPECT_EQ(p[0].nai, "a@home.example");
  EXPECT_EQ(p[1].nai, "b@other.example");
  EXPECT_EQ(p[1].home_realm, "other.example");
  EXPECT_EQ(p[1].status, 1);
  EXPECT_EQ(p[2].nai, "c@home.example");
  EXPECT_EQ(p[2].status, 2);
  EXPECT_EQ(box.size(), 3U);
}

TEST_P(KeyUpdateOutboxTest, FieldsRoundTripAtTheirLimits) {
  KeyUpdateOutbox box(where());
  const std::string nai = "j\xC3\xBCrgen+'quote\"@home.example";  // UTF-8 and SQL quote characters
  box.add(report(nai, std::numeric_limits<std::uint32_t>::max(), 2));
  const auto p = box.pending();
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].nai, nai);
  EXPECT_EQ(p[0].generation, std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(p[0].status, 2);
}

TEST_P(KeyUpdateOutboxTest, AcknowledgeRemovesOnlyThatReport) {
  KeyUpdateOutbox box(where());
  const auto a = box.add(report("a@home.example", 1));
  const auto b = box.add(report("b@home.example", 1));
  box.acknowledge(a.id);
  EXPECT_EQ(box.size(), 1U);
  const auto p = box.pending();
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].id, b.id);
  box.acknowledge(b.id);
  EXPECT_EQ(box.size(), 0U);
  EXPECT_TRUE(box.pending().empty());
}

// A KUA may arrive twice (a retry answered twice): harmless.
TEST_P(KeyUpdateOutboxTest, AcknowledgingAnUnknownOrAcknowledgedIdIsHarmless) {
  KeyUpdateOutbox box(where());
  const auto a = box.add(report("a@home.example", 1));
  EXPECT_NO_THROW(box.acknowledge(a.id + 100));
  EXPECT_EQ(box.size(), 1U);
  box.acknowledge(a.id);
  EXPECT_NO_THROW(box.acknowledge(a.id));
  EXPECT_EQ(box.size(), 0U);
}

TEST_P(KeyUpdateOutboxTest, RecordAttemptCountsAndKeepsTheLastError) {
  KeyUpdateOutbox box(where());
  const auto a = box.add(report("a@home.example", 1));
  const auto b = box.add(report("b@home.example", 1));
  box.record_attempt(a.id, "DIAMETER_UNABLE_TO_DELIVER (3002)");
  box.record_attempt(a.id, "timeout after 5 s");
  auto p = box.pending();
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[0].attempts, 2U);
  EXPECT_EQ(p[0].last_error, "timeout after 5 s");
  EXPECT_EQ(p[1].id, b.id);
  EXPECT_EQ(p[1].attempts, 0U);
  EXPECT_EQ(p[1].last_error, "");
  box.record_attempt(a.id, "");
  p = box.pending();
  EXPECT_EQ(p[0].attempts, 3U);
  EXPECT_EQ(p[0].last_error, "");
  EXPECT_EQ(box.size(), 2U);  // an attempt does not acknowledge
}

TEST_P(KeyUpdateOutboxTest, RecordAttemptOnAnUnknownIdIsHarmless) {
  KeyUpdateOutbox box(where());
  const auto a = box.add(report("a@home.example", 1));
  box.acknowledge(a.id);
  EXPECT_NO_THROW(box.record_attempt(a.id, "late failure"));
  EXPECT_EQ(box.size(), 0U);
}

// Ids never come back, even once the newest report is acknowledged, so a
// late KUA for an old id cannot delete a newer report.
TEST_P(KeyUpdateOutboxTest, IdsIncreaseAndAreNeverReused) {
  KeyUpdateOutbox box(where());
  const auto a = box.add(report("a@home.example", 1));
  const auto b = box.add(report("a@home.example", 2));
  box.acknowledge(b.id);
  box.acknowledge(a.id);
  const auto c = box.add(report("a@home.example", 3));
  EXPECT_GT(b.id, a.id);
  EXPECT_GT(c.id, b.id);
}

TEST_P(KeyUpdateOutboxTest, ConcurrentAddsAllLandWithDistinctIds) {
  KeyUpdateOutbox box(where());
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::vector<std::int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i)
        ids[t].push_back(box.add(report("n" + std::to_string(t) + "@home.example", static_cast<std::uint32_t>(i))).id);
    });
  for (auto& th : threads) th.join();
  std::set<std::int64_t> distinct;
  for (const auto& per : ids) {
    distinct.insert(per.begin(), per.end());
    for (std::size_t i = 1; i < per.size(); ++i) EXPECT_LT(per[i - 1], per[i]);
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(box.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(KeyUpdateOutbox, InMemoryOutboxesAreIndependent) {
  KeyUpdateOutbox one{fs::path()};
  KeyUpdateOutbox two{fs::path()};
  one.add(report("a@home.example", 1));
  EXPECT_EQ(one.size(), 1U);
  EXPECT_EQ(two.size(), 0U);
}

// The point of the file: what was added and not acknowledged is still there
// after the process (here: the object) goes away.
TEST(KeyUpdateOutbox, PendingReportsSurviveAReopen) {
  ScratchDir dir;
  const auto file = dir.path() / "visited.db";
  std::int64_t kept_id = 0;
  std::int64_t acked_id = 0;
  {
    KeyUpdateOutbox box(file);
    kept_id = box.add(report("alice@home.example", 8, 0)).id;
    acked_id = box.add(report("bob@home.example", 4, 2)).id;
    box.record_attempt(kept_id, "DIAMETER_UNABLE_TO_DELIVER (3002)");
    box.record_attempt(kept_id, "timeout after 5 s");
    box.acknowledge(acked_id);
  }
  ASSERT_TRUE(fs::exists(file));
  {
    KeyUpdateOutbox box(file);
    EXPECT_EQ(box.size(), 1U);
    const auto p = box.pending();
    ASSERT_EQ(p.size(), 1U);
    EXPECT_EQ(p[0].id, kept_id);
    EXPECT_EQ(p[0].nai, "alice@home.example");
    EXPECT_EQ(p[0].home_realm, "home.example");
    EXPECT_EQ(p[0].generation, 8U);
    EXPECT_EQ(p[0].status, 0);
    EXPECT_EQ(p[0].attempts, 2U);
    EXPECT_EQ(p[0].last_error, "timeout after 5 s");
    // Ids go on increasing across the restart, past the acknowledged one too.
    const auto next = box.add(report("carol@home.example", 1));
    EXPECT_GT(next.id, acked_id);
    EXPECT_GT(next.id, kept_id);
    box.acknowledge(kept_id);
  }
  {
    KeyUpdateOutbox box(file);
    const auto p = box.pending();
    ASSERT_EQ(p.size(), 1U);
    EXPECT_EQ(p[0].nai, "carol@home.example");
  }
}

// Each add is durable when it returns: a second connection to the same file
// (another process after a crash, in effect) already sees it.
TEST(KeyUpdateOutbox, AddIsVisibleToAnotherConnectionAtOnce) {
  ScratchDir dir;
  const auto file = dir.path() / "visited.db";
  KeyUpdateOutbox writer(file);
  const auto added = writer.add(report("alice@home.example", 8));
  writer.record_attempt(added.id, "no route");
  KeyUpdateOutbox reader(file);
  const auto p = reader.pending();
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].id, added.id);
  EXPECT_EQ(p[0].attempts, 1U);
  EXPECT_EQ(p[0].last_error, "no route");
}

TEST(KeyUpdateOutbox, UnopenableFileIsNamedInTheError) {
  ScratchDir dir;
  const auto file = dir.path() / "missing-dir" / "visited.db";
  try {
    KeyUpdateOutbox box(file);
    FAIL() << "opened " << file;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

TEST(KeyUpdateOutbox, FileThatIsNotADatabaseIsRefused) {
  ScratchDir dir;
  const auto file = dir.path() / "visited.db";
  {
    std::ofstream out(file, std::ios::binary);
    out << std::string(4096, 'x');
  }
  try {
    KeyUpdateOutbox box(file);
    FAIL() << "opened a file that is not a database";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace roamkey::visited
