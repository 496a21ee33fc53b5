// K at rest in the SQLite store (issue 3): sealed under a master key, bound
// to it, re-keyed crash-safely, and never in clear in the file.

#include <gtest/gtest.h>

#include <memory>

#include "crypto/bytes.h"
#include "key_protector.h"
#include "sqlite_subscriber_store.h"
#include "store_schema.h"
#include "store_support.h"
#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {

using crypto::SecretBytes;
using test::at;

const char* const kMasterHex = "8f8e8d8c8b8a898887868584838281807f7e7d7c7b7a79787776757473727170";
const char* const kNewMasterHex = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

// A distinct, recognisable K per subscriber.
SecretBytes k_of(int i) {
  crypto::Bytes k(32);
  for (std::size_t j = 0; j < k.size(); ++j) k[j] = static_cast<std::uint8_t>(0xa0 + i * 7 + j * 3);
  return SecretBytes(crypto::ByteView(k));
}

std::string nai_of(int i) {
  return "user" + std::to_string(i) + "@home.example";
}

std::shared_ptr<const KeyProtector> master(const char* hex = kMasterHex) {
  return std::make_shared<MasterKeyProtector>(SecretBytes::from_hex(hex));
}

// Fails on the n-th protect(), as a crash half-way through a rekey would.
class FailingProtector final : public KeyProtector {
 public:
  FailingProtector(std::shared_ptr<const KeyProtector> inner, int fail_at) : inner_(std::move(inner)), left_(fail_at) {}
  KeyScheme scheme() const override { return inner_->scheme(); }
  SecretBytes protect(crypto::ByteView k, std::string_view binding) const override {
    if (--left_ == 0) throw std::runtime_error("simulated crash");
    return inner_->protect(k, binding);
  }
  std::optional<SecretBytes> unprotect(KeyScheme s, crypto::ByteView blob, std::string_view binding) const override {
    return inner_->unprotect(s, blob, binding);
  }
  crypto::Bytes key_check() const override { return inner_->key_check(); }

 private:
  std::shared_ptr<const KeyProtector> inner_;
  mutable int left_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const StoreError& e) {
    return e.what();
  }
  return "";
}

class StoreEncryptionTest : public ::testing::Test {
 protected:
  std::filesystem::path path() const { return dir_ / "home.db"; }

  std::unique_ptr<SqliteSubscriberStore> open(std::shared_ptr<const KeyProtector> p, bool require = true) {
    SqliteSubscriberStore::Options o;
    o.key_protector = std::move(p);
    o.require_key_access = require;
    return std::make_unique<SqliteSubscriberStore>(path(), o);
  }

  void add(SqliteSubscriberStore& s, int from, int to) {
    for (int i = from; i < to; ++i) s.add({nai_of(i), k_of(i), SubscriberStatus::Active, {}}, at(1));
  }

  void expect_keys(SqliteSubscriberStore& s, int from, int to) {
    for (int i = from; i < to; ++i) {
      const auto found = s.get_with_key(nai_of(i));
      ASSERT_TRUE(found) << nai_of(i);
      EXPECT_EQ(crypto::to_hex(found->k.view()), crypto::to_hex(k_of(i).view())) << nai_of(i);
    }
  }

  int keys_in_clear(int from, int to) const {
    int n = 0;
    for (int i = from; i < to; ++i) n += test::store_files_contain(path(), k_of(i).view()) ? 1 : 0;
    return n;
  }

  roamkey::test::ScratchDir dir_;
};

TEST_F(StoreEncryptionTest, TheStoreFileHoldsNoKInClear) {
  {
    auto s = open(master());
    add(*s, 0, 20);
    std::vector<NewSubscriber> batch;
    for (int i = 20; i < 40; ++i) batch.push_back({nai_of(i), k_of(i), SubscriberStatus::Active, {}});
    s->import(batch, at(2));
    expect_keys(*s, 0, 40);
    EXPECT_EQ(keys_in_clear(0, 40), 0);  // while open: the WAL too
    const auto stats = s->key_stats();
    EXPECT_EQ(stats.sealed, 40u);
    EXPECT_EQ(stats.plain, 0u);
    EXPECT_TRUE(stats.master_key_check);
    EXPECT_TRUE(stats.plain_refused);
  }
  EXPECT_EQ(keys_in_clear(0, 40), 0);
}

