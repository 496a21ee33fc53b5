#include "diameter/message.h"

#include <algorithm>
#include <cstring>

#include <openssl/rand.h>

#include "diameter/fd_includes.h"

namespace roamkey::diameter {

namespace {

dictionary* dict() {
  return fd_g_config->cnf_dict;
}

AvpType to_type(enum dict_avp_basetype t) {
  switch (t) {
    case AVP_TYPE_GROUPED: return AvpType::Grouped;
    case AVP_TYPE_INTEGER32: return AvpType::Integer32;
    case AVP_TYPE_INTEGER64: return AvpType::Integer64;
    case AVP_TYPE_UNSIGNED32: return AvpType::Unsigned32;
    case AVP_TYPE_UNSIGNED64: return AvpType::Unsigned64;
    case AVP_TYPE_FLOAT32: return AvpType::Float32;
    case AVP_TYPE_FLOAT64: return AvpType::Float64;
    default: return AvpType::OctetString;
  }
}

// fd_msg_browse is a macro that C++ rejects (notes sec. 1, header traps).
template <class T>
T* browse(void* ref, enum msg_brw_dir dir) {
  msg_or_avp* found = nullptr;
  if (fd_msg_browse_internal(ref, dir, &found, nullptr) != 0) return nullptr;
  return static_cast<T*>(found);
}

avp_hdr* header(::avp* a) {
  avp_hdr* h = nullptr;
  if (fd_msg_avp_hdr(a, &h) != 0 || h == nullptr) throw MessageError("cannot read AVP header");
  return h;
}

std::optional<AvpView> first_child(void* parent, dict_object* model) {
  for (auto* a = browse<::avp>(parent, MSG_BRW_FIRST_CHILD); a != nullptr; a = browse<::avp>(a, MSG_BRW_NEXT)) {
    dict_object* m = nullptr;
    if (fd_msg_model(a, &m) == 0 && m == model) return AvpView(a);
  }
  return std::nullopt;
}

const char* type_name(AvpType t) {
  switch (t) {
    case AvpType::Grouped: return "Grouped";
    case AvpType::Integer32: return "Integer32";
    case AvpType::Integer64: return "Integer64";
    case AvpType::Unsigned32: return "Unsigned32";
    case AvpType::Unsigned64: return "Unsigned64";
    case AvpType::Float32: return "Float32";
    case AvpType::Float64: return "Float64";
    case AvpType::OctetString: return "OctetString";
  }
  return "?";
}

void expect_type(const AvpDef& def, AvpType t) {
  if (!def) throw MessageError("AVP definition not resolved");
  if (def.type() != t)
    throw MessageError("AVP " + def.name() + " is " + type_name(def.type()) + ", not " + type_name(t));
}

}  // namespace

// ---- dictionary handles ---------------------------------------------------

AvpDef AvpDef::named(std::string_view name) {
  const std::string n(name);
  dict_object* obj = nullptr;
  if (fd_dict_search(dict(), DICT_AVP, AVP_BY_NAME_ALL_VENDORS, n.c_str(), &obj, ENOENT) != 0 || obj == nullptr)
    throw MessageError("AVP \"" + n + "\" is not in the loaded dictionary");
  dict_avp_data data{};
  if (fd_dict_getval(obj, &data) != 0) throw MessageError("AVP \"" + n + "\": cannot read definition");
  AvpDef d;
  d.model_ = obj;
  d.name_ = n;
  d.type_ = to_type(data.avp_basetype);
  d.code_ = data.avp_code;
  d.vendor_ = data.avp_vendor;
  return d;
}

CommandDef CommandDef::named(std::string_view name) {
  const std::string n(name);
  dict_object* obj = nullptr;
  if (fd_dict_search(dict(), DICT_COMMAND, CMD_BY_NAME, n.c_str(), &obj, ENOENT) != 0 || obj == nullptr)
    throw MessageError("command \"" + n + "\" is not in the loaded dictionary");
  dict_cmd_data data{};
  if (fd_dict_getval(obj, &data) != 0) throw MessageError("command \"" + n + "\": cannot read definition");
  CommandDef c;
  c.model_ = obj;
  c.name_ = n;
  c.code_ = data.cmd_code;
  return c;
}

std::uint32_t application_id_of(std::string_view application_name) {
  const std::string n(application_name);
  dict_object* obj = nullptr;
  dict_application_data data{};
  if (fd_dict_search(dict(), DICT_APPLICATION, APPLICATION_BY_NAME, n.c_str(), &obj, ENOENT) != 0 || obj == nullptr ||
      fd_dict_getval(obj, &data) != 0)
    throw MessageError("application \"" + n + "\" is not in the loaded dictionary");
  return data.application_id;
}

std::uint32_t vendor_id_of(std::string_view vendor_name) {
  const std::string n(vendor_name);
  dict_object* obj = nullptr;
  dict_vendor_data data{};
  if (fd_dict_search(dict(), DICT_VENDOR, VENDOR_BY_NAME, n.c_str(), &obj, ENOENT) != 0 || obj == nullptr ||
      fd_dict_getval(obj, &data) != 0)
    throw MessageError("vendor \"" + n + "\" is not in the loaded dictionary");
  return data.vendor_id;
}

// ---- reading --------------------------------------------------------------

bool AvpView::has_value() const {
  return header(avp_)->avp_value != nullptr;
}

namespace {
const avp_value& value_of(::avp* a) {
  const avp_hdr* h = header(a);
  if (h->avp_value == nullptr) throw MessageError("AVP has no value (Grouped or unresolved)");
  return *h->avp_value;
}
}  // namespace

std::uint32_t AvpView::u32() const {
  return value_of(avp_).u32;
}
std::uint64_t AvpView::u64() const {
  return value_of(avp_).u64;
}
std::int32_t AvpView::i32() const {
  return value_of(avp_).i32;
}
crypto::ByteView AvpView::bytes() const {
  const auto& v = value_of(avp_);
  return {v.os.data, v.os.len};
}
std::string_view AvpView::str() const {
  const auto& v = value_of(avp_);
  return {reinterpret_cast<const char*>(v.os.data), v.os.len};
}

std::optional<AvpView> AvpView::child(const AvpDef& def) const {
  return first_child(avp_, def.model());
}

void AvpView::for_each_child(const std::function<void(AvpView)>& fn) const {
  for (auto* a = browse<::avp>(avp_, MSG_BRW_FIRST_CHILD); a != nullptr; a = browse<::avp>(a, MSG_BRW_NEXT))
    fn(AvpView(a));
}

dict_object* AvpView::model() const {
  dict_object* m = nullptr;
  fd_msg_model(avp_, &m);
  return m;
}

// ---- building -------------------------------------------------------------

::avp* AvpSink::append(const AvpDef& def) {
  ::avp* a = nullptr;
  if (fd_msg_avp_new(def.model(), 0, &a) != 0) throw MessageError("cannot create AVP " + def.name());
  if (fd_msg_avp_add(target_, MSG_BRW_LAST_CHILD, a) != 0) {
    fd_msg_free(a);
    throw MessageError("cannot add AVP " + def.name());
  }
  return a;
}

namespace {
void set_value(::avp* a, const AvpDef& def, avp_value& v) {
  if (fd_msg_avp_setvalue(a, &v) != 0) throw MessageError("cannot set value of AVP " + def.name());
}
}  // namespace

AvpSink& AvpSink::add(const AvpDef& def, std::uint32_t x) {
  expect_type(def, AvpType::Unsigned32);
  avp_value v{};
  v.u32 = x;
  set_value(append(def), def, v);
  return *this;
}

AvpSink& AvpSink::add(const AvpDef& def, std::uint64_t x) {
  expect_type(def, AvpType::Unsigned64);
  avp_value v{};
  v.u64 = x;
  set_value(append(def), def, v);
  return *this;
}

AvpSink& AvpSink::add(const AvpDef& def, std::int32_t x) {
  expect_type(def, AvpType::Integer32);
  avp_value v{};
  v.i32 = x;
  set_value(append(def), def, v);
  return *this;
}

AvpSink& AvpSink::add(const AvpDef& def, crypto::ByteView x) {
  expect_type(def, AvpType::OctetString);
  avp_value v{};
  // fd_msg_avp_setvalue copies OctetString data (notes sec. 7.2).
  v.os.data = const_cast<std::uint8_t*>(x.data());
  v.os.len = x.size();
  set_value(append(def), def, v);
  return *this;
}

AvpSink& AvpSink::add(const AvpDef& def, std::string_view x) {
  return add(def, crypto::ByteView(reinterpret_cast<const std::uint8_t*>(x.data()), x.size()));
}

AvpSink AvpSink::group(const AvpDef& def) {
  expect_type(def, AvpType::Grouped);
  return AvpSink(append(def));
}

// ---- messages -------------------------------------------------------------

Message::~Message() {
  if (msg_ != nullptr) fd_msg_free(msg_);
}

Message& Message::operator=(Message&& o) noexcept {
  if (this != &o) {
    if (msg_ != nullptr) fd_msg_free(msg_);
    msg_ = o.msg_;
    o.msg_ = nullptr;
  }
  return *this;
}

Message Message::request(const CommandDef& cmd, std::string_view session_id) {
  ::msg* m = nullptr;
  if (fd_msg_new(cmd.model(), MSGFL_ALLOC_ETEID, &m) != 0) throw MessageError("cannot create " + cmd.name());
  Message out(m);
  if (session_id.empty()) {
    // fD builds "<identity>;<start time>;<counter>;<optional>": two processes
    // with one identity started in the same second (aaa-client runs) would
    // collide, so the optional part carries a random per-process tag
    // (RFC 6733 sec. 8.8: globally and eternally unique).
    static const std::string tag = [] {
      std::uint8_t r[8];
      if (RAND_bytes(r, sizeof r) != 1) throw MessageError("no random bytes for the Session-Id");
      return "rk." + crypto::to_hex(crypto::ByteView(r, sizeof r));
    }();
    if (fd_msg_new_session(m, reinterpret_cast<os0_t>(const_cast<char*>(tag.data())), tag.size()) != 0)
      throw MessageError("cannot create a Session-Id");
  } else {
    static const AvpDef sid = AvpDef::named("Session-Id");
    ::avp* a = nullptr;
    if (fd_msg_avp_new(sid.model(), 0, &a) != 0) throw MessageError("cannot create Session-Id");
    avp_value v{};
    v.os.data = reinterpret_cast<std::uint8_t*>(const_cast<char*>(session_id.data()));
    v.os.len = session_id.size();
    if (fd_msg_avp_setvalue(a, &v) != 0 || fd_msg_avp_add(m, MSG_BRW_FIRST_CHILD, a) != 0) {
      fd_msg_free(a);
      throw MessageError("cannot add Session-Id");
    }
  }
  if (fd_msg_add_origin(m, 0) != 0) throw MessageError("cannot add Origin-Host/Origin-Realm");
  return out;
}

AvpSink Message::avps() {
  if (msg_ == nullptr) throw MessageError("empty message");
  return AvpSink(msg_);
}

std::optional<AvpView> Message::find(const AvpDef& def) const {
  if (msg_ == nullptr || !def) return std::nullopt;
  ::avp* a = nullptr;
  if (fd_msg_search_avp(msg_, def.model(), &a) != 0 || a == nullptr) return std::nullopt;
  return AvpView(a);
}

namespace {
msg_hdr* msg_header(::msg* m) {
  msg_hdr* h = nullptr;
  if (m == nullptr || fd_msg_hdr(m, &h) != 0 || h == nullptr) throw MessageError("cannot read message header");
  return h;
}
}  // namespace

std::uint32_t Message::command_code() const {
  return msg_header(msg_)->msg_code;
}
bool Message::is_request() const {
  return (msg_header(msg_)->msg_flags & CMD_FLAG_REQUEST) != 0;
}
bool Message::is_retransmission() const {
  return (msg_header(msg_)->msg_flags & CMD_FLAG_RETRANSMIT) != 0;
}
bool Message::error_bit() const {
  return (msg_header(msg_)->msg_flags & CMD_FLAG_ERROR) != 0;
}
std::uint32_t Message::end_to_end_id() const {
  return msg_header(msg_)->msg_eteid;
}
std::uint32_t Message::application_id() const {
  return msg_header(msg_)->msg_appl;
}

std::string Message::session_id() const {
  static const AvpDef def = AvpDef::named("Session-Id");
  auto v = find(def);
  return v ? std::string(v->str()) : std::string();
}

std::string Message::origin_host() const {
  static const AvpDef def = AvpDef::named("Origin-Host");
  auto v = find(def);
  return v ? std::string(v->str()) : std::string();
}

std::string Message::origin_realm() const {
  static const AvpDef def = AvpDef::named("Origin-Realm");
  auto v = find(def);
  return v ? std::string(v->str()) : std::string();
}

std::string Message::source_peer() const {
  DiamId_t id = nullptr;
  size_t len = 0;
  if (msg_ == nullptr || fd_msg_source_get(msg_, &id, &len) != 0 || id == nullptr) return {};
  return std::string(id, len);
}

AnswerResult Message::result() const {
  static const AvpDef result_code = AvpDef::named("Result-Code");
  static const AvpDef experimental = AvpDef::named("Experimental-Result");
  static const AvpDef experimental_code = AvpDef::named("Experimental-Result-Code");
  static const AvpDef vendor_id = AvpDef::named("Vendor-Id");
  static const AvpDef error_message = AvpDef::named("Error-Message");
  AnswerResult r;
  if (auto rc = find(result_code)) {
    r.code = rc->u32();
  } else if (auto er = find(experimental)) {
    r.experimental = true;
    if (auto c = er->child(experimental_code)) r.code = c->u32();
    if (auto v = er->child(vendor_id)) r.vendor = v->u32();
  }
  if (auto em = find(error_message)) r.error_message = std::string(em->str());
  return r;
}

// ---- AvpSnapshot ----------------------------------------------------------

AvpSnapshot::Node AvpSnapshot::copy(::avp* a) {
  Node n;
  if (fd_msg_model(a, &n.model) != 0 || n.model == nullptr)
    throw MessageError("an AVP unknown to the dictionary cannot be copied");
  dict_avp_data data{};
  if (fd_dict_getval(n.model, &data) != 0) throw MessageError("cannot read an AVP definition");
  n.type = to_type(data.avp_basetype);
  const avp_hdr* h = header(a);
  n.flags = h->avp_flags;
  if (n.type == AvpType::Grouped) {
    for (auto* c = browse<::avp>(a, MSG_BRW_FIRST_CHILD); c != nullptr; c = browse<::avp>(c, MSG_BRW_NEXT))
      n.children.push_back(copy(c));
    return n;
  }
  if (h->avp_value == nullptr) throw MessageError("AVP " + std::string(data.avp_name) + " has no value to copy");
  const avp_value& v = *h->avp_value;
  switch (n.type) {
    case AvpType::OctetString: n.octets = crypto::SecretBytes(crypto::ByteView(v.os.data, v.os.len)); break;
    case AvpType::Integer32: n.number = static_cast<std::uint32_t>(v.i32); break;
    case AvpType::Unsigned32: n.number = v.u32; break;
    case AvpType::Integer64: n.number = static_cast<std::uint64_t>(v.i64); break;
    case AvpType::Unsigned64: n.number = v.u64; break;
    case AvpType::Float32: {
      std::uint32_t bits = 0;
      std::memcpy(&bits, &v.f32, sizeof bits);
      n.number = bits;
      break;
    }
    case AvpType::Float64: std::memcpy(&n.number, &v.f64, sizeof n.number); break;
    case AvpType::Grouped: break;
  }
  return n;
}

AvpSnapshot AvpSnapshot::of(const Message& m, std::initializer_list<const AvpDef*> skip) {
  if (!m) throw MessageError("empty message");
  AvpSnapshot s;
  for (auto* a = browse<::avp>(m.get(), MSG_BRW_FIRST_CHILD); a != nullptr; a = browse<::avp>(a, MSG_BRW_NEXT)) {
    dict_object* model = nullptr;
    fd_msg_model(a, &model);
    const bool skipped = model != nullptr && std::any_of(skip.begin(), skip.end(), [&](const AvpDef* d) {
                           return d != nullptr && d->model() == model;
                         });
    if (!skipped) s.avps_.push_back(copy(a));
  }
  return s;
}

void AvpSnapshot::write(const Node& n, void* target) {
  ::avp* a = nullptr;
  if (fd_msg_avp_new(n.model, 0, &a) != 0) throw MessageError("cannot create a copied AVP");
  if (n.type != AvpType::Grouped) {
    avp_value v{};
    static std::uint8_t none = 0;  // os0dup must not copy from a null pointer
    switch (n.type) {
      case AvpType::OctetString:
        // fd_msg_avp_setvalue copies the bytes (notes sec. 7.2).
        v.os.data = n.octets.empty() ? &none : const_cast<std::uint8_t*>(n.octets.data());
        v.os.len = n.octets.size();
        break;
      case AvpType::Integer32: v.i32 = static_cast<std::int32_t>(static_cast<std::uint32_t>(n.number)); break;
      case AvpType::Unsigned32: v.u32 = static_cast<std::uint32_t>(n.number); break;
      case AvpType::Integer64: v.i64 = static_cast<std::int64_t>(n.number); break;
      case AvpType::Unsigned64: v.u64 = n.number; break;
      case AvpType::Float32: {
        const auto bits = static_cast<std::uint32_t>(n.number);
        std::memcpy(&v.f32, &bits, sizeof bits);
        break;
      }
      case AvpType::Float64: std::memcpy(&v.f64, &n.number, sizeof n.number); break;
      case AvpType::Grouped: break;
    }
    if (fd_msg_avp_setvalue(a, &v) != 0) {
      fd_msg_free(a);
      throw MessageError("cannot set the value of a copied AVP");
    }
  }
  // Flags the model leaves open (RFC 6733 sec. 4.1) stay as they were.
  header(a)->avp_flags = n.flags;
  if (fd_msg_avp_add(target, MSG_BRW_LAST_CHILD, a) != 0) {
    fd_msg_free(a);
    throw MessageError("cannot add a copied AVP");
  }
  for (const auto& c : n.children) write(c, a);
}

void AvpSnapshot::write_to(AvpSink& sink) const {
  for (const auto& n : avps_) write(n, sink.target_);
}

// ---- AvpReader ------------------------------------------------------------

std::optional<AvpView> AvpReader::find(const AvpDef& def) const {
  if (group_) return group_->child(def);
  return msg_->find(def);
}

void AvpReader::fail(ResultCode code, const std::string& why) {
  if (ok()) failure_ = Outcome::base(code, why);
}

std::optional<AvpView> AvpReader::need(const AvpDef& def) {
  auto v = find(def);
  if (!v) fail(ResultCode::MissingAvp, "missing AVP " + def.name());
  return v;
}

std::string AvpReader::utf8(const AvpDef& def) {
  auto v = need(def);
  return v ? std::string(v->str()) : std::string();
}

crypto::Bytes AvpReader::octets(const AvpDef& def, std::size_t exact_len) {
  auto v = need(def);
  if (!v) return {};
  auto b = v->bytes();
  if (exact_len != 0 && b.size() != exact_len) {
    fail(ResultCode::InvalidAvpValue,
         def.name() + " must be " + std::to_string(exact_len) + " bytes, got " + std::to_string(b.size()));
    return {};
  }
  return crypto::Bytes(b.begin(), b.end());
}

std::optional<crypto::Bytes> AvpReader::optional_octets(const AvpDef& def, std::size_t exact_len) {
  if (!find(def)) return std::nullopt;
  auto b = octets(def, exact_len);
  if (!ok()) return std::nullopt;
  return b;
}

std::uint32_t AvpReader::u32(const AvpDef& def) {
  auto v = need(def);
  return v ? v->u32() : 0;
}

std::int32_t AvpReader::i32(const AvpDef& def) {
  auto v = need(def);
  return v ? v->i32() : 0;
}

std::optional<std::uint32_t> AvpReader::optional_u32(const AvpDef& def) {
  auto v = find(def);
  if (!v) return std::nullopt;
  return v->u32();
}

std::optional<AvpReader> AvpReader::group(const AvpDef& def) {
  auto v = need(def);
  if (!v) return std::nullopt;
  return AvpReader(*v);
}

}  // namespace roamkey::diameter
