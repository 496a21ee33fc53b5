// dictionaries/roamkey.xml against protocol.md sec. 3, and the loader's
// behaviour on good and broken dictionary files.

#include "diameter/dictionary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "diameter/fd_includes.h"
#include "fd_environment.h"

namespace roamkey::diameter {
namespace {

using test::roamkey_dictionary;

// protocol.md sec. 3; the tests check the file against the spec, so they
// may name the numbers the daemons must not.
constexpr std::uint32_t kVendor = 32473;
constexpr std::uint32_t kApplication = 16809689;

dictionary* running() {
  return fd_g_config->cnf_dict;
}

dict_avp_data avp_data(dict_object* obj) {
  dict_avp_data d{};
  EXPECT_EQ(fd_dict_getval(obj, &d), 0);
  return d;
}

dict_cmd_data cmd_data(dict_object* obj) {
  dict_cmd_data d{};
  EXPECT_EQ(fd_dict_getval(obj, &d), 0);
  return d;
}

// The name of the derived type of an AVP, "" when it has only a base type.
std::string type_of(dict_object* avp) {
  dict_object* type = nullptr;
  EXPECT_EQ(fd_dict_search(running(), DICT_TYPE, TYPE_OF_AVP, avp, &type, 0), 0);
  if (type == nullptr) return "";
  dict_type_data d{};
  EXPECT_EQ(fd_dict_getval(type, &d), 0);
  return d.type_name;
}

dict_object* type_object_of(dict_object* avp) {
  dict_object* type = nullptr;
  fd_dict_search(running(), DICT_TYPE, TYPE_OF_AVP, avp, &type, 0);
  return type;
}

dict_object* find_vendor(std::uint32_t id) {
  dict_object* obj = nullptr;
  fd_dict_search(running(), DICT_VENDOR, VENDOR_BY_ID, &id, &obj, ENOENT);
  return obj;
}

dict_object* find_avp_anywhere(const char* name) {
  dict_object* obj = nullptr;
  fd_dict_search(running(), DICT_AVP, AVP_BY_NAME_ALL_VENDORS, name, &obj, ENOENT);
  return obj;
}

std::size_t list_size(int criteria, void* parent) {
  fd_list* sentinel = nullptr;
  EXPECT_EQ(fd_dict_getlistof(criteria, parent, &sentinel), 0);
  std::size_t n = 0;
  for (fd_list* li = sentinel->next; li != sentinel; li = li->next) ++n;
  return n;
}

// ---- AVPs, enumerations, commands, application ------------------------------

struct AvpRow {
  const char* name;
  std::uint32_t code;
  dict_avp_basetype base;
  const char* type;  // derived type, "" for none
};

const AvpRow kAvps[] = {
    {"TSK-Vector", 1, AVP_TYPE_GROUPED, ""},
    {"TSK-RAND", 2, AVP_TYPE_OCTETSTRING, ""},
    {"TSK-Key", 3, AVP_TYPE_OCTETSTRING, ""},
    {"Wrapped-TSK-Key", 4, AVP_TYPE_OCTETSTRING, ""},
    {"Key-Wrap-Key-Id", 5, AVP_TYPE_OCTETSTRING, "UTF8String"},
    {"Key-Generation", 6, AVP_TYPE_UNSIGNED32, ""},
    {"TSK-Lifetime", 7, AVP_TYPE_UNSIGNED32, ""},
    {"TSK-Max-Uses", 8, AVP_TYPE_UNSIGNED32, ""},
    {"KDF-Algorithm", 9, AVP_TYPE_INTEGER32, "Enumerated(KDF-Algorithm)"},
    {"Host-Challenge", 10, AVP_TYPE_OCTETSTRING, ""},
    {"MN-Auth-Data", 11, AVP_TYPE_OCTETSTRING, ""},
    {"Home-Auth-Data", 12, AVP_TYPE_OCTETSTRING, ""},
    {"Key-Update-Status", 13, AVP_TYPE_INTEGER32, "Enumerated(Key-Update-Status)"},
    {"Revocation-Cause", 14, AVP_TYPE_INTEGER32, "Enumerated(Revocation-Cause)"},
};

TEST(RoamKeyDictionary, IdsComeFromTheFile) {
  const Dictionary& d = roamkey_dictionary();
  EXPECT_EQ(d.vendor_id(), kVendor);
  EXPECT_EQ(d.application_id(), kApplication);
  EXPECT_EQ(d.application_name(), "RoamKey Delegation");
  ASSERT_EQ(d.vendors().size(), 1u);
  EXPECT_EQ(d.vendors()[0].id, kVendor);
  EXPECT_EQ(d.vendors()[0].name, "RoamKey");
  ASSERT_EQ(d.applications().size(), 1u);
  EXPECT_EQ(d.applications()[0].vendor_id, kVendor);
  EXPECT_EQ(d.file(), std::filesystem::path(ROAMKEY_DICTIONARY_FILE));
}

TEST(RoamKeyDictionary, ApplicationBelongsToTheRoamKeyVendor) {
  dict_object* app = roamkey_dictionary().application("RoamKey Delegation");
  dict_application_data ad{};
  ASSERT_EQ(fd_dict_getval(app, &ad), 0);
  EXPECT_EQ(ad.application_id, kApplication);

  dict_object* vendor = nullptr;
  ASSERT_EQ(fd_dict_search(running(), DICT_VENDOR, VENDOR_OF_APPLICATION, app, &vendor, ENOENT), 0);
  dict_vendor_data vd{};
  ASSERT_EQ(fd_dict_getval(vendor, &vd), 0);
  EXPECT_EQ(vd.vendor_id, kVendor);
  EXPECT_STREQ(vd.vendor_name, "RoamKey");
}

TEST(RoamKeyDictionary, DefinesTheFourteenAvpsOfSection3WithVAndMBits) {
  for (const AvpRow& row : kAvps) {
    SCOPED_TRACE(row.name);
    dict_object* obj = roamkey_dictionary().avp(row.name);
    const dict_avp_data d = avp_data(obj);
    EXPECT_STREQ(d.avp_name, row.name);
    EXPECT_EQ(d.avp_code, row.code);
    EXPECT_EQ(d.avp_vendor, kVendor);
    EXPECT_EQ(d.avp_flag_mask, AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY);
    EXPECT_EQ(d.avp_flag_val, AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY);
    EXPECT_EQ(d.avp_basetype, row.base);
    EXPECT_EQ(type_of(obj), row.type);
  }
  EXPECT_EQ(list_size(AVP_BY_CODE, find_vendor(kVendor)), std::size(kAvps));
}

TEST(RoamKeyDictionary, EnumeratedAvpsHaveTheValuesOfSection3) {
  const Dictionary& d = roamkey_dictionary();
  EXPECT_EQ(d.enum_value("KDF-Algorithm", "HMAC-SHA-256"), 1);
  EXPECT_EQ(d.enum_value("Key-Update-Status", "UPDATED"), 0);
  EXPECT_EQ(d.enum_value("Key-Update-Status", "REJECTED_BY_MN"), 1);
  EXPECT_EQ(d.enum_value("Key-Update-Status", "ABANDONED"), 2);
  EXPECT_EQ(d.enum_value("Revocation-Cause", "ADMINISTRATIVE"), 0);
  EXPECT_EQ(d.enum_value("Revocation-Cause", "NEW_DELEGATION"), 1);
  EXPECT_EQ(d.enum_value("Revocation-Cause", "SUBSCRIPTION_WITHDRAWN"), 2);
  EXPECT_EQ(d.enum_value("Revocation-Cause", "KEY_COMPROMISED"), 3);
  EXPECT_EQ(list_size(ENUMVAL_BY_VALUE, type_object_of(d.avp("KDF-Algorithm"))), 1u);
  EXPECT_EQ(list_size(ENUMVAL_BY_VALUE, type_object_of(d.avp("Key-Update-Status"))), 3u);
  EXPECT_EQ(list_size(ENUMVAL_BY_VALUE, type_object_of(d.avp("Revocation-Cause"))), 4u);
  // Base protocol constants resolve the same way (sec. 3: NO_STATE_MAINTAINED).
  EXPECT_EQ(d.enum_value("Auth-Session-State", "NO_STATE_MAINTAINED"), 1);
}

TEST(RoamKeyDictionary, EnumValueNamesWhatIsMissing) {
  const Dictionary& d = roamkey_dictionary();
  try {
    d.enum_value("Key-Update-Status", "DONE");
    FAIL() << "no exception";
  } catch (const DictionaryError& e) {
    EXPECT_STREQ(e.what(), "AVP \"Key-Update-Status\" has no value \"DONE\"");
  }
  try {
    d.enum_value("TSK-RAND", "ANY");
    FAIL() << "no exception";
  } catch (const DictionaryError& e) {
    EXPECT_STREQ(e.what(), "AVP \"TSK-RAND\" is not Enumerated");
  }
}

struct CommandRow {
  const char* name;
  std::uint32_t code;
};

const CommandRow kCommands[] = {
    {"Delegation", 8389000},          {"Key-Push", 8389001},          {"Key-Update-Report", 8389002},
    {"Home-Authentication", 8389003}, {"Delegation-Revoke", 8389004},
};

TEST(RoamKeyDictionary, DefinesTheFiveCommandsOfSection3AsProxiable) {
  const Dictionary& d = roamkey_dictionary();
  dict_object* app = d.application("RoamKey Delegation");
  for (const CommandRow& row : kCommands) {
    SCOPED_TRACE(row.name);
    dict_object* request = d.command(std::string(row.name) + "-Request");
    dict_object* answer = d.command(std::string(row.name) + "-Answer");
    const dict_cmd_data rq = cmd_data(request);
    const dict_cmd_data an = cmd_data(answer);
    EXPECT_EQ(rq.cmd_code, row.code);
    EXPECT_EQ(an.cmd_code, row.code);
    EXPECT_EQ(rq.cmd_flag_mask, CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE | CMD_FLAG_ERROR);
    EXPECT_EQ(rq.cmd_flag_val, CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE);
    EXPECT_EQ(an.cmd_flag_mask, CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE);
    EXPECT_EQ(an.cmd_flag_val, CMD_FLAG_PROXIABLE);

    dict_object* found = nullptr;
    ASSERT_EQ(fd_dict_search(running(), DICT_COMMAND, CMD_ANSWER, request, &found, ENOENT), 0);
    EXPECT_EQ(found, answer);
    found = nullptr;
    ASSERT_EQ(fd_dict_search(running(), DICT_COMMAND, CMD_BY_CODE_R, &row.code, &found, ENOENT), 0);
    EXPECT_EQ(found, request);
    for (dict_object* cmd : {request, answer}) {
      dict_object* owner = nullptr;
      ASSERT_EQ(fd_dict_search(running(), DICT_APPLICATION, APPLICATION_OF_COMMAND, cmd, &owner, ENOENT), 0);
      EXPECT_EQ(owner, app);
    }
    // fd_msg_new takes the flags and the Application-Id from the dictionary.
    msg* m = nullptr;
    ASSERT_EQ(fd_msg_new(request, 0, &m), 0);
    msg_hdr* h = nullptr;
    ASSERT_EQ(fd_msg_hdr(m, &h), 0);
    EXPECT_EQ(h->msg_flags, CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE);
    EXPECT_EQ(h->msg_appl, kApplication);
    EXPECT_EQ(h->msg_code, row.code);
    fd_msg_free(m);
  }
}

TEST(RoamKeyDictionary, FindsVendorAndBaseProtocolAvpsByName) {
  const Dictionary& d = roamkey_dictionary();
  const dict_avp_data session = avp_data(d.avp("Session-Id"));
  EXPECT_EQ(session.avp_code, 263u);
  EXPECT_EQ(session.avp_vendor, 0u);
  EXPECT_EQ(avp_data(d.avp("User-Name")).avp_code, 1u);
  EXPECT_EQ(avp_data(d.avp("Experimental-Result")).avp_basetype, AVP_TYPE_GROUPED);
  EXPECT_EQ(avp_data(d.avp("TSK-RAND")).avp_vendor, kVendor);
}

TEST(RoamKeyDictionary, LookupsNameWhatIsMissing) {
  const Dictionary& d = roamkey_dictionary();
  try {
    d.avp("No-Such-AVP");
    FAIL() << "no exception";
  } catch (const DictionaryError& e) {
    EXPECT_STREQ(e.what(), "AVP \"No-Such-AVP\" is not in the Diameter dictionary");
  }
  try {
    d.command("Delegation");  // the freeDiameter names carry -Request / -Answer
    FAIL() << "no exception";
  } catch (const DictionaryError& e) {
    EXPECT_STREQ(e.what(), "command \"Delegation\" is not in the Diameter dictionary");
  }
  try {
    d.application("RoamKey");
    FAIL() << "no exception";
  } catch (const DictionaryError& e) {
    EXPECT_STREQ(e.what(), "application \"RoamKey\" is not in the Diameter dictionary");
  }
}

// ---- rules ----------------------------------------------------------------------

struct Rule {
  int position = 0;
  unsigned order = 0;
  int min = 0;
  int max = 0;
  bool operator==(const Rule&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rule& r) {
  return os << "{position " << r.position << ", order " << r.order << ", min " << r.min << ", max " << r.max << "}";
}

using Rules = std::map<std::string, Rule>;

Rules rules_of(dict_object* parent) {
  fd_list* sentinel = nullptr;
  EXPECT_EQ(fd_dict_getlistof(RULE_BY_AVP_AND_PARENT, parent, &sentinel), 0);
  Rules out;
  for (fd_list* li = sentinel->next; li != sentinel; li = li->next) {
    dict_rule_data r{};
    EXPECT_EQ(fd_dict_getval(static_cast<dict_object*>(li->o), &r), 0);
    out[avp_data(r.rule_avp).avp_name] = Rule{r.rule_position, r.rule_order, r.rule_min, r.rule_max};
  }
  return out;
}

// min -1 / max -1: freeDiameter's defaults (1 or 0 by position / unbounded).
const Rule kHead{RULE_FIXED_HEAD, 1, -1, 1};         // < AVP >
const Rule kRequired{RULE_REQUIRED, 0, -1, 1};       // { AVP }
const Rule kOptional{RULE_OPTIONAL, 0, -1, 1};       // [ AVP ]
const Rule kOptionalMany{RULE_OPTIONAL, 0, -1, -1};  // * [ AVP ]

Rules with(Rules base, const Rules& own) {
  for (const auto& [name, rule] : own) base[name] = rule;
  return base;
}

// protocol.md sec. 3, "Every request carries ...".
Rules request_rules() {
  return {
      {"Session-Id", kHead},           {"Auth-Application-Id", kRequired}, {"Auth-Session-State", kRequired},
      {"Origin-Host", kRequired},      {"Origin-Realm", kRequired},        {"Destination-Realm", kRequired},
      {"Destination-Host", kOptional}, {"Proxy-Info", kOptionalMany},      {"Route-Record", kOptionalMany},
  };
}

// The permissive answer ABNF justified in roamkey.xml.
Rules answer_rules() {
  return {
      {"Session-Id", Rule{RULE_FIXED_HEAD, 1, 0, 1}},
      {"Origin-Host", kRequired},
      {"Origin-Realm", kRequired},
      {"Auth-Application-Id", kOptional},
      {"Auth-Session-State", kOptional},
      {"Result-Code", kOptional},
      {"Experimental-Result", kOptional},
      {"Error-Message", kOptional},
      {"Error-Reporting-Host", kOptional},
      {"Failed-AVP", kOptionalMany},
      {"Origin-State-Id", kOptional},
      {"Proxy-Info", kOptionalMany},
  };
}

TEST(RoamKeyDictionary, CommandRulesAreThoseOfSection3) {
  const Dictionary& d = roamkey_dictionary();
  const std::map<std::string, std::pair<Rules, Rules>> expected = {
      {"Delegation",
       {with(request_rules(), {{"User-Name", kRequired}}), with(answer_rules(), {{"TSK-Vector", kOptional}})}},
      {"Key-Push", {with(request_rules(), {{"User-Name", kRequired}, {"TSK-Vector", kRequired}}), answer_rules()}},
      {"Key-Update-Report",
       {with(request_rules(),
             {{"User-Name", kRequired}, {"Key-Generation", kRequired}, {"Key-Update-Status", kRequired}}),
        answer_rules()}},
      {"Home-Authentication",
       {with(request_rules(), {{"User-Name", kRequired},
                               {"TSK-RAND", kRequired},
                               {"Key-Generation", kRequired},
                               {"Host-Challenge", kRequired},
                               {"MN-Auth-Data", kRequired}}),
        with(answer_rules(), {{"Home-Auth-Data", kOptional}})}},
      {"Delegation-Revoke",
       {with(request_rules(),
             {{"User-Name", kRequired}, {"Revocation-Cause", kRequired}, {"Key-Generation", kOptional}}),
        answer_rules()}},
  };
  for (const auto& [name, rules] : expected) {
    SCOPED_TRACE(name);
    EXPECT_EQ(rules_of(d.command(name + "-Request")), rules.first);
    EXPECT_EQ(rules_of(d.command(name + "-Answer")), rules.second);
  }
}

TEST(RoamKeyDictionary, TskVectorRulesAreThoseOfSection3) {
  const Rules expected = {
      {"TSK-RAND", kRequired},        {"Key-Generation", kRequired}, {"TSK-Lifetime", kRequired},
      {"KDF-Algorithm", kRequired},   {"TSK-Key", kOptional},        {"Wrapped-TSK-Key", kOptional},
      {"Key-Wrap-Key-Id", kOptional}, {"TSK-Max-Uses", kOptional},
  };
  EXPECT_EQ(rules_of(roamkey_dictionary().avp("TSK-Vector")), expected);
}

// ---- messages checked against the rules (what freeDiameter does on receipt) ----

struct MsgFree {
  void operator()(msg* m) const { fd_msg_free(m); }
};
using MsgPtr = std::unique_ptr<msg, MsgFree>;

void must(int rc, const std::string& what) {
  if (rc != 0) throw std::runtime_error(what + " failed with " + std::to_string(rc));
}

// One AVP of a test message; the value used depends on the AVP's base type.
struct Field {
  std::string name;
  std::string text;             // OctetString
  std::int64_t number = 0;      // Integer32, Unsigned32
  std::vector<Field> children;  // Grouped
};

Field os(std::string name, std::string text) {
  return Field{std::move(name), std::move(text), 0, {}};
}
Field num(std::string name, std::int64_t n) {
  return Field{std::move(name), "", n, {}};
}
Field grp(std::string name, std::vector<Field> children) {
  return Field{std::move(name), "", 0, std::move(children)};
}

void add(msg_or_avp* parent, const std::vector<Field>& fields) {
  for (const Field& f : fields) {
    dict_object* model = roamkey_dictionary().avp(f.name);
    avp* raw = nullptr;
    must(fd_msg_avp_new(model, 0, &raw), "fd_msg_avp_new " + f.name);
    std::unique_ptr<avp, decltype(&fd_msg_free)> owned(raw, &fd_msg_free);  // until the parent owns it
    avp* a = owned.get();
    const dict_avp_data d = avp_data(model);
    avp_value v{};
    switch (d.avp_basetype) {
      case AVP_TYPE_GROUPED: add(a, f.children); break;
      case AVP_TYPE_OCTETSTRING:
        v.os.data = reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.text.data()));
        v.os.len = f.text.size();
        break;
      case AVP_TYPE_INTEGER32: v.i32 = static_cast<std::int32_t>(f.number); break;
      case AVP_TYPE_UNSIGNED32: v.u32 = static_cast<std::uint32_t>(f.number); break;
      default: throw std::logic_error("no test values for the type of " + f.name);
    }
    if (d.avp_basetype != AVP_TYPE_GROUPED) must(fd_msg_avp_setvalue(a, &v), "fd_msg_avp_setvalue " + f.name);
    must(fd_msg_avp_add(parent, MSG_BRW_LAST_CHILD, a), "fd_msg_avp_add " + f.name);
    (void)owned.release();
  }
}

MsgPtr build(const std::string& command, const std::vector<Field>& fields) {
  msg* m = nullptr;
  must(fd_msg_new(roamkey_dictionary().command(command), 0, &m), "fd_msg_new " + command);
  MsgPtr out(m);
  add(m, fields);
  return out;
}

// The message as the peer's freeDiameter sees it: serialised and parsed again.
MsgPtr received(const MsgPtr& m) {
  std::uint8_t* buf = nullptr;
  std::size_t len = 0;
  must(fd_msg_bufferize(m.get(), &buf, &len), "fd_msg_bufferize");
  msg* parsed = nullptr;
  if (const int rc = fd_msg_parse_buffer(&buf, len, &parsed); rc != 0) {
    std::free(buf);
    must(rc, "fd_msg_parse_buffer");
  }
  return MsgPtr(parsed);
}

// What fd_msg_parse_rules says about a message, as the receiving core sees it
// (libfdcore/messages.c fd_msg_parse_or_error).
struct Verdict {
  int rc = 0;
  std::string error;  // the Result-Code name freeDiameter would answer with
  std::string avp;    // the AVP it would put in Failed-AVP
};

Verdict check(const MsgPtr& m) {
  fd_pei pei{};
  Verdict v;
  v.rc = fd_msg_parse_rules(m.get(), running(), &pei);
  if (pei.pei_errcode != nullptr) v.error = pei.pei_errcode;
  if (pei.pei_avp != nullptr) {
    dict_object* model = nullptr;
    if (fd_msg_model(pei.pei_avp, &model) == 0 && model != nullptr) v.avp = avp_data(model).avp_name;
    if (pei.pei_avp_free) fd_msg_free(pei.pei_avp);
  }
  return v;
}

std::vector<Field> request_header() {
  return {
      os("Session-Id", "aaa.visited.example;1;2;test"),
      num("Auth-Application-Id", kApplication),
      num("Auth-Session-State", 1),
      os("Origin-Host", "aaa.visited.example"),
      os("Origin-Realm", "visited.example"),
      os("Destination-Realm", "home.example"),
  };
}

std::vector<Field> plus(std::vector<Field> a, const std::vector<Field>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Field tsk_vector(const std::vector<Field>& extra = {os("TSK-Key", std::string(32, 'k'))}) {
  return grp("TSK-Vector", plus({os("TSK-RAND", std::string(16, 'r')), num("Key-Generation", 7),
                                 num("TSK-Lifetime", 3600), num("KDF-Algorithm", 1)},
                                extra));
}

constexpr char kNai[] = "alice@home.example";

struct RequestCase {
  const char* command;
  std::vector<Field> own;  // the command's own required AVPs, all present
};

std::vector<RequestCase> request_cases() {
  return {
      {"Delegation-Request", {os("User-Name", kNai)}},
      {"Key-Push-Request", {os("User-Name", kNai), tsk_vector()}},
      {"Key-Update-Report-Request", {os("User-Name", kNai), num("Key-Generation", 7), num("Key-Update-Status", 0)}},
      {"Home-Authentication-Request",
       {os("User-Name", kNai), os("TSK-RAND", std::string(16, 'r')), num("Key-Generation", 7),
        os("Host-Challenge", std::string(16, 'h')), os("MN-Auth-Data", std::string(32, 'm'))}},
      {"Delegation-Revoke-Request", {os("User-Name", kNai), num("Revocation-Cause", 0)}},
  };
}

TEST(RoamKeyRules, CompleteRequestsPass) {
  for (const auto& c : request_cases()) {
    SCOPED_TRACE(c.command);
    const Verdict v = check(received(build(c.command, plus(request_header(), c.own))));
    EXPECT_EQ(v.rc, 0) << v.error << " " << v.avp;
  }
}

TEST(RoamKeyRules, EveryRequiredRequestAvpIsEnforced) {
  for (const auto& c : request_cases()) {
    const std::vector<Field> all = plus(request_header(), c.own);
    for (std::size_t skip = 0; skip < all.size(); ++skip) {
      SCOPED_TRACE(std::string(c.command) + " without " + all[skip].name);
      std::vector<Field> fields = all;
      fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(skip));
      const Verdict v = check(received(build(c.command, fields)));
      EXPECT_EQ(v.rc, EBADMSG);
      EXPECT_EQ(v.error, "DIAMETER_MISSING_AVP");
      EXPECT_EQ(v.avp, all[skip].name);
    }
  }
}

TEST(RoamKeyRules, RequestChecksPositionAndCounts) {
  // Session-Id must come first (RFC 6733 sec. 8.8).
  std::vector<Field> late = plus(request_header(), {os("User-Name", kNai)});
  std::rotate(late.begin(), late.begin() + 1, late.end());
  Verdict v = check(received(build("Delegation-Request", late)));
  EXPECT_EQ(v.rc, EBADMSG);
  EXPECT_EQ(v.avp, "Session-Id");

  v = check(
      received(build("Delegation-Request", plus(request_header(), {os("User-Name", kNai), os("User-Name", kNai)}))));
  EXPECT_EQ(v.rc, EBADMSG);
  EXPECT_EQ(v.error, "DIAMETER_AVP_OCCURS_TOO_MANY_TIMES");
  EXPECT_EQ(v.avp, "User-Name");

  v = check(received(build("Delegation-Request",
                           plus(request_header(), {os("User-Name", kNai), os("Destination-Host", "a.home.example"),
                                                   os("Destination-Host", "b.home.example")}))));
  EXPECT_EQ(v.rc, EBADMSG);
  EXPECT_EQ(v.avp, "Destination-Host");

  // * [ Proxy-Info ] and * [ Route-Record ]: any number, as relays add them.
  const Field proxy = grp("Proxy-Info", {os("Proxy-Host", "relay.example"), os("Proxy-State", "s")});
  v = check(
      received(build("Delegation-Request",
                     plus(request_header(), {os("User-Name", kNai), os("Destination-Host", "a.home.example"), proxy,
                                             proxy, os("Route-Record", "r1.example"), os("Route-Record", "r2.example"),
                                             os("Route-Record", "r3.example")}))));
  EXPECT_EQ(v.rc, 0) << v.error << " " << v.avp;
}

TEST(RoamKeyRules, TskVectorContentIsEnforced) {
  Verdict v = check(received(build(
      "Key-Push-Request",
      plus(request_header(), {os("User-Name", kNai),
                              grp("TSK-Vector", {num("Key-Generation", 7), num("TSK-Lifetime", 3600),
                                                 num("KDF-Algorithm", 1), os("TSK-Key", std::string(32, 'k'))})}))));
  EXPECT_EQ(v.rc, EBADMSG);
  EXPECT_EQ(v.error, "DIAMETER_MISSING_AVP");
  EXPECT_EQ(v.avp, "TSK-RAND");

  const auto twice = tsk_vector({os("TSK-Key", std::string(32, 'k')), os("TSK-Key", std::string(32, 'k'))});
  v = check(received(build("Key-Push-Request", plus(request_header(), {os("User-Name", kNai), twice}))));
  EXPECT_EQ(v.rc, EBADMSG);
  EXPECT_EQ(v.avp, "TSK-Key");

  // "Exactly one of TSK-Key and Wrapped-TSK-Key" is the application's check:
  // a freeDiameter rule cannot express it.
  const auto wrapped =
      tsk_vector({os("Wrapped-TSK-Key", std::string(40, 'w')), os("Key-Wrap-Key-Id", "kek-1"), num("TSK-Max-Uses", 5)});
  v = check(received(build("Key-Push-Request", plus(request_header(), {os("User-Name", kNai), wrapped}))));
  EXPECT_EQ(v.rc, 0) << v.error << " " << v.avp;
}

std::vector<Field> answer_origin() {
  return {os("Origin-Host", "aaa.home.example"), os("Origin-Realm", "home.example")};
}

TEST(RoamKeyRules, SuccessAnswerOfSection3Passes) {
  const Verdict v = check(received(build(
      "Delegation-Answer", {os("Session-Id", "aaa.visited.example;1;2;test"), num("Auth-Application-Id", kApplication),
                            num("Auth-Session-State", 1), os("Origin-Host", "aaa.home.example"),
                            os("Origin-Realm", "home.example"), num("Result-Code", 2001), tsk_vector()})));
  EXPECT_EQ(v.rc, 0) << v.error << " " << v.avp;
}

// The answer freeDiameter's core sends for a request that breaks the request
// rules (fd_msg_parse_or_error): fd_msg_new_answer_from_req, then what
// fd_msg_rescode_set(type_id 1) adds, written out here because that function
// needs fd_msg_init(), which only fd_core_parseconf() runs.
TEST(RoamKeyRules, ErrorAnswerBuiltByTheCoreReachesTheRequester) {
  MsgPtr request = received(build("Delegation-Request", request_header()));  // no User-Name
  const Verdict v = check(request);
  ASSERT_EQ(v.rc, EBADMSG);
  ASSERT_EQ(v.error, "DIAMETER_MISSING_AVP");

  msg* m = request.release();
  if (const int rc = fd_msg_new_answer_from_req(running(), &m, 0); rc != 0) {
    fd_msg_free(m);
    FAIL() << "fd_msg_new_answer_from_req: " << rc;
  }
  MsgPtr answer(m);  // frees the request too
  msg_hdr* h = nullptr;
  ASSERT_EQ(fd_msg_hdr(m, &h), 0);
  EXPECT_EQ(h->msg_flags & CMD_FLAG_ERROR, 0);  // 5xxx: no E bit, so this answer's own rules apply
  add(m, plus(answer_origin(), {num("Result-Code", 5005), grp("Failed-AVP", {os("User-Name", "")}),
                                os("Error-Message", "DIAMETER_MISSING_AVP")}));

  const Verdict at_requester = check(received(answer));
  EXPECT_EQ(at_requester.rc, 0) << at_requester.error << " " << at_requester.avp;
}

TEST(RoamKeyRules, ProtocolErrorAnswerWithEBitReachesTheRequester) {
  msg* m = build("Delegation-Request", plus(request_header(), {os("User-Name", kNai)})).release();
  if (const int rc = fd_msg_new_answer_from_req(running(), &m, MSGFL_ANSW_ERROR); rc != 0) {
    fd_msg_free(m);
    FAIL() << "fd_msg_new_answer_from_req: " << rc;
  }
  MsgPtr answer(m);
  add(m, plus(answer_origin(),
              {num("Result-Code", 3002), os("Error-Message", "No suitable candidate to route the message to")}));
  const Verdict v = check(received(answer));
  EXPECT_EQ(v.rc, 0) << v.error << " " << v.avp;
}

TEST(RoamKeyRules, ExperimentalResultAnswerWithoutAuthAvpsPasses) {
  // 1.2.1 rescues a rule-breaking answer only when it has a Result-Code, so
  // an Experimental-Result answer must pass the rules (roamkey.xml comment).
  const Verdict v = check(received(build(
      "Home-Authentication-Answer",
      plus({os("Session-Id", "aaa.visited.example;1;2;test")},
           plus(answer_origin(),
                {grp("Experimental-Result", {num("Vendor-Id", kVendor), num("Experimental-Result-Code", 5405)})})))));
  EXPECT_EQ(v.rc, 0) << v.error << " " << v.avp;
}

TEST(RoamKeyRules, AnswerStillNeedsOriginAndSingleResult) {
  Verdict v = check(received(build(
      "Delegation-Answer", {os("Session-Id", "s"), os("Origin-Realm", "home.example"), num("Result-Code", 2001)})));
  EXPECT_EQ(v.rc, EBADMSG);
  EXPECT_EQ(v.avp, "Origin-Host");

  v = check(received(build(
      "Delegation-Answer",
      plus({os("Session-Id", "s")}, plus(answer_origin(), {num("Result-Code", 2001), num("Result-Code", 2001)})))));
  EXPECT_EQ(v.rc, EBADMSG);
  EXPECT_EQ(v.error, "DIAMETER_AVP_OCCURS_TOO_MANY_TIMES");
  EXPECT_EQ(v.avp, "Result-Code");
}

// ---- loading files ----------------------------------------------------------------

TEST(DictionaryLoading, SameFileTwiceIsFine) {
  const Dictionary again = load_dictionary(ROAMKEY_DICTIONARY_FILE);
  EXPECT_EQ(again.vendor_id(), kVendor);
  EXPECT_EQ(again.application_id(), kApplication);
  EXPECT_EQ(again.avp("TSK-RAND"), roamkey_dictionary().avp("TSK-RAND"));
  EXPECT_EQ(again.command("Delegation-Request"), roamkey_dictionary().command("Delegation-Request"));
  EXPECT_EQ(rules_of(again.command("Delegation-Request")).size(), 10u);  // no duplicates
}

// Writes dictionary files into a fresh directory. The tests share one
// running dictionary, so each file uses vendor codes, application ids and
// command codes of its own unless it means to collide.
class DictionaryFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (std::filesystem::temp_directory_path() / "roamkey-dictionary-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr) << std::generic_category().message(errno);
    dir_ = dir;
    path_ = dir_ / "dictionary.xml";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // One string per line, so that line numbers in the tests are easy to read.
  // Always the same file, so that at() is right whichever side of an
  // EXPECT_EQ the compiler evaluates first.
  std::filesystem::path write(std::initializer_list<std::string_view> lines) {
    std::ofstream out(path_, std::ios::trunc);
    for (const auto line : lines) out << line << '\n';
    return path_;
  }

  // The DictionaryError of loading the file, "" when it loads.
  std::string error_of(std::initializer_list<std::string_view> lines) {
    const auto file = write(lines);
    try {
      load_dictionary(file);
    } catch (const DictionaryError& e) {
      return e.what();
    }
    return "";
  }

  // "<file>:<line>: " of the file written.
  std::string at(int line) const { return path_.string() + ":" + std::to_string(line) + ": "; }

  std::filesystem::path dir_;
  std::filesystem::path path_;
};

TEST_F(DictionaryFile, XmlSyntaxErrorNamesTheLine) {
  const std::string e = error_of({
      "<dictionary>",
      "  <vendor vendor-id=\"T\" code=\"4200001\"/>",
      "  <application id=\"16900001\" name=\"Syntax\" vendor-id=\"T\">",
      "    <avp name=\"Broken\" code=\"1\" vendor-id=\"T\">",
      "  </application>",
      "</dictionary>",
  });
  EXPECT_EQ(e, at(5) + "XML syntax error: Start-end tags mismatch");
}

TEST_F(DictionaryFile, RootMustBeDictionary) {
  EXPECT_EQ(error_of({"<?xml version=\"1.0\"?>", "<dict/>"}),
            at(2) + "the root element must be <dictionary>, not <dict>");
}

TEST_F(DictionaryFile, MissingAttributes) {
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <vendor vendor-id=\"T\" code=\"4200002\"/>",
                "  <application id=\"16900002\" name=\"Missing\" vendor-id=\"T\">",
                "    <avp name=\"No-Code\" vendor-id=\"T\">",
                "      <type type-name=\"Unsigned32\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(4) + "avp \"No-Code\": missing attribute \"code\"");
  EXPECT_EQ(error_of({"<dictionary>", "  <vendor vendor-id=\"T\"/>", "</dictionary>"}),
            at(2) + "vendor \"T\": missing attribute \"code\"");
  EXPECT_EQ(error_of({"<dictionary>", "  <application name=\"No id\"/>", "</dictionary>"}),
            at(2) + "<application>: missing attribute \"id\"");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900003\" name=\"Missing rule name\">",
                "    <command name=\"C\" code=\"8390003\">",
                "      <requestrules>",
                "        <required>",
                "          <avprule maximum=\"1\"/>",
                "        </required>",
                "      </requestrules>",
                "    </command>",
                "  </application>",
                "</dictionary>",
            }),
            at(6) + "command \"C\" requestrules: <avprule>: missing attribute \"name\"");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900004\" name=\"Missing type name\">",
                "    <avp name=\"Typeless-Name\" code=\"4200004\">",
                "      <type/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(4) + "avp \"Typeless-Name\": <type>: missing attribute \"type-name\"");
}

