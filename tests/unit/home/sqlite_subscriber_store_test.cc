#include "sqlite_subscriber_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <thread>

#include "crypto/bytes.h"
#include "store_schema.h"
#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {

using crypto::Bytes;
using crypto::SecretBytes;
using roamkey::test::ScratchDir;

const char* const kKHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

Timestamp at(std::int64_t s) {
  return Timestamp(std::chrono::seconds(s));
}

NewSubscriber subscriber(const std::string& nai, RoamingScope roaming = {}) {
  return NewSubscriber{nai, SecretBytes::from_hex(kKHex), SubscriberStatus::Active, std::move(roaming)};
}

Bytes rand_of(std::uint8_t fill) {
  return Bytes(16, fill);
}

IssueRequest issue(std::string_view nai, const Bytes& rand, std::int64_t now = 1000) {
  return IssueRequest{nai, "Visited.Example", "AAA.visited.example", rand, 3600, at(now)};
}

// Runs SQL on the file behind the store's back, as an operator with the
// sqlite3 shell (or a corruption) would.
void raw_sql(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  const std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

class StoreTest : public ::testing::Test {
 protected:
  std::filesystem::path path() const { return dir_ / "home.db"; }
  SqliteSubscriberStore& store() {
    if (!store_) store_ = std::make_unique<SqliteSubscriberStore>(path());
    return *store_;
  }
  void reopen() {
    store_.reset();
    store();
  }

  ScratchDir dir_;
  std::unique_ptr<SqliteSubscriberStore> store_;
};

TEST_F(StoreTest, AddThenGetRoundTrips) {
  store().add(subscriber("alice@home.example", {false, {"Visited.Example", "other.example"}}), at(100));
  const auto s = store().get("alice@home.example");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->nai, "alice@home.example");
  EXPECT_EQ(s->status, SubscriberStatus::Active);
  EXPECT_FALSE(s->roaming.all_partners);
  EXPECT_EQ(s->roaming.realms, (std::vector<std::string>{"other.example", "visited.example"}));
  EXPECT_EQ(s->last_generation, 0u);
  EXPECT_EQ(s->vectors_issued, 0u);
  EXPECT_EQ(s->created_at, at(100));
  EXPECT_EQ(s->updated_at, at(100));

  const auto with_key = store().get_with_key("alice@home.example");
  ASSERT_TRUE(with_key);
  EXPECT_EQ(crypto::to_hex(with_key->k.view()), kKHex);
}

TEST_F(StoreTest, NewSubscriberMayRoamNowhereByDefault) {
  store().add(subscriber("alice@home.example"), at(1));
  const auto s = store().get("alice@home.example");
  EXPECT_FALSE(s->roaming.all_partners);
  EXPECT_TRUE(s->roaming.realms.empty());
  EXPECT_FALSE(s->roaming.allows("visited.example"));
}

TEST_F(StoreTest, AllPartnersIsKept) {
  store().add(subscriber("alice@home.example", RoamingScope::everywhere()), at(1));
  EXPECT_TRUE(store().get("alice@home.example")->roaming.all_partners);
  EXPECT_TRUE(store().get("alice@home.example")->roaming.allows("anything.example"));
}

TEST_F(StoreTest, UnknownSubscriberIsNotFound) {
  EXPECT_FALSE(store().get("nobody@home.example"));
  EXPECT_FALSE(store().get_with_key("nobody@home.example"));
  EXPECT_FALSE(store().get("not an nai"));
}

TEST_F(StoreTest, DuplicateNaiIsRefused) {
  store().add(subscriber("alice@home.example"), at(1));
  try {
    store().add(subscriber("alice@home.example"), at(2));
    FAIL() << "expected DuplicateSubscriber";
  } catch (const DuplicateSubscriber& e) {
    EXPECT_EQ(e.nai(), "alice@home.example");
    EXPECT_EQ(std::string(e.what()).find(kKHex), std::string::npos);
  }
}

