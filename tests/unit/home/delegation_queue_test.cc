// DelegationQueue (group commit of DLRs, issue 4) and the savepoints that let
// one request of a batch fail alone (storage/sqlite.h Transaction).
#include "delegation_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/random.h"
#include "sqlite_subscriber_store.h"
#include "storage/sqlite.h"
#include "store_support.h"
#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {

using crypto::SecretBytes;
using diameter::ResultCode;
using test::at;

const char* const kK = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const char* const kVisitedRealm = "visited.example";
const char* const kVisitedHost = "aaa.visited.example";

std::string nai(int i) {
  return "user" + std::to_string(i) + "@home.example";
}

// Holds the writer inside its first transaction until open() is called, so
// that what is submitted meanwhile is queued behind it: deterministic batches.
class Gate {
 public:
  void wait_open() {
    std::unique_lock lock(mutex_);
    entered_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  void wait_entered() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false, open_ = false;
};

// Collects results in submission order.
class Answers {
 public:
  DelegationQueue::Done slot() {
    std::lock_guard lock(mutex_);
    const auto i = results_.size();
    results_.emplace_back();
    return [this, i](DelegationResult r) {
      std::lock_guard lock(mutex_);
      results_[i] = std::move(r);
      ++answered_;
      changed_.notify_all();
    };
  }
  void wait_all() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return answered_ == results_.size(); });
  }
  std::vector<DelegationResult>& results() { return results_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<DelegationResult> results_;
  std::size_t answered_ = 0;
};

class DelegationQueueTest : public ::testing::Test {
 protected:
  DelegationQueueTest()
      : store_(dir_ / "home.db"),
        service_(store_, store_, DelegationPolicy{600, 0},
                 RoamingPartners(std::vector<RoamingPartner>{{kVisitedRealm, {kVisitedHost}}}), random_,
                 [] { return at(5000); }) {
    for (int i = 0; i < 8; ++i)
      store_.add({nai(i), SecretBytes::from_hex(kK), SubscriberStatus::Active, {true, {}}}, at(1));
  }

  DelegationRequest dlr(int i) const { return {nai(i), kVisitedHost, kVisitedRealm}; }

  // The store's own group commit, with the first transaction held at `gate`.
  DelegationQueue::Transaction gated(Gate& gate) {
    return [this, &gate, first = std::make_shared<bool>(true)](const std::function<void()>& body) {
      if (*first) {
        *first = false;
        gate.wait_open();
      }
      ++transactions_;
      store_.in_one_transaction(body);
    };
  }

  roamkey::test::ScratchDir dir_;
  SqliteSubscriberStore store_;
  crypto::SystemRandom random_;
  DelegationService service_;
  std::atomic<int> transactions_{0};
};

TEST_F(DelegationQueueTest, QueuedRequestsShareOneCommitAndAreAnsweredAfterIt) {
  Gate gate;
  Answers answers;
  DelegationQueue queue(service_, gated(gate), {});
  queue.submit(dlr(0), answers.slot());
  gate.wait_entered();
  for (int i = 1; i < 8; ++i) queue.submit(dlr(i), answers.slot());
  // A second DLR for user1 in the same batch: its own, next generation.
  queue.submit(dlr(1), answers.slot());
  gate.open();
  answers.wait_all();
  queue.stop();

  auto& r = answers.results();
  ASSERT_EQ(r.size(), 9u);
  for (auto& x : r) {
    ASSERT_TRUE(x.outcome.is_success()) << x.outcome.reason;
    ASSERT_TRUE(x.vector);
  }
  EXPECT_EQ(r[1].vector->generation + 1, r[8].vector->generation);
  EXPECT_EQ(transactions_.load(), 2);
  const auto stats = queue.stats();
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.requests, 9u);
  EXPECT_EQ(stats.largest_batch, 8u);
  // Committed: a store opened afresh sees every generation.
  SqliteSubscriberStore reopened(dir_ / "home.db");
  EXPECT_EQ(reopened.list_delegations(nai(1)).size(), 2u);
  EXPECT_EQ(reopened.delegation(nai(7))->generation, r[7].vector->generation);
}

// Keeps what the queue records.
class Recorded final : public metrics::Distribution {
 public:
  void observe(double v) override {
    std::lock_guard lock(mutex_);
    values_.push_back(v);
  }
  std::vector<double> values() {
    std::lock_guard lock(mutex_);
    return values_;
  }

 private:
  std::mutex mutex_;
  std::vector<double> values_;
};