TEST_F(DictionaryFile, BadNumbers) {
  for (const std::string_view code : {"12x", "-3", "4294967296", "", "0x10"}) {
    SCOPED_TRACE(code);
    const std::string line = "    <avp name=\"Bad-Code\" code=\"" + std::string(code) + "\">";
    const std::string e = error_of({
        "<dictionary>",
        "  <application id=\"16900005\" name=\"Numbers\">",
        line,
        "      <type type-name=\"Unsigned32\"/>",
        "    </avp>",
        "  </application>",
        "</dictionary>",
    });
    if (code.empty())
      EXPECT_EQ(e, at(3) + "avp \"Bad-Code\": empty attribute \"code\"");
    else
      EXPECT_EQ(e, at(3) + "avp \"Bad-Code\": bad number \"" + std::string(code) + "\" in attribute \"code\"");
  }
  EXPECT_EQ(error_of({"<dictionary>", "  <vendor vendor-id=\"T\" code=\"0x7ED9\"/>", "</dictionary>"}),
            at(2) + "vendor \"T\": bad number \"0x7ED9\" in attribute \"code\"");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900006\" name=\"Rule numbers\">",
                "    <command name=\"C\" code=\"8390006\">",
                "      <requestrules>",
                "        <fixed>",
                "          <avprule name=\"Session-Id\" maximum=\"two\"/>",
                "        </fixed>",
                "      </requestrules>",
                "    </command>",
                "  </application>",
                "</dictionary>",
            }),
            at(6) + "command \"C\" requestrules: avprule \"Session-Id\": bad number \"two\" in attribute \"maximum\"");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900007\" name=\"Enum numbers\">",
                "    <avp name=\"Enum-Numbers\" code=\"4200007\">",
                "      <type type-name=\"Enumerated\"/>",
                "      <enum name=\"ONE\" code=\"one\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(5) + "avp \"Enum-Numbers\": enum \"ONE\": bad number \"one\" in attribute \"code\"");
}