// RFC 7542 sec. 2.4: the realm is case-insensitive, the user part is not.
TEST_F(StoreTest, RealmPartIsCaseInsensitiveUserPartIsNot) {
  store().add(subscriber("alice@Home.Example"), at(1));
  EXPECT_THROW(store().add(subscriber("alice@HOME.example"), at(2)), DuplicateSubscriber);
  ASSERT_TRUE(store().get("alice@home.EXAMPLE"));
  EXPECT_EQ(store().get("alice@home.example")->nai, "alice@Home.Example");  // kept as provisioned
  EXPECT_FALSE(store().get("Alice@home.example"));
  store().add(subscriber("Alice@home.example"), at(3));
  EXPECT_EQ(store().get("Alice@home.example")->nai, "Alice@home.example");
}

TEST_F(StoreTest, MalformedInputIsRejected) {
  EXPECT_THROW(store().add(subscriber("no-realm"), at(1)), std::invalid_argument);
  EXPECT_THROW(store().add(subscriber("@home.example"), at(1)), std::invalid_argument);
  EXPECT_THROW(store().add(subscriber("a@b@home.example"), at(1)), std::invalid_argument);
  EXPECT_THROW(store().add(subscriber("alice@home.example", {false, {"bad realm"}}), at(1)), std::invalid_argument);
  auto short_key = subscriber("alice@home.example");
  short_key.k = SecretBytes(31);
  EXPECT_THROW(store().add(short_key, at(1)), std::invalid_argument);
  EXPECT_FALSE(store().get("alice@home.example"));
}

TEST_F(StoreTest, ListPagesInCanonicalOrder) {
  for (const char* nai :
       {"dave@home.example", "alice@home.example", "carol@home.example", "bob@home.example", "erin@home.example"})
    store().add(subscriber(nai), at(1));
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto page = store().list(cursor, 2);
    ++pages;
    EXPECT_LE(page.subscribers.size(), 2u);
    for (const auto& s : page.subscribers) seen.push_back(s.nai);
    if (!page.next) break;
    cursor = *page.next;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"alice@home.example", "bob@home.example", "carol@home.example",
                                            "dave@home.example", "erin@home.example"}));
}

TEST_F(StoreTest, ListOfExactPageSizeHasNoNextPage) {
  store().add(subscriber("alice@home.example"), at(1));
  store().add(subscriber("bob@home.example"), at(1));
  const auto page = store().list("", 2);
  EXPECT_EQ(page.subscribers.size(), 2u);
  EXPECT_FALSE(page.next);
  EXPECT_TRUE(store().list("", 10).subscribers.size() == 2);
  EXPECT_THROW(store().list("", 0), std::invalid_argument);
}

TEST_F(StoreTest, SetStatusBarsAndUnbars) {
  store().add(subscriber("alice@home.example"), at(1));
  EXPECT_TRUE(store().set_status("alice@HOME.example", SubscriberStatus::Barred, at(5)));
  EXPECT_EQ(store().get("alice@home.example")->status, SubscriberStatus::Barred);
  EXPECT_EQ(store().get("alice@home.example")->updated_at, at(5));
  EXPECT_TRUE(store().set_status("alice@home.example", SubscriberStatus::Active, at(6)));
  EXPECT_EQ(store().get("alice@home.example")->status, SubscriberStatus::Active);
  EXPECT_FALSE(store().set_status("nobody@home.example", SubscriberStatus::Barred, at(7)));
}