TEST_F(DelegationQueueTest, RecordsEachWaitEachBatchAndItsSize) {
  Gate gate;
  Answers answers;
  Recorded wait, commit, size;
  DelegationQueue queue(service_, gated(gate),
                        {.max_batch = 256, .max_queued = 8192, .sinks = {&wait, &commit, &size}});
  queue.submit(dlr(0), answers.slot());
  gate.wait_entered();
  for (int i = 1; i < 4; ++i) queue.submit(dlr(i), answers.slot());
  EXPECT_EQ(queue.queued(), 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  gate.open();
  answers.wait_all();
  queue.stop();
  EXPECT_EQ(size.values(), (std::vector<double>{1, 3}));
  ASSERT_EQ(wait.values().size(), 4u);
  // The three that queued behind the held batch waited at least the 20 ms.
  for (std::size_t i = 1; i < 4; ++i) EXPECT_GE(wait.values()[i], 0.02) << i;
  ASSERT_EQ(commit.values().size(), 2u);
  EXPECT_GE(commit.values()[0], 0.02) << "the first batch's commit includes the time it was held";
  EXPECT_EQ(queue.queued(), 0u);
}

TEST_F(DelegationQueueTest, ARefusedRequestDoesNotTakeItsBatchWithIt) {
  Gate gate;
  Answers answers;
  DelegationQueue queue(service_, gated(gate), {});
  queue.submit(dlr(0), answers.slot());
  gate.wait_entered();
  queue.submit({"nobody@home.example", kVisitedHost, kVisitedRealm}, answers.slot());
  queue.submit(dlr(2), answers.slot());
  gate.open();
  answers.wait_all();
  auto& r = answers.results();
  EXPECT_TRUE(r[0].outcome.is_success());
  EXPECT_TRUE(r[1].outcome.experimental);
  EXPECT_EQ(r[1].outcome.code, static_cast<std::uint32_t>(diameter::ExperimentalCode::UserUnknown));
  EXPECT_TRUE(r[2].outcome.is_success());
  EXPECT_TRUE(store_.delegation(nai(2)));
}

TEST_F(DelegationQueueTest, AFailedCommitAnswers5012AndLeavesNothingInTheStore) {
  Answers answers;
  DelegationQueue queue(service_,
                        [this](const std::function<void()>& body) {
                          store_.in_one_transaction([&] {
                            body();
                            throw StoreError("home.db: cannot commit: disk I/O error");
                          });
                        },
                        {});
  for (int i = 0; i < 3; ++i) queue.submit(dlr(i), answers.slot());
  answers.wait_all();
  queue.stop();
  for (auto& x : answers.results()) {
    EXPECT_FALSE(x.outcome.experimental);
    EXPECT_EQ(x.outcome.code, static_cast<std::uint32_t>(ResultCode::UnableToComply));
    EXPECT_NE(x.outcome.reason.find("disk I/O error"), std::string::npos);
    EXPECT_FALSE(x.vector);
  }
  EXPECT_GE(queue.stats().commit_failures, 1u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(store_.delegation(nai(i)));
    EXPECT_TRUE(store_.list_delegations(nai(i)).empty());
  }
  // The store still works afterwards.
  EXPECT_TRUE(service_.delegate(dlr(0)).outcome.is_success());
}

TEST_F(DelegationQueueTest, AFullQueueAnswersTooBusyAtOnce) {
  Gate gate;
  Answers answers;
  DelegationQueue queue(service_, gated(gate), {.max_batch = 256, .max_queued = 2, .sinks = {}});
  queue.submit(dlr(0), answers.slot());
  gate.wait_entered();  // dlr(0) is with the writer, out of the queue
  queue.submit(dlr(1), answers.slot());
  queue.submit(dlr(2), answers.slot());
  std::promise<DelegationResult> refused;
  queue.submit(dlr(3), [&](DelegationResult r) { refused.set_value(std::move(r)); });
  const auto busy = refused.get_future().get();  // answered on this thread, before the gate opens
  EXPECT_EQ(busy.outcome.code, static_cast<std::uint32_t>(ResultCode::TooBusy));
  EXPECT_FALSE(busy.outcome.experimental);
  gate.open();
  answers.wait_all();
  for (auto& x : answers.results()) EXPECT_TRUE(x.outcome.is_success());
  EXPECT_EQ(queue.stats().refused_busy, 1u);
  EXPECT_FALSE(store_.delegation(nai(3)));
}

TEST_F(DelegationQueueTest, StopAnswersWhatIsQueuedThenRefuses) {
  Gate gate;
  Answers answers;
  DelegationQueue queue(service_, gated(gate), {});
  queue.submit(dlr(0), answers.slot());
  gate.wait_entered();
  for (int i = 1; i < 4; ++i) queue.submit(dlr(i), answers.slot());
  auto stopped = std::async(std::launch::async, [&] { queue.stop(); });
  gate.open();
  stopped.get();
  answers.wait_all();
  for (auto& x : answers.results()) EXPECT_TRUE(x.outcome.is_success()) << x.outcome.reason;
  std::promise<DelegationResult> late;
  queue.submit(dlr(4), [&](DelegationResult r) { late.set_value(std::move(r)); });
  EXPECT_EQ(late.get_future().get().outcome.code, static_cast<std::uint32_t>(ResultCode::TooBusy));
  queue.stop();  // idempotent
}

TEST(SqliteTransaction, NestedTransactionsAreSavepointsOfTheOuterOne) {
  roamkey::test::ScratchDir dir;
  sqlite::Database db(dir / "t.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("CREATE TABLE t (v INTEGER)", "create");
  auto count = [&] {
    auto q = db.query("SELECT count(*) FROM t");
    q->step();
    return q->integer(0);
  };
  {
    sqlite::Transaction outer(db);
    EXPECT_FALSE(outer.nested());
    {
      sqlite::Transaction kept(db);
      EXPECT_TRUE(kept.nested());
      db.exec("INSERT INTO t VALUES (1)", "insert");
      kept.commit();
    }
    {
      sqlite::Transaction dropped(db);  // never committed: rolled back alone
      db.exec("INSERT INTO t VALUES (2)", "insert");
    }
    EXPECT_EQ(count(), 1);
    outer.commit();
  }
  EXPECT_EQ(count(), 1);
  {
    sqlite::Transaction outer(db);
    sqlite::Transaction inner(db);
    db.exec("INSERT INTO t VALUES (3)", "insert");
    inner.commit();
    // outer never committed: the savepoint's work goes with it
  }
  EXPECT_EQ(count(), 1);
}

TEST(SqliteTransaction, InOneTransactionRefusesToNest) {
  roamkey::test::ScratchDir dir;
  SqliteSubscriberStore store(dir / "home.db");
  EXPECT_THROW(store.in_one_transaction([&] { store.in_one_transaction([] {}); }), std::logic_error);
}

}  // namespace
}  // namespace roamkey::home