TEST_F(DictionaryFile, UnknownType) {
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <vendor vendor-id=\"T\" code=\"4200008\"/>",
                "  <application id=\"16900008\" name=\"Types\" vendor-id=\"T\">",
                "    <avp name=\"TSK-Key\" code=\"3\" mandatory=\"must\" vendor-id=\"T\">",
                "      <type type-name=\"OctetStrng\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(4) + "avp \"TSK-Key\": unknown type \"OctetStrng\"");
}

TEST_F(DictionaryFile, DuplicateAvpCodeInTheFile) {
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <vendor vendor-id=\"T\" code=\"4200009\"/>",
                "  <application id=\"16900009\" name=\"Duplicates\" vendor-id=\"T\">",
                "    <avp name=\"First\" code=\"7\" vendor-id=\"T\">",
                "      <type type-name=\"Unsigned32\"/>",
                "    </avp>",
                "    <avp name=\"Second\" code=\"7\" vendor-id=\"T\">",
                "      <type type-name=\"OctetString\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(7) + "avp \"Second\": code 7 of vendor 4200009 is already avp \"First\" (line 4)");
}

TEST_F(DictionaryFile, AvpCodeTakenByAnEarlierFile) {
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <vendor vendor-id=\"RoamKey\" code=\"32473\" name=\"RoamKey\"/>",
                "  <application id=\"16900010\" name=\"Taken code\" vendor-id=\"RoamKey\">",
                "    <avp name=\"Other-RAND\" code=\"2\" mandatory=\"must\" vendor-bit=\"must\" vendor-id=\"RoamKey\">",
                "      <type type-name=\"OctetString\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(4) +
                "avp \"Other-RAND\": conflicts with the existing avp \"TSK-RAND\" (code 2, vendor 32473, "
                "type OctetString)");
  EXPECT_THROW(roamkey_dictionary().avp("Other-RAND"), DictionaryError);
}