TEST_F(StoreTest, SetRoamingReplacesTheGrant) {
  store().add(subscriber("alice@home.example", {false, {"a.example"}}), at(1));
  EXPECT_TRUE(store().set_roaming("alice@home.example", {false, {"B.example", "c.example", "b.example"}}, at(2)));
  EXPECT_EQ(store().get("alice@home.example")->roaming.realms, (std::vector<std::string>{"b.example", "c.example"}));
  EXPECT_TRUE(store().set_roaming("alice@home.example", RoamingScope::everywhere(), at(3)));
  const auto s = store().get("alice@home.example");
  EXPECT_TRUE(s->roaming.all_partners);
  EXPECT_TRUE(s->roaming.realms.empty());
  EXPECT_TRUE(store().set_roaming("alice@home.example", {}, at(4)));
  EXPECT_FALSE(store().get("alice@home.example")->roaming.allows("b.example"));
  EXPECT_FALSE(store().set_roaming("nobody@home.example", {}, at(5)));
  EXPECT_THROW(store().set_roaming("alice@home.example", {false, {"bad_realm"}}, at(6)), std::invalid_argument);
}

TEST_F(StoreTest, IssueVectorIncrementsAndRecords) {
  store().add(subscriber("alice@home.example"), at(1));
  const auto r1 = rand_of(1), r2 = rand_of(2), r3 = rand_of(3);
  EXPECT_EQ(store().issue_vector(issue("alice@home.example", r1, 1000)), 1u);
  EXPECT_EQ(store().issue_vector(issue("alice@home.example", r2, 1001)), 2u);
  EXPECT_EQ(store().issue_vector(issue("alice@HOME.example", r3, 1002)), 3u);

  const auto s = store().get("alice@home.example");
  EXPECT_EQ(s->last_generation, 3u);
  EXPECT_EQ(s->vectors_issued, 3u);
  EXPECT_EQ(s->updated_at, at(1));  // issuing is not a provisioning change

  const auto v = store().find_issued("alice@home.example", 2);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->generation, 2u);
  EXPECT_EQ(v->rand, r2);
  EXPECT_EQ(v->visited_realm, "visited.example");
  EXPECT_EQ(v->visited_host, "aaa.visited.example");
  EXPECT_EQ(v->issued_at, at(1001));
  EXPECT_EQ(v->expires_at, at(1001 + 3600));
  EXPECT_FALSE(store().find_issued("alice@home.example", 4));
  EXPECT_FALSE(store().find_issued("nobody@home.example", 1));

  const auto all = store().list_delegations("alice@home.example");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].generation, 1u);
  EXPECT_EQ(all[2].generation, 3u);
  EXPECT_TRUE(store().list_delegations("nobody@home.example").empty());
}

TEST_F(StoreTest, IssueVectorForUnknownSubscriberIssuesNothing) {
  const auto r = rand_of(1);
  EXPECT_FALSE(store().issue_vector(issue("nobody@home.example", r)));
  EXPECT_FALSE(store().issue_vector(issue("not an nai", r)));
}

TEST_F(StoreTest, IssueVectorRejectsBadRand) {
  store().add(subscriber("alice@home.example"), at(1));
  const Bytes short_rand(15, 0);
  EXPECT_THROW(store().issue_vector(issue("alice@home.example", short_rand)), std::invalid_argument);
  EXPECT_EQ(store().get("alice@home.example")->last_generation, 0u);
}

// protocol.md sec. 1: the generation never decreases, not across restarts.
TEST_F(StoreTest, GenerationSurvivesReopen) {
  store().add(subscriber("alice@home.example"), at(1));
  const auto r = rand_of(9);
  for (int i = 0; i < 5; ++i) store().issue_vector(issue("alice@home.example", r));
  reopen();
  EXPECT_EQ(store().get("alice@home.example")->last_generation, 5u);
  EXPECT_EQ(store().issue_vector(issue("alice@home.example", r)), 6u);
  EXPECT_EQ(store().list_delegations("alice@home.example").size(), 6u);
}

