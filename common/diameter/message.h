#pragma once
// A typed C++ view of freeDiameter messages, so that handlers never touch
// `struct msg *`. Dictionary objects are resolved by name once at start-up
// (AvpDef, CommandDef); building and reading go through them.
//
// Ownership (notes/freediameter-1.2.1.md sec. 7.2): a Message owns its
// `struct msg` and frees it on destruction; handing it to the core
// (Stack::send, PendingRequest::answer) releases it.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "diameter/result_code.h"

struct msg;
struct avp;
struct dict_object;

namespace roamkey::diameter {

// A programming or dictionary error found while building a message.
class MessageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

enum class AvpType { OctetString, Integer32, Integer64, Unsigned32, Unsigned64, Float32, Float64, Grouped };

class AvpDef {
 public:
  AvpDef() = default;
  // Looks the AVP up by name in every vendor of the loaded dictionary.
  static AvpDef named(std::string_view name);

  dict_object* model() const { return model_; }
  const std::string& name() const { return name_; }
  AvpType type() const { return type_; }
  std::uint32_t code() const { return code_; }
  std::uint32_t vendor() const { return vendor_; }
  explicit operator bool() const { return model_ != nullptr; }

 private:
  dict_object* model_ = nullptr;
  std::string name_;
  AvpType type_ = AvpType::OctetString;
  std::uint32_t code_ = 0;
  std::uint32_t vendor_ = 0;
};

class CommandDef {
 public:
  CommandDef() = default;
  static CommandDef named(std::string_view name);
  dict_object* model() const { return model_; }
  const std::string& name() const { return name_; }
  std::uint32_t code() const { return code_; }

 private:
  dict_object* model_ = nullptr;
  std::string name_;
  std::uint32_t code_ = 0;
};

// Numeric ids from the loaded dictionary, so that code never hard-codes them.
std::uint32_t application_id_of(std::string_view application_name);
std::uint32_t vendor_id_of(std::string_view vendor_name);

// A read-only view of one AVP; valid while the message it belongs to lives.
class AvpView {
 public:
  explicit AvpView(::avp* a) : avp_(a) {}
  std::uint32_t u32() const;
  std::uint64_t u64() const;
  std::int32_t i32() const;
  crypto::ByteView bytes() const;
  std::string_view str() const;
  bool has_value() const;  // false for Grouped AVPs
  // First child of a Grouped AVP with this model.
  std::optional<AvpView> child(const AvpDef& def) const;
  void for_each_child(const std::function<void(AvpView)>& fn) const;
  dict_object* model() const;
  ::avp* raw() const { return avp_; }

 private:
  ::avp* avp_;
};

// Appends AVPs to a message or to a Grouped AVP.
class AvpSink {
 public:
  AvpSink& add(const AvpDef& def, std::uint32_t v);
  AvpSink& add(const AvpDef& def, std::uint64_t v);
  AvpSink& add(const AvpDef& def, std::int32_t v);
  AvpSink& add(const AvpDef& def, crypto::ByteView v);
  AvpSink& add(const AvpDef& def, std::string_view v);
  AvpSink& add(const AvpDef& def, const char* v) { return add(def, std::string_view(v)); }
  // Adds an empty Grouped AVP and returns a sink for its children.
  AvpSink group(const AvpDef& def);

 private:
  friend class Message;
  friend class AvpSnapshot;
  explicit AvpSink(void* target) : target_(target) {}
  ::avp* append(const AvpDef& def);
  void* target_;  // msg_or_avp*
};

// The result an answer carries (RFC 6733 sec. 7.1: Result-Code or
// Experimental-Result), plus Error-Message when present.
struct AnswerResult {
  std::uint32_t code = 0;
  bool experimental = false;
  std::uint32_t vendor = 0;
  std::string error_message;
  bool is_success() const { return !experimental && code == 2001; }
};

class Message {
 public:
  Message() = default;
  explicit Message(::msg* m) noexcept : msg_(m) {}
  ~Message();
  Message(Message&& o) noexcept : msg_(o.msg_) { o.msg_ = nullptr; }
  Message& operator=(Message&& o) noexcept;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  // A new request of `cmd` with a fresh End-to-End-Identifier (needed for
  // duplicate detection, RFC 6733 sec. 6.1.9), Session-Id at the head
  // (RFC 6733 sec. 8.8) and Origin-Host/Origin-Realm.
  static Message request(const CommandDef& cmd, std::string_view session_id = {});