TEST_F(DictionaryFile, RulesNamingUnknownAvps) {
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900011\" name=\"Unknown rule\">",
                "    <command name=\"Rules\" code=\"8390011\">",
                "      <requestrules>",
                "        <required>",
                "          <avprule name=\"Usr-Name\" maximum=\"1\"/>",
                "        </required>",
                "      </requestrules>",
                "    </command>",
                "  </application>",
                "</dictionary>",
            }),
            at(6) + "command \"Rules\" requestrules: unknown AVP \"Usr-Name\"");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900012\" name=\"Unknown gavp\">",
                "    <avp name=\"Group\" code=\"4200012\">",
                "      <grouped>",
                "        <gavp name=\"Nope\"/>",
                "      </grouped>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(5) + "avp \"Group\" grouped: unknown AVP \"Nope\"");
}

TEST_F(DictionaryFile, CommandNeedsApplicationAndKnownVendor) {
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <vendor vendor-id=\"T\" code=\"4200013\"/>",
                "  <command name=\"Stray\" code=\"8390013\" vendor-id=\"T\"/>",
                "</dictionary>",
            }),
            at(3) + "command \"Stray\" must be inside an <application>");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900014\" name=\"Vendorless\">",
                "    <command name=\"C\" code=\"8390014\" vendor-id=\"Nobody\"/>",
                "  </application>",
                "</dictionary>",
            }),
            at(3) + "command \"C\": unknown vendor \"Nobody\"");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <vendor vendor-id=\"A\" code=\"4200015\"/>",
                "  <vendor vendor-id=\"B\" code=\"4200016\"/>",
                "  <application id=\"16900015\" name=\"Two vendors\" vendor-id=\"A\">",
                "    <command name=\"C\" code=\"8390015\" vendor-id=\"B\"/>",
                "  </application>",
                "</dictionary>",
            }),
            at(5) + "command \"C\": vendor 4200016 differs from vendor 4200015 of application \"Two vendors\"");
}

