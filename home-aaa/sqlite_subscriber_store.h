#pragma once
// The embedded subscriber store: one SQLite file (store.path), holding the
// subscribers (SubscriberStore) and what was delegated for them
// (DelegationStore).
//
// One connection, guarded by a mutex, serves every thread; SQLite in WAL
// mode with synchronous=FULL, so each committed generation survives a
// crash. Other processes (the operator CLI beside the daemon) may open the
// same file at the same time: writers wait up to busy_timeout for each other.
//
// K at rest goes through the KeyProtector given in Options. With a master
// key (MasterKeyProtector) the store keeps the key's check value and refuses
// to open with another key; once every K is sealed it also refuses plain
// blobs, which could only have been planted.

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

#include "delegation_store.h"
#include "key_protector.h"
#include "storage/sqlite.h"
#include "subscriber_store.h"

namespace roamkey::home {

// How the K of a store are kept.
struct KeyStats {
  std::uint64_t plain = 0;        // KeyScheme::Plain rows
  std::uint64_t sealed = 0;       // KeyScheme::Aes256GcmMasterKey rows
  bool master_key_check = false;  // the store is bound to a master key
  bool plain_refused = false;     // every K was sealed: plain rows are refused
};

class SqliteSubscriberStore final : public SubscriberStore, public DelegationStore {
 public:
  struct Options {
    bool create_if_missing = true;
    std::chrono::milliseconds busy_timeout{5000};
    // Defaults to PlainKeyProtector.
    std::shared_ptr<const KeyProtector> key_protector;
    // false: open a store whose K are sealed under a master key without
    // that key, for commands that never touch K (list, show, bar, revoke);
    // reading or writing K then fails.
    bool require_key_access = true;
  };

  // Opens (or creates) the store; StoreError if the file is not a RoamKey
  // home store, is of a newer schema version, cannot be opened, or does not
  // match the key protector (another master key; sealed K and no master key).
  explicit SqliteSubscriberStore(const std::filesystem::path& path);

  // What opening `path` with `protector` would refuse, found on a read-only
  // connection that changes nothing (check-config): not a home store, too
  // new, sealed under another master key, sealed K and no master key.
  // Empty when the daemon can open it; a missing file is fine (created at
  // start) if its directory exists.
  static std::vector<std::string> check_read_only(const std::filesystem::path& path,
                                                  const std::shared_ptr<const KeyProtector>& protector);

  SqliteSubscriberStore(const std::filesystem::path& path, Options options);

  // SubscriberStore
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

  // DelegationStore (sqlite_delegation_store.cc)
  std::optional<DelegationIssue> record_delegation(const IssueRequest& request) override;
  void in_one_transaction(const std::function<void()>& body) override;
  std::optional<DelegationRecord> delegation(std::string_view nai) override;
  std::optional<RevocationOutcome> revoke(std::string_view nai, RevocationCause cause, Timestamp now) override;
  std::vector<DelegationRecord> due_for_rotation(std::string_view realm, Timestamp issued_before, Timestamp now,
                                                 std::size_t limit) override;
  std::optional<KeyPushRecord> issue_rotation(const RotationRequest& request) override;
  std::vector<RevocationRecord> claim_due_revocations(Timestamp now, Timestamp lease_until, std::size_t limit) override;
  void revocation_delivered(std::int64_t id, Timestamp now) override;
  void revocation_failed(std::int64_t id, std::string_view error, Timestamp next_attempt, Timestamp now) override;
  void revocation_abandoned(std::int64_t id, std::string_view error, Timestamp now) override;
  std::vector<RevocationRecord> revocations(std::string_view nai, std::size_t limit) override;
  std::vector<KeyPushRecord> claim_due_key_pushes(Timestamp now, Timestamp lease_until, std::size_t limit) override;
  void key_push_acknowledged(std::int64_t id, Timestamp now) override;
  bool key_push_gone(std::int64_t id, std::string_view error, Timestamp now) override;
  void key_push_failed(std::int64_t id, std::string_view error, Timestamp next_attempt, Timestamp now) override;
  void key_push_finished(std::int64_t id, KeyPushState state, std::string_view error, Timestamp now) override;
  std::vector<KeyPushRecord> key_pushes(std::string_view nai, std::size_t limit) override;
  KeyUpdateRecording record_key_update(const KeyUpdateReport& report) override;
  std::vector<KeyUpdateRecord> key_updates(std::string_view nai, std::size_t limit) override;
  std::optional<std::int64_t> request_rotation(std::string_view nai, Timestamp now) override;
  std::vector<OperatorRequest> open_operator_requests(std::size_t limit) override;
  void finish_operator_request(std::int64_t id, std::string_view result, Timestamp now) override;
  std::vector<OperatorRequest> operator_requests(std::string_view nai, std::size_t limit) override;

  // Re-seals every K with `target` (another master key, or the configured
  // one for rows still plain) and records its key check value, all in one
  // transaction: a failure or a crash half-way leaves the store exactly as
  // it was, under the old key. Afterwards this store uses `target`.
  // Returns the number of K re-sealed. Then truncates the write-ahead log so
  // that the old blobs do not linger in it; `wal_truncated` tells whether
  // that succeeded (a reader in another process can prevent it).
  struct RekeyResult {
    std::uint64_t rekeyed = 0;
    bool wal_truncated = false;
  };
  RekeyResult rekey(std::shared_ptr<const KeyProtector> target);

  KeyStats key_stats();
  int schema_version();

  // Requests still to be delivered to visited hosts (metrics): revocations
  // pending (DRR) and key pushes being sent (KPR).
  struct OutboxDepth {
    std::uint64_t revocations = 0;
    std::uint64_t key_pushes = 0;
  };
  OutboxDepth outbox_depth();
  const std::filesystem::path& path() const { return db_.path(); }

 private:
  struct Validated;
  Validated validate(const NewSubscriber& s);
  void insert(const Validated& v, std::size_t index, Timestamp now);  // caller holds the lock and a transaction
  std::optional<std::int64_t> id_of(const std::string& nai_key);
  void write_realms(std::int64_t id, const RoamingScope& roaming);
  void check_key_access(bool require_key_access);
  // K from its blob, or StoreError naming the subscriber (never the blob).
  crypto::SecretBytes open_k(KeyScheme scheme, crypto::ByteView blob, const std::string& nai_key,
                             const std::string& nai) const;
  std::optional<crypto::Bytes> meta(std::string_view name);
  void set_meta(std::string_view name, crypto::ByteView value);
  void erase_meta(std::string_view name);

  // Caller holds the lock and a transaction (sqlite_delegation_store.cc).
  struct Issued {
    std::int64_t subscriber_id = 0;
    std::uint32_t generation = 0;
  };
  std::optional<Issued> issue_locked(const IssueRequest& r, const std::string& nai_key);
  RevocationOutcome revoke_locked(std::int64_t subscriber_id, RevocationCause cause, std::string_view reason,
                                  Timestamp now);
  // Pushes below `below_generation` not yet taken by the mobile: Superseded.
  void supersede_pushes_locked(std::int64_t subscriber_id, std::int64_t below_generation, Timestamp now);

  // Recursive: calls made inside in_one_transaction lock it again.
  std::recursive_mutex mutex_;
  sqlite::Database db_;
  std::shared_ptr<const KeyProtector> protector_;
  bool sealed_store_ = false;   // the store has a master key check value
  bool plain_refused_ = false;  // every K is sealed
};

}  // namespace roamkey::home