  ::msg* get() const { return msg_; }
  ::msg* release() noexcept {
    ::msg* m = msg_;
    msg_ = nullptr;
    return m;
  }
  explicit operator bool() const { return msg_ != nullptr; }

  AvpSink avps();
  std::optional<AvpView> find(const AvpDef& def) const;

  std::uint32_t command_code() const;
  bool is_request() const;
  bool is_retransmission() const;  // T flag, RFC 6733 sec. 3
  bool error_bit() const;          // E flag: a protocol error answer, RFC 6733 sec. 3
  std::uint32_t end_to_end_id() const;
  std::uint32_t application_id() const;
  std::string session_id() const;
  std::string origin_host() const;
  std::string origin_realm() const;
  // The Diameter identity of the peer this message came from (for incoming
  // messages), empty for locally created ones.
  std::string source_peer() const;
  AnswerResult result() const;

 private:
  ::msg* msg_ = nullptr;
};

// A deep copy of a message's AVPs that lives apart from any freeDiameter
// message, so that it can be written into another message later (the
// duplicate cache replays answers this way; freeDiameter 1.2.1 cannot move
// AVPs between messages, notes sec. 7.10). Each AVP is kept as its dictionary
// model, its flags and its value, Grouped AVPs with their children.
// OctetString-based values (which include TSK-Key) live in SecretBytes, so
// they are wiped when the snapshot goes; nothing here can print them.
// Holds no freeDiameter object: destroying a snapshot is safe on any thread
// and after the core stopped; only of() and write_to() need the core.
class AvpSnapshot {
 public:
  AvpSnapshot() = default;
  // Copies the top-level AVPs of `m` in order, except those whose model is
  // in `skip`. Throws MessageError for an AVP without a dictionary model
  // (one the dictionary does not know) or with no value.
  static AvpSnapshot of(const Message& m, std::initializer_list<const AvpDef*> skip = {});
  // Appends copies of the AVPs, in the order they were taken.
  void write_to(AvpSink& sink) const;

  std::size_t size() const { return avps_.size(); }  // top-level AVPs
  bool empty() const { return avps_.empty(); }

 private:
  struct Node {
    dict_object* model = nullptr;
    std::uint8_t flags = 0;  // AVP flags (V, M) as they were in the message
    AvpType type = AvpType::OctetString;
    std::uint64_t number = 0;    // bits of a numeric value
    crypto::SecretBytes octets;  // OctetString-based value
    std::vector<Node> children;  // Grouped
  };
  static Node copy(::avp* a);
  static void write(const Node& n, void* target);

  std::vector<Node> avps_;
};

// Reads the AVPs a request must carry, remembering the first problem as the
// Outcome to answer with (RFC 6733 sec. 7.1.5: 5005 missing, 5004 invalid),
// so a handler reads everything first and checks ok() once.
class AvpReader {
 public:
  explicit AvpReader(const Message& m) : msg_(&m) {}
  explicit AvpReader(AvpView group) : group_(group) {}

  std::string utf8(const AvpDef& def);
  crypto::Bytes octets(const AvpDef& def, std::size_t exact_len);
  std::uint32_t u32(const AvpDef& def);
  std::int32_t i32(const AvpDef& def);
  std::optional<std::uint32_t> optional_u32(const AvpDef& def);
  std::optional<crypto::Bytes> optional_octets(const AvpDef& def, std::size_t exact_len);
  std::optional<AvpReader> group(const AvpDef& def);  // required Grouped AVP

  bool ok() const { return failure_.is_success(); }
  const Outcome& failure() const { return failure_; }
  // Records a problem found by the caller (e.g. mutually exclusive AVPs).
  void fail(ResultCode code, const std::string& why);

 private:
  std::optional<AvpView> need(const AvpDef& def);
  std::optional<AvpView> find(const AvpDef& def) const;
  const Message* msg_ = nullptr;
  std::optional<AvpView> group_;
  Outcome failure_ = Outcome::ok();
};

}  // namespace roamkey::diameter