TEST_F(DictionaryFile, ConflictsWithTheRunningDictionary) {
  // Base protocol AVP with another type.
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900020\" name=\"Conflicts 1\">",
                "    <avp name=\"Session-Id\" code=\"263\" mandatory=\"must\">",
                "      <type type-name=\"Unsigned32\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(3) +
                "avp \"Session-Id\": conflicts with the existing avp \"Session-Id\" (code 263, vendor 0, "
                "type UTF8String)");
  // Command codes are global in 1.2.1 (notes sec. 2).
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900021\" name=\"Conflicts 2\">",
                "    <command name=\"Other\" code=\"8389000\"/>",
                "  </application>",
                "</dictionary>",
            }),
            at(3) + "command \"Other\": conflicts with the existing command \"Delegation-Request\" (code 8389000)");
  EXPECT_EQ(
      error_of({"<dictionary>", "  <vendor vendor-id=\"X\" code=\"32473\" name=\"Not RoamKey\"/>", "</dictionary>"}),
      at(2) + "vendor \"X\": conflicts with the existing vendor 32473 \"RoamKey\"");
  EXPECT_EQ(error_of({"<dictionary>", "  <application id=\"16809689\" name=\"Other Name\"/>", "</dictionary>"}),
            at(2) + "application 16809689: conflicts with the existing application 16809689 \"RoamKey Delegation\"");
}