TEST_F(StoreEncryptionTest, ThePlainStoreDoesHoldK) {
  // The control for the search above.
  auto s = open(nullptr);
  add(*s, 0, 3);
  EXPECT_EQ(keys_in_clear(0, 3), 3);
}

TEST_F(StoreEncryptionTest, AnotherMasterKeyIsRefusedAtOpen) {
  add(*open(master()), 0, 2);
  const auto e = error_of([&] { open(master(kNewMasterHex)); });
  EXPECT_NE(e.find("master key does not match this store"), std::string::npos) << e;
  EXPECT_NE(e.find(path().string()), std::string::npos) << e;
  EXPECT_EQ(e.find(kNewMasterHex), std::string::npos);
  expect_keys(*open(master()), 0, 2);  // the right key still works
}

TEST_F(StoreEncryptionTest, AnEmptyStoreIsBoundToItsFirstMasterKey) {
  open(master());
  EXPECT_NE(error_of([&] { open(master(kNewMasterHex)); }).find("does not match"), std::string::npos);
}

TEST_F(StoreEncryptionTest, ASealedStoreWithoutItsMasterKey) {
  add(*open(master()), 0, 2);
  const auto e = error_of([&] { open(nullptr); });
  EXPECT_NE(e.find("configure store.master_key_file"), std::string::npos) << e;

  // Commands that never touch K still work.
  auto s = open(nullptr, false);
  EXPECT_TRUE(s->get(nai_of(0)));
  EXPECT_TRUE(s->set_status(nai_of(0), SubscriberStatus::Barred, at(3)));
  EXPECT_THROW(s->get_with_key(nai_of(1)), StoreError);
  EXPECT_NE(error_of([&] { add(*s, 5, 6); }).find("configure store.master_key_file"), std::string::npos);
  EXPECT_FALSE(s->get(nai_of(5)));
}

TEST_F(StoreEncryptionTest, APlainStoreGainsAMasterKeyThenRekeySealsTheRest) {
  add(*open(nullptr), 0, 5);
  {
    // New K are sealed at once; old ones stay readable until the rekey.
    auto s = open(master());
    add(*s, 5, 8);
    expect_keys(*s, 0, 8);
    auto stats = s->key_stats();
    EXPECT_EQ(stats.plain, 5u);
    EXPECT_EQ(stats.sealed, 3u);
    EXPECT_FALSE(stats.plain_refused);
    EXPECT_EQ(keys_in_clear(5, 8), 0);

    const auto r = s->rekey(master());
    EXPECT_EQ(r.rekeyed, 8u);
    EXPECT_TRUE(r.wal_truncated);
    stats = s->key_stats();
    EXPECT_EQ(stats.plain, 0u);
    EXPECT_EQ(stats.sealed, 8u);
    EXPECT_TRUE(stats.plain_refused);
    expect_keys(*s, 0, 8);
  }
  EXPECT_EQ(keys_in_clear(0, 8), 0);
  expect_keys(*open(master()), 0, 8);
}

TEST_F(StoreEncryptionTest, RekeyToANewMasterKeyRoundTrips) {
  add(*open(master()), 0, 12);
  {
    auto s = open(master());
    EXPECT_EQ(s->rekey(master(kNewMasterHex)).rekeyed, 12u);
    expect_keys(*s, 0, 12);  // this store now uses the new key
    add(*s, 12, 13);
  }
  EXPECT_NE(error_of([&] { open(master()); }).find("does not match"), std::string::npos);
  auto s = open(master(kNewMasterHex));
  expect_keys(*s, 0, 13);
  EXPECT_EQ(keys_in_clear(0, 13), 0);
}

TEST_F(StoreEncryptionTest, AnInterruptedRekeyLeavesTheOldStateIntact) {
  add(*open(master()), 0, 10);
  {
    auto s = open(master());
    EXPECT_THROW(s->rekey(std::make_shared<FailingProtector>(master(kNewMasterHex), 7)), std::runtime_error);
    expect_keys(*s, 0, 10);  // still the old key, in memory too
    EXPECT_EQ(s->key_stats().sealed, 10u);
  }
  expect_keys(*open(master()), 0, 10);
  EXPECT_NE(error_of([&] { open(master(kNewMasterHex)); }).find("does not match"), std::string::npos);
}