TEST_F(StoreTest, RemovedSubscriberAddedAgainContinuesItsGeneration) {
  store().add(subscriber("alice@home.example"), at(1));
  const auto r = rand_of(4);
  store().issue_vector(issue("alice@home.example", r));
  store().issue_vector(issue("alice@home.example", r));
  EXPECT_TRUE(store().remove("alice@home.example", at(2)));
  EXPECT_FALSE(store().get("alice@home.example"));
  EXPECT_TRUE(store().list_delegations("alice@home.example").empty());
  EXPECT_FALSE(store().remove("alice@home.example", at(3)));

  store().add(subscriber("alice@HOME.EXAMPLE"), at(4));
  EXPECT_EQ(store().get("alice@home.example")->last_generation, 2u);
  EXPECT_EQ(store().issue_vector(issue("alice@home.example", r)), 3u);
}

TEST_F(StoreTest, ExhaustedGenerationSpaceIsAnErrorNotAWrap) {
  store().add(subscriber("alice@home.example"), at(1));
  store_.reset();
  raw_sql(path(), "UPDATE subscribers SET last_generation = 4294967295");
  const auto r = rand_of(1);
  EXPECT_THROW(store().issue_vector(issue("alice@home.example", r)), StoreError);
  EXPECT_EQ(store().get("alice@home.example")->last_generation, 4294967295u);
  EXPECT_TRUE(store().list_delegations("alice@home.example").empty());
}

TEST_F(StoreTest, ImportIsAllOrNothing) {
  store().add(subscriber("carol@home.example"), at(1));
  std::vector<NewSubscriber> batch;
  batch.push_back(subscriber("alice@home.example"));
  batch.push_back(subscriber("bob@home.example"));
  batch.push_back(subscriber("CAROL@home.example"));
  batch.push_back(subscriber("carol@Home.example"));  // clashes with the store
  try {
    store().import(batch, at(2));
    FAIL() << "expected DuplicateSubscriber";
  } catch (const DuplicateSubscriber& e) {
    EXPECT_EQ(e.index(), 3u);
    EXPECT_EQ(e.nai(), "carol@Home.example");
  }
  EXPECT_FALSE(store().get("alice@home.example"));
  EXPECT_FALSE(store().get("bob@home.example"));
  EXPECT_FALSE(store().get("CAROL@home.example"));

  batch.pop_back();
  store().import(batch, at(3));
  EXPECT_TRUE(store().get("alice@home.example"));
  EXPECT_TRUE(store().get("CAROL@home.example"));
  EXPECT_EQ(store().list("", 100).subscribers.size(), 4u);
}

TEST_F(StoreTest, ImportDuplicateWithinBatchNamesTheSecond) {
  std::vector<NewSubscriber> batch;
  batch.push_back(subscriber("alice@home.example"));
  batch.push_back(subscriber("alice@HOME.example"));
  try {
    store().import(batch, at(1));
    FAIL() << "expected DuplicateSubscriber";
  } catch (const DuplicateSubscriber& e) {
    EXPECT_EQ(e.index(), 1u);
  }
  EXPECT_FALSE(store().get("alice@home.example"));
}

TEST_F(StoreTest, ImportValidatesEveryEntryFirst) {
  std::vector<NewSubscriber> batch;
  batch.push_back(subscriber("alice@home.example"));
  batch.push_back(subscriber("broken"));
  EXPECT_THROW(store().import(batch, at(1)), std::invalid_argument);
  EXPECT_FALSE(store().get("alice@home.example"));
}

// Several Diameter dispatch threads issuing for one NAI must each get a
// distinct generation, and together exactly the consecutive range.
TEST_F(StoreTest, ConcurrentIssuersGetDistinctConsecutiveGenerations) {
  store().add(subscriber("alice@home.example"), at(1));
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::vector<std::uint32_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const auto r = rand_of(static_cast<std::uint8_t>(t));
      for (int i = 0; i < kEach; ++i) got[t].push_back(*store().issue_vector(issue("alice@home.example", r)));
    });
  for (auto& th : threads) th.join();

  std::set<std::uint32_t> all;
  for (const auto& g : got) {
    EXPECT_TRUE(std::is_sorted(g.begin(), g.end()));  // per thread, never decreasing
    all.insert(g.begin(), g.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), static_cast<std::uint32_t>(kThreads * kEach));
  EXPECT_EQ(store().get("alice@home.example")->last_generation, static_cast<std::uint32_t>(kThreads * kEach));
}