TEST_F(DictionaryFile, ConflictingRedefinitionsOfRoamKeyObjects) {
  const char* vendor = "  <vendor vendor-id=\"RoamKey\" code=\"32473\" name=\"RoamKey\"/>";
  const char* application = "  <application id=\"16809689\" name=\"RoamKey Delegation\" vendor-id=\"RoamKey\">";
  // Same code, name, flags and base type, another derived type: freeDiameter
  // alone would take it for the same AVP.
  EXPECT_EQ(error_of({
                "<dictionary>",
                vendor,
                application,
                "    <avp name=\"TSK-Key\" code=\"3\" mandatory=\"must\" vendor-bit=\"must\" vendor-id=\"RoamKey\">",
                "      <type type-name=\"UTF8String\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(4) +
                "avp \"TSK-Key\": conflicts with the existing avp \"TSK-Key\" (code 3, vendor 32473, "
                "type OctetString)");
  EXPECT_EQ(
      error_of({
          "<dictionary>",
          vendor,
          application,
          "    <avp name=\"KDF-Algorithm\" code=\"9\" mandatory=\"must\" vendor-bit=\"must\" vendor-id=\"RoamKey\">",
          "      <type type-name=\"Enumerated\"/>",
          "      <enum name=\"HMAC-SHA-256\" code=\"2\"/>",
          "    </avp>",
          "  </application>",
          "</dictionary>",
      }),
      at(6) + "avp \"KDF-Algorithm\": enum \"HMAC-SHA-256\": conflicts with the existing enum \"HMAC-SHA-256\"");
  EXPECT_EQ(error_of({
                "<dictionary>",
                vendor,
                application,
                "    <command name=\"Delegation\" code=\"8389000\" vendor-id=\"RoamKey\" pbit=\"1\">",
                "      <requestrules>",
                "        <optional>",
                "          <avprule name=\"User-Name\" maximum=\"1\"/>",
                "        </optional>",
                "      </requestrules>",
                "    </command>",
                "  </application>",
                "</dictionary>",
            }),
            at(7) +
                "command \"Delegation\" requestrules: avprule \"User-Name\": conflicts with the existing rule "
                "for \"User-Name\" (required, minimum -1, maximum 1)");
  EXPECT_EQ(
      error_of({
          "<dictionary>",
          vendor,
          application,
          "    <avp name=\"KDF-Algorithm\" code=\"9\" mandatory=\"must\" vendor-bit=\"must\" vendor-id=\"RoamKey\">",
          "      <type type-name=\"Enumerated\"/>",
          "      <enum name=\"HMAC-SHA-512\" code=\"1\"/>",
          "    </avp>",
          "  </application>",
          "</dictionary>",
      }),
      at(6) + "avp \"KDF-Algorithm\": enum \"HMAC-SHA-512\": conflicts with the existing enum \"HMAC-SHA-256\"");
  EXPECT_EQ(roamkey_dictionary().enum_value("KDF-Algorithm", "HMAC-SHA-256"), 1);
  // Same name, another code.
  EXPECT_EQ(error_of({
                "<dictionary>",
                vendor,
                application,
                "    <avp name=\"TSK-RAND\" code=\"99\" mandatory=\"must\" vendor-bit=\"must\" vendor-id=\"RoamKey\">",
                "      <type type-name=\"OctetString\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(4) +
                "avp \"TSK-RAND\": conflicts with the existing avp \"TSK-RAND\" (code 2, vendor 32473, "
                "type OctetString)");
  EXPECT_EQ(
      error_of({
          "<dictionary>",
          vendor,
          application,
          "    <command name=\"Delegation\" code=\"8389099\" vendor-id=\"RoamKey\" pbit=\"1\"/>",
          "  </application>",
          "</dictionary>",
      }),
      at(4) + "command \"Delegation\": conflicts with the existing command \"Delegation-Request\" (code 8389000)");
  EXPECT_EQ(
      error_of({
          "<dictionary>",
          vendor,
          application,
          "    <command name=\"Delegation\" code=\"8389000\" vendor-id=\"RoamKey\"/>",
          "  </application>",
          "</dictionary>",
      }),
      at(4) + "command \"Delegation\": conflicts with the existing command \"Delegation-Request\" (code 8389000)");
  // The application exists, but without a vendor.
  EXPECT_EQ(error_of({"<dictionary>", "  <application id=\"16809689\" name=\"RoamKey Delegation\"/>", "</dictionary>"}),
            at(2) + "application 16809689: conflicts with the existing application 16809689 \"RoamKey Delegation\"");
}

TEST_F(DictionaryFile, StructureErrors) {
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900030\" name=\"Structure 1\">",
                "    <typedefn type-name=\"Address\" type-parent=\"OctetString\"/>",
                "  </application>",
                "</dictionary>",
            }),
            at(3) + "unexpected element <typedefn> in <application>");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900031\" name=\"Structure 2\">",
                "    <avp name=\"Count\" code=\"4200031\">",
                "      <type type-name=\"Unsigned32\"/>",
                "      <enum name=\"ONE\" code=\"1\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(3) + "avp \"Count\": <enum> needs type Enumerated, not \"Unsigned32\"");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <vendor vendor-id=\"T\" code=\"4200032\"/>",
                "  <application id=\"16900032\" name=\"Structure 3\" vendor-id=\"T\">",
                "    <avp name=\"No-V\" code=\"1\" vendor-bit=\"mustnot\" vendor-id=\"T\">",
                "      <type type-name=\"Unsigned32\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(4) + "avp \"No-V\": vendor-bit must be \"must\" for an AVP of vendor 4200032");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900033\" name=\"Structure 4\">",
                "    <avp name=\"Typeless\" code=\"4200033\"/>",
                "  </application>",
                "</dictionary>",
            }),
            at(3) + "avp \"Typeless\": needs a <type> or a <grouped>");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900034\" name=\"Structure 5\">",
                "    <command name=\"C\" code=\"8390034\">",
                "      <requestrules>",
                "        <required>",
                "          <avprule name=\"User-Name\" minimum=\"0\" maximum=\"1\"/>",
                "        </required>",
                "      </requestrules>",
                "    </command>",
                "  </application>",
                "</dictionary>",
            }),
            at(6) +
                "command \"C\" requestrules: avprule \"User-Name\" has minimum 0 in <required>: put it in "
                "<optional>");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900035\" name=\"Structure 6\">",
                "    <command name=\"C\" code=\"8390035\">",
                "      <answerrules>",
                "        <required>",
                "          <avprule name=\"Result-Code\" maximum=\"1\"/>",
                "        </required>",
                "        <optional>",
                "          <avprule name=\"Result-Code\" maximum=\"1\"/>",
                "        </optional>",
                "      </answerrules>",
                "    </command>",
                "  </application>",
                "</dictionary>",
            }),
            at(9) +
                "command \"C\" answerrules: avprule \"Result-Code\" appears twice (first at line 6, in "
                "<required>)");
  EXPECT_EQ(error_of({"<dictionary>", "  <application id=\"16900036\" name=\"Structure 7\">", "    text",
                      "  </application>", "</dictionary>"}),
            at(3) + "unexpected text in <application>");
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <application id=\"16900037\" name=\"Structure 8\">",
                "    <avp name=\"P-Bit\" code=\"4200037\" protected=\"must\">",
                "      <type type-name=\"Unsigned32\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(3) + "avp \"P-Bit\": protected=\"must\" is not possible, RFC 6733 sec. 4.1 reserves the P bit");
}