TEST_F(StoreEncryptionTest, AnAddRacingARekeyInAnotherProcessIsRefused) {
  auto old_key = open(master());
  add(*old_key, 0, 2);
  open(master())->rekey(master(kNewMasterHex));  // the operator, in another process
  const auto e = error_of([&] { add(*old_key, 2, 3); });
  EXPECT_NE(e.find("master key changed meanwhile"), std::string::npos) << e;
  old_key.reset();
  auto s = open(master(kNewMasterHex));
  EXPECT_FALSE(s->get(nai_of(2)));
  expect_keys(*s, 0, 2);
}

TEST_F(StoreEncryptionTest, RekeyFromAWrongRowChangesNothing) {
  add(*open(master()), 0, 3);
  // A row whose blob does not open (altered, or copied from another row)
  // stops the rekey before anything is written.
  test::raw_sql(path(), "UPDATE subscribers SET k_blob = (SELECT k_blob FROM subscribers WHERE nai = '" + nai_of(0) +
                            "') WHERE nai = '" + nai_of(2) + "'");
  auto s = open(master());
  EXPECT_THROW(s->get_with_key(nai_of(2)), StoreError);  // bound to user0's NAI
  const auto e = error_of([&] { s->rekey(master(kNewMasterHex)); });
  EXPECT_NE(e.find("K of " + nai_of(2) + " cannot be read"), std::string::npos) << e;
  s.reset();
  expect_keys(*open(master()), 0, 2);
}

TEST_F(StoreEncryptionTest, APlainRowPlantedInASealedStoreIsRefused) {
  add(*open(master()), 0, 2);
  test::raw_sql(path(), "UPDATE subscribers SET k_scheme = 0, k_blob = x'" + crypto::to_hex(k_of(9).view()) +
                            "' WHERE nai = '" + nai_of(1) + "'");
  auto s = open(master());
  const auto e = error_of([&] { s->get_with_key(nai_of(1)); });
  EXPECT_NE(e.find("stored in clear in a store whose K are all sealed"), std::string::npos) << e;
  expect_keys(*s, 0, 1);
}

TEST_F(StoreEncryptionTest, RekeyOfAPlainStoreWithoutMasterKeyYet) {
  add(*open(nullptr), 0, 4);
  {
    auto s = open(nullptr);
    EXPECT_EQ(s->rekey(master()).rekeyed, 4u);
  }
  EXPECT_EQ(keys_in_clear(0, 4), 0);
  EXPECT_NE(error_of([&] { open(nullptr); }).find("configure store.master_key_file"), std::string::npos);
  expect_keys(*open(master()), 0, 4);
}

// Stores written by the first release (schema 1) upgrade on open.
TEST_F(StoreEncryptionTest, AVersionOneStoreUpgrades) {
  {
    sqlite::Database db(path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    schema::prepare(db, 1, 1);
    EXPECT_EQ(schema::version(db), 1);
  }
  test::raw_sql(path(),
                "INSERT INTO subscribers (nai, nai_key, k_scheme, k_blob, status, roam_all, last_generation, "
                "created_at, updated_at) VALUES ('alice@home.example', 'alice@home.example', 0, x'" +
                    crypto::to_hex(k_of(1).view()) +
                    "', 'active', 1, 4, 1, 1);"
                    "INSERT INTO issued_vectors VALUES (1, 4, x'00000000000000000000000000000000', "
                    "'visited.example', 'aaa.visited.example', 10, 3610)");
  auto s = open(nullptr);
  EXPECT_EQ(s->schema_version(), 2);
  const auto alice = s->get("alice@home.example");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->last_generation, 4u);
  EXPECT_EQ(alice->mobile_generation, 0u);
  EXPECT_FALSE(alice->mobile_generation_at);
  EXPECT_EQ(crypto::to_hex(s->get_with_key("alice@home.example")->k.view()), crypto::to_hex(k_of(1).view()));
  EXPECT_FALSE(s->delegation("alice@home.example"));
  EXPECT_TRUE(s->find_issued("alice@home.example", 4));
  EXPECT_EQ(s->issue_vector(
                {"alice@home.example", "visited.example", "aaa.visited.example", crypto::Bytes(16, 1), 60, at(20)}),
            5u);
}

}  // namespace
}  // namespace roamkey::home