// Two connections (the daemon and the operator CLI, or two replicas on one
// file) must not hand out the same generation either.
TEST_F(StoreTest, TwoConnectionsOnOneFileNeverShareAGeneration) {
  store().add(subscriber("alice@home.example"), at(1));
  SqliteSubscriberStore second(path());
  constexpr int kEach = 30;
  std::vector<std::uint32_t> a, b;
  std::thread ta([&] {
    const auto r = rand_of(1);
    for (int i = 0; i < kEach; ++i) a.push_back(*store().issue_vector(issue("alice@home.example", r)));
  });
  std::thread tb([&] {
    const auto r = rand_of(2);
    for (int i = 0; i < kEach; ++i) b.push_back(*second.issue_vector(issue("alice@home.example", r)));
  });
  ta.join();
  tb.join();
  std::set<std::uint32_t> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(2 * kEach));
  EXPECT_EQ(*all.rbegin(), static_cast<std::uint32_t>(2 * kEach));
}

TEST_F(StoreTest, NewStoreHasCurrentSchemaAndPrivatePermissions) {
  store();
  EXPECT_EQ(store().schema_version(), schema::kCurrentVersion);
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(StoreTest, MissingFileIsNotCreatedWhenAskedNotTo) {
  SqliteSubscriberStore::Options options;
  options.create_if_missing = false;
  EXPECT_THROW(SqliteSubscriberStore(path(), options), StoreError);
  EXPECT_FALSE(std::filesystem::exists(path()));
}

TEST_F(StoreTest, AFileThatIsNotADatabaseIsRefusedAndLeftAlone) {
  const auto p = dir_.write("notes.txt", std::string(4096, 'x'));
  try {
    SqliteSubscriberStore s(p);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("not a RoamKey home store"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(roamkey::test::read_file(p), std::string(4096, 'x'));
}

TEST_F(StoreTest, ADatabaseOfAnotherApplicationIsRefused) {
  raw_sql(path(), "CREATE TABLE other (x INTEGER)");
  try {
    store();
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("another application"), std::string::npos) << e.what();
  }
}

TEST_F(StoreTest, ANewerSchemaVersionIsRefused) {
  store();
  store_.reset();
  raw_sql(path(), "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)");
  try {
    store();
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST_F(StoreTest, KIsStoredThroughTheKeyProtector) {
  // A stand-in for encryption at rest: the blob differs from K and is bound
  // to the canonical NAI.
  struct XorProtector final : KeyProtector {
    KeyScheme scheme() const override { return KeyScheme::Aes256GcmMasterKey; }
    SecretBytes protect(crypto::ByteView k, std::string_view binding) const override {
      SecretBytes out(k);
      for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] ^= static_cast<std::uint8_t>(binding.size() + 0x5a);
      return out;
    }
    std::optional<SecretBytes> unprotect(KeyScheme s, crypto::ByteView blob, std::string_view binding) const override {
      if (s != KeyScheme::Aes256GcmMasterKey) return std::nullopt;
      return protect(blob, binding);
    }
  };
  SqliteSubscriberStore::Options options;
  options.key_protector = std::make_shared<XorProtector>();
  {
    SqliteSubscriberStore s(path(), options);
    s.add(subscriber("alice@home.example"), at(1));
    EXPECT_EQ(crypto::to_hex(s.get_with_key("alice@home.example")->k.view()), kKHex);
  }
  // The plain protector cannot read another scheme's blob: a clear error,
  // not a wrong key.
  try {
    store().get_with_key("alice@home.example");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot be read"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store().get("alice@home.example"));  // the rest stays readable
}

}  // namespace
}  // namespace roamkey::home
