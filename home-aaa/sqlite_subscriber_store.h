#pragma once
// The embedded subscriber store: one SQLite file (store.path).
//
// One connection, guarded by a mutex, serves every thread; SQLite in WAL
// mode with synchronous=FULL, so each committed generation survives a
// crash. Other processes (the operator CLI beside the daemon) may open the
// same file at the same time: writers wait up to busy_timeout for each other.

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

#include "key_protector.h"
#include "sqlite_db.h"
#include "subscriber_store.h"

namespace roamkey::home {

class SqliteSubscriberStore final : public SubscriberStore {
 public:
  struct Options {
    bool create_if_missing = true;
    std::chrono::milliseconds busy_timeout{5000};
    // Defaults to PlainKeyProtector.
    std::shared_ptr<const KeyProtector> key_protector;
  };

  // Opens (or creates) the store; StoreError if the file is not a RoamKey
  // home store, is of a newer schema version, or cannot be opened.
  explicit SqliteSubscriberStore(const std::filesystem::path& path);
  SqliteSubscriberStore(const std::filesystem::path& path, Options options);

  void add(const NewSubscriber& s, Timestamp now) override;
  void import(const std::vector<NewSubscriber>& batch, Timestamp now) override;
  std::optional<Subscriber> get(std::string_view nai) override;
  std::optional<SubscriberWithKey> get_with_key(std::string_view nai) override;
  SubscriberPage list(std::string_view after, std::size_t limit) override;
  bool set_status(std::string_view nai, SubscriberStatus status, Timestamp now) override;
  bool set_roaming(std::string_view nai, const RoamingScope& roaming, Timestamp now) override;
  bool remove(std::string_view nai, Timestamp now) override;
  std::optional<std::uint32_t> issue_vector(const IssueRequest& request) override;
  std::optional<VectorRecord> find_issued(std::string_view nai, std::uint32_t generation) override;
  std::vector<VectorRecord> list_delegations(std::string_view nai) override;

  int schema_version();
  const std::filesystem::path& path() const { return db_.path(); }

 private:
  struct Validated;
  Validated validate(const NewSubscriber& s) const;
  void insert(const Validated& v, std::size_t index, Timestamp now);  // caller holds the lock and a transaction
  std::optional<std::int64_t> id_of(const std::string& nai_key);
  void write_realms(std::int64_t id, const RoamingScope& roaming);

  std::mutex mutex_;
  sqlite::Database db_;
  std::shared_ptr<const KeyProtector> protector_;
};

}  // namespace roamkey::home