TEST_F(DictionaryFile, MissingFile) {
  const auto file = dir_ / "absent.xml";
  try {
    load_dictionary(file);
    FAIL() << "no exception";
  } catch (const DictionaryError& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ": cannot open: No such file or directory");
  }
}

TEST_F(DictionaryFile, BrokenFileRegistersNothing) {
  EXPECT_EQ(error_of({
                "<dictionary>",
                "  <vendor vendor-id=\"Atomic\" code=\"4200040\"/>",
                "  <application id=\"16900040\" name=\"Atomic\" vendor-id=\"Atomic\">",
                "    <avp name=\"Atomic-Good\" code=\"1\" vendor-id=\"Atomic\">",
                "      <type type-name=\"Unsigned32\"/>",
                "    </avp>",
                "    <avp name=\"Atomic-Bad\" code=\"2\" vendor-id=\"Atomic\">",
                "      <type type-name=\"Unsigned31\"/>",
                "    </avp>",
                "  </application>",
                "</dictionary>",
            }),
            at(7) + "avp \"Atomic-Bad\": unknown type \"Unsigned31\"");
  EXPECT_EQ(find_vendor(4200040), nullptr);
  EXPECT_EQ(find_avp_anywhere("Atomic-Good"), nullptr);
  EXPECT_THROW(roamkey_dictionary().application("Atomic"), DictionaryError);
}

TEST_F(DictionaryFile, IdenticalBaseAvpIsNotRedefined) {
  dict_object* before = roamkey_dictionary().avp("User-Name");
  write({
      "<dictionary>",
      "  <application id=\"16900050\" name=\"Base again\">",
      "    <avp name=\"User-Name\" code=\"1\" mandatory=\"must\" vendor-bit=\"mustnot\">",
      "      <type type-name=\"UTF8String\"/>",
      "    </avp>",
      "  </application>",
      "</dictionary>",
  });
  ASSERT_NO_THROW(load_dictionary(path_));
  EXPECT_EQ(roamkey_dictionary().avp("User-Name"), before);
  EXPECT_EQ(type_of(before), "UTF8String");
}

TEST_F(DictionaryFile, ReadsDerivedTypesGavpAndCommandsWithoutPBit) {
  write({
      "<dictionary>",
      "  <vendor vendor-id=\"Types\" code=\"4200060\" name=\"Types Inc\"/>",
      "  <application id=\"16900060\" name=\"Types\" vendor-id=\"Types\">",
      "    <command name=\"Plain\" code=\"8390060\" vendor-id=\"None\">",
      "      <requestrules>",
      "        <optional><avprule name=\"Proxy-Info\" maximum=\"none\"/></optional>",
      "      </requestrules>",
      "    </command>",
      "    <avp name=\"Types-Identity\" code=\"1\" vendor-id=\"Types\"><type type-name=\"DiameterIdentity\"/></avp>",
      "    <avp name=\"Types-Address\" code=\"2\" vendor-id=\"Types\"><type type-name=\"Address\"/></avp>",
      "    <avp name=\"Types-Time\" code=\"3\" vendor-id=\"Types\"><type type-name=\"Time\"/></avp>",
      "    <avp name=\"Types-U64\" code=\"4\" vendor-id=\"Types\"><type type-name=\"Unsigned64\"/></avp>",
      "    <avp name=\"Types-I64\" code=\"5\" vendor-id=\"Types\"><type type-name=\"Integer64\"/></avp>",
      "    <avp name=\"Types-F64\" code=\"6\" vendor-id=\"Types\"><type type-name=\"Float64\"/></avp>",
      "    <avp name=\"Types-Group\" code=\"7\" mandatory=\"mustnot\" vendor-id=\"Types\">",
      "      <grouped>",
      "        <gavp name=\"Types-Identity\"/>",
      "        <gavp name=\"Origin-Host\"/>",
      "      </grouped>",
      "    </avp>",
      "  </application>",
      "</dictionary>",
  });
  const Dictionary d = load_dictionary(path_);
  EXPECT_EQ(d.vendor_id(), 4200060u);
  EXPECT_EQ(d.vendors()[0].name, "Types Inc");
  const std::pair<const char*, std::pair<dict_avp_basetype, const char*>> rows[] = {
      {"Types-Identity", {AVP_TYPE_OCTETSTRING, "DiameterIdentity"}},
      {"Types-Address", {AVP_TYPE_OCTETSTRING, "Address"}},
      {"Types-Time", {AVP_TYPE_OCTETSTRING, "Time"}},
      {"Types-U64", {AVP_TYPE_UNSIGNED64, ""}},
      {"Types-I64", {AVP_TYPE_INTEGER64, ""}},
      {"Types-F64", {AVP_TYPE_FLOAT64, ""}},
      {"Types-Group", {AVP_TYPE_GROUPED, ""}},
  };
  for (const auto& [name, expected] : rows) {
    SCOPED_TRACE(name);
    dict_object* obj = d.avp(name);
    EXPECT_EQ(avp_data(obj).avp_basetype, expected.first);
    EXPECT_EQ(type_of(obj), expected.second);
    EXPECT_EQ(avp_data(obj).avp_vendor, 4200060u);
  }
  // No mandatory attribute: M is left to the sender; mustnot: M is fixed to 0.
  EXPECT_EQ(avp_data(d.avp("Types-Identity")).avp_flag_mask, AVP_FLAG_VENDOR);
  EXPECT_EQ(avp_data(d.avp("Types-Group")).avp_flag_mask, AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY);
  EXPECT_EQ(avp_data(d.avp("Types-Group")).avp_flag_val, AVP_FLAG_VENDOR);
  // Wireshark's <gavp>: "*[ AVP ]".
  EXPECT_EQ(rules_of(d.avp("Types-Group")), (Rules{{"Types-Identity", kOptionalMany}, {"Origin-Host", kOptionalMany}}));
  EXPECT_EQ(rules_of(d.command("Plain-Request")), (Rules{{"Proxy-Info", kOptionalMany}}));
  // No pbit: P is not part of the command.
  EXPECT_EQ(cmd_data(d.command("Plain-Request")).cmd_flag_mask, CMD_FLAG_REQUEST | CMD_FLAG_ERROR);
  EXPECT_EQ(cmd_data(d.command("Plain-Request")).cmd_flag_val, CMD_FLAG_REQUEST);
  EXPECT_EQ(cmd_data(d.command("Plain-Answer")).cmd_flag_mask, CMD_FLAG_REQUEST);
  EXPECT_EQ(cmd_data(d.command("Plain-Answer")).cmd_flag_val, 0);
}

TEST_F(DictionaryFile, IdsNeedAnApplicationWithAVendor) {
  write({"<dictionary>", "  <vendor vendor-id=\"Lone\" code=\"4200070\"/>", "</dictionary>"});
  const Dictionary no_app = load_dictionary(path_);
  try {
    no_app.application_id();
    FAIL() << "no exception";
  } catch (const DictionaryError& e) {
    EXPECT_EQ(std::string(e.what()), path_.string() + ": defines no <application>");
  }
  write({"<dictionary>", "  <application id=\"16900071\" name=\"Standards track\"/>", "</dictionary>"});
  const Dictionary no_vendor = load_dictionary(path_);
  EXPECT_EQ(no_vendor.application_id(), 16900071u);
  try {
    no_vendor.vendor_id();
    FAIL() << "no exception";
  } catch (const DictionaryError& e) {
    EXPECT_EQ(std::string(e.what()), path_.string() + ": application \"Standards track\" names no vendor-id");
  }
}

}  // namespace
}  // namespace roamkey::diameter
