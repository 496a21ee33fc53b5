#include "diameter/dictionary.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <fstream>
#include <map>
#include <optional>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "diameter/fd_includes.h"

// Two passes, like freeDiameter's own dict_legacy_xml: the XML nesting
// (application > command, application > avp, rules naming AVPs defined later)
// does not follow freeDiameter's creation order (vendor > application > type
// > avp > command > rule), so the file is first read and checked completely
// into the *Spec structures below, then registered.

namespace roamkey::diameter {

namespace {

// ---- the file ---------------------------------------------------------------

// The text of the dictionary file and its name, to report "<file>:<line>: ".
class SourceFile {
 public:
  SourceFile(std::string name, std::string text) : name_(std::move(name)), text_(std::move(text)) {
    for (std::size_t i = 0; i < text_.size(); ++i)
      if (text_[i] == '\n') newlines_.push_back(i);
  }

  const std::string& text() const { return text_; }

  // pugixml keeps the byte offset of every node in the buffer it parsed
  // (xml_node::offset_debug); the line is one more than the newlines before it.
  std::size_t line_at(std::ptrdiff_t offset) const {
    if (offset < 0) return 0;
    const auto before = std::lower_bound(newlines_.begin(), newlines_.end(), static_cast<std::size_t>(offset));
    return static_cast<std::size_t>(before - newlines_.begin()) + 1;
  }
  // A text node starts right after the preceding tag, usually on the line
  // before the text itself: report where its first visible character is.
  std::size_t line_of(const pugi::xml_node& node) const {
    std::ptrdiff_t offset = node.offset_debug();
    if (offset >= 0 && (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata)) {
      const auto visible = text_.find_first_not_of(" \t\r\n", static_cast<std::size_t>(offset));
      if (visible != std::string::npos) offset = static_cast<std::ptrdiff_t>(visible);
    }
    return line_at(offset);
  }

  [[noreturn]] void fail(std::size_t line, const std::string& problem) const {
    if (line == 0) throw DictionaryError(name_ + ": " + problem);
    throw DictionaryError(name_ + ":" + std::to_string(line) + ": " + problem);
  }
  [[noreturn]] void fail(const pugi::xml_node& node, const std::string& problem) const { fail(line_of(node), problem); }

 private:
  std::string name_;
  std::string text_;
  std::vector<std::size_t> newlines_;
};

std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// ---- what the file says -----------------------------------------------------

enum class Section { Fixed, Required, Optional };

const char* section_name(Section s) {
  switch (s) {
    case Section::Fixed: return "fixed";
    case Section::Required: return "required";
    case Section::Optional: return "optional";
  }
  return "?";
}

// One <avprule> or <gavp>: an element of an ABNF (RFC 6733 sec. 3.2).
struct RuleSpec {
  std::string avp;
  Section section = Section::Optional;
  unsigned order = 0;  // position in <fixed>, from 1
  int min = -1;        // -1: freeDiameter's default, 0 in <optional>, 1 elsewhere
  int max = -1;        // -1: unbounded
  std::size_t line = 0;
};

// The ABNF of a command's request or answer, or of a Grouped AVP.
struct RuleList {
  std::string owner;  // e.g. `command "Delegation" requestrules`, for messages
  std::vector<RuleSpec> rules;
};

struct EnumSpec {
  std::string name;
  std::int32_t value = 0;
  std::size_t line = 0;
};

struct AvpSpec {
  std::string name;
  std::uint32_t code = 0;
  std::uint32_t vendor = 0;
  std::uint8_t flag_mask = 0;
  std::uint8_t flag_val = 0;
  bool grouped = false;
  std::string type_name;  // empty when grouped
  std::vector<EnumSpec> enums;
  RuleList group;
  std::size_t line = 0;
  // Resolved against the running dictionary before anything is registered.
  dict_avp_basetype base = AVP_TYPE_OCTETSTRING;
  bool enumerated = false;              // gets its own "Enumerated(<name>)" type
  dict_object* derived_type = nullptr;  // an existing type: UTF8String, Address, ...
};

struct CommandSpec {
  std::string name;
  std::uint32_t code = 0;
  std::optional<bool> proxiable;  // pbit; unset: P is not part of the command
  std::size_t application = 0;    // index in FileSpec::applications
  RuleList request;
  RuleList answer;
  std::size_t line = 0;
};

struct ApplicationSpec {
  std::uint32_t id = 0;
  std::string name;
  std::uint32_t vendor = 0;  // 0: no vendor
  std::size_t line = 0;
};

struct VendorSpec {
  std::string key;  // the symbol vendor-id attributes refer to
  std::uint32_t id = 0;
  std::string name;
  std::size_t line = 0;
};

struct FileSpec {
  std::vector<VendorSpec> vendors;
  std::vector<ApplicationSpec> applications;
  std::vector<CommandSpec> commands;
  std::vector<AvpSpec> avps;
};

// ---- reading the XML ----------------------------------------------------------

// Values of the mandatory / vendor-bit / protected attributes (Wireshark's DTD).
enum class BitRule { Must, May, MustNot, ShouldNot };

class Reader {
 public:
  explicit Reader(const SourceFile& src) : src_(src) {}

  FileSpec read(const pugi::xml_document& doc) {
    const pugi::xml_node root = doc.document_element();
    if (std::string_view(root.name()) != "dictionary")
      src_.fail(root, "the root element must be <dictionary>, not <" + std::string(root.name()) + ">");
    // Vendors first: <avp vendor-id> may name a vendor declared further down,
    // as in Wireshark's own dictionary.xml.
    for (const pugi::xml_node child : elements(root, "dictionary"))
      if (std::string_view(child.name()) == "vendor") read_vendor(child);
    for (const pugi::xml_node child : elements(root, "dictionary")) {
      const std::string_view tag = child.name();
      if (tag == "vendor") continue;
      if (tag == "application") {
        read_application(child);
      } else if (tag == "command" || tag == "avp") {
        src_.fail(child, std::string(tag) + " " + in_quotes(child.attribute("name").value()) +
                             " must be inside an <application>");
      } else {
        unexpected(child, "dictionary");
      }
    }
    return std::move(spec_);
  }

 private:
  // Element children of `node`; text inside structural elements is an error
  // (pugixml drops whitespace-only text and, by default, comments).
  std::vector<pugi::xml_node> elements(const pugi::xml_node& node, std::string_view where) const {
    std::vector<pugi::xml_node> out;
    for (const pugi::xml_node child : node.children()) {
      if (child.type() == pugi::node_element)
        out.push_back(child);
      else if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
        src_.fail(child, "unexpected text in <" + std::string(where) + ">");
    }
    return out;
  }

  [[noreturn]] void unexpected(const pugi::xml_node& node, std::string_view where) const {
    src_.fail(node, "unexpected element <" + std::string(node.name()) + "> in <" + std::string(where) + ">");
  }

  static std::optional<std::string> optional_attr(const pugi::xml_node& node, const char* name) {
    const pugi::xml_attribute a = node.attribute(name);
    if (!a) return std::nullopt;
    return std::string(a.value());
  }

  std::string required_attr(const pugi::xml_node& node, const char* name, const std::string& what) const {
    auto v = optional_attr(node, name);
    if (!v) src_.fail(node, what + ": missing attribute " + in_quotes(name));
    if (v->empty()) src_.fail(node, what + ": empty attribute " + in_quotes(name));
    return *v;
  }

  // Decimal only: dictionary numbers are IANA codes, written as in the RFCs.
  std::uint32_t parse_u32(const pugi::xml_node& node, const char* attr, const std::string& text,
                          const std::string& what) const {
    std::uint32_t v = 0;
    const char* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || p != end)
      src_.fail(node, what + ": bad number " + in_quotes(text) + " in attribute " + in_quotes(attr));
    return v;
  }

  std::uint32_t u32(const pugi::xml_node& node, const char* attr, const std::string& what) const {
    return parse_u32(node, attr, required_attr(node, attr, what), what);
  }

  std::int32_t i32(const pugi::xml_node& node, const char* attr, const std::string& what) const {
    const std::string text = required_attr(node, attr, what);
    std::int32_t v = 0;
    const char* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || p != end)
      src_.fail(node, what + ": bad number " + in_quotes(text) + " in attribute " + in_quotes(attr));
    return v;
  }

  // A rule count: a number up to INT_MAX (freeDiameter stores an int).
  int count(const pugi::xml_node& node, const char* attr, const std::string& text, const std::string& what) const {
    const std::uint32_t v = parse_u32(node, attr, text, what);
    if (v > static_cast<std::uint32_t>(INT_MAX))
      src_.fail(node, what + ": bad number " + in_quotes(text) + " in attribute " + in_quotes(attr));
    return static_cast<int>(v);
  }

  std::optional<BitRule> bit_rule(const pugi::xml_node& node, const char* attr, const std::string& what) const {
    const auto v = optional_attr(node, attr);
    if (!v) return std::nullopt;
    if (*v == "must") return BitRule::Must;
    if (*v == "may") return BitRule::May;
    if (*v == "mustnot") return BitRule::MustNot;
    if (*v == "shouldnot") return BitRule::ShouldNot;
    src_.fail(node, what + ": attribute " + in_quotes(attr) + " must be must, may, mustnot or shouldnot, not " +
                        in_quotes(*v));
  }

  // The vendor a vendor-id attribute names; 0 when absent or "None"
  // (Wireshark's spelling for the IETF).
  std::uint32_t vendor_ref(const pugi::xml_node& node, const std::string& what) const {
    const auto key = optional_attr(node, "vendor-id");
    if (!key || *key == "None") return 0;
    const auto it = vendor_keys_.find(*key);
    if (it == vendor_keys_.end()) src_.fail(node, what + ": unknown vendor " + in_quotes(*key));
    return spec_.vendors[it->second].id;
  }

  void read_vendor(const pugi::xml_node& node) {
    VendorSpec v;
    v.line = src_.line_of(node);
    v.key = required_attr(node, "vendor-id", "<vendor>");
    const std::string what = "vendor " + in_quotes(v.key);
    v.id = u32(node, "code", what);
    v.name = optional_attr(node, "name").value_or(v.key);
    if (v.id == 0) src_.fail(node, what + ": code 0 is the IETF, which needs no <vendor>");
    if (const auto inner = elements(node, "vendor"); !inner.empty()) unexpected(inner.front(), "vendor");
    for (const auto& other : spec_.vendors) {
      if (other.key == v.key)
        src_.fail(node, what + " is declared twice (first at line " + std::to_string(other.line) + ")");
      if (other.id == v.id)
        src_.fail(node, what + ": code " + std::to_string(v.id) + " is already vendor " + in_quotes(other.key) +
                            " (line " + std::to_string(other.line) + ")");
    }
    vendor_keys_.emplace(v.key, spec_.vendors.size());
    spec_.vendors.push_back(std::move(v));
  }

  void read_application(const pugi::xml_node& node) {
    ApplicationSpec app;
    app.line = src_.line_of(node);
    app.id = u32(node, "id", "<application>");
    const std::string what = "application " + std::to_string(app.id);
    // freeDiameter reserves id 0 for the base protocol it defines itself.
    if (app.id == 0) src_.fail(node, what + ": id 0 is the base protocol, which freeDiameter defines itself");
    app.name = required_attr(node, "name", what);
    app.vendor = vendor_ref(node, what);
    for (const auto& other : spec_.applications) {
      if (other.id == app.id || other.name == app.name)
        src_.fail(node, what + " " + in_quotes(app.name) + " is declared twice (first at line " +
                            std::to_string(other.line) + ")");
    }
    const std::size_t index = spec_.applications.size();
    spec_.applications.push_back(app);
    for (const pugi::xml_node child : elements(node, "application")) {
      const std::string_view tag = child.name();
      if (tag == "command")
        read_command(child, index);
      else if (tag == "avp")
        read_avp(child);
      else
        unexpected(child, "application");
    }
  }

  void read_command(const pugi::xml_node& node, std::size_t application) {
    CommandSpec cmd;
    cmd.line = src_.line_of(node);
    cmd.application = application;
    cmd.name = required_attr(node, "name", "<command>");
    const std::string what = "command " + in_quotes(cmd.name);
    cmd.code = u32(node, "code", what);
    const std::uint32_t vendor = vendor_ref(node, what);
    const ApplicationSpec& app = spec_.applications[application];
    if (vendor != 0 && app.vendor != 0 && vendor != app.vendor)
      src_.fail(node, what + ": vendor " + std::to_string(vendor) + " differs from vendor " +
                          std::to_string(app.vendor) + " of application " + in_quotes(app.name));
    if (const auto pbit = optional_attr(node, "pbit")) {
      if (*pbit != "0" && *pbit != "1")
        src_.fail(node, what + ": attribute \"pbit\" must be 0 or 1, not " + in_quotes(*pbit));
      cmd.proxiable = (*pbit == "1");
    }
    for (const auto& other : spec_.commands) {
      if (other.name == cmd.name)
        src_.fail(node, what + " is defined twice (first at line " + std::to_string(other.line) + ")");
      if (other.code == cmd.code)
        src_.fail(node, what + ": code " + std::to_string(cmd.code) + " is already command " + in_quotes(other.name) +
                            " (line " + std::to_string(other.line) + ")");
    }
    cmd.request.owner = what + " requestrules";
    cmd.answer.owner = what + " answerrules";
    bool seen_request = false;
    bool seen_answer = false;
    for (const pugi::xml_node child : elements(node, "command")) {
      const std::string_view tag = child.name();
      if (tag == "requestrules") {
        if (seen_request) src_.fail(child, what + ": second <requestrules>");
        seen_request = true;
        read_rule_sections(child, cmd.request, false);
      } else if (tag == "answerrules") {
        if (seen_answer) src_.fail(child, what + ": second <answerrules>");
        seen_answer = true;
        read_rule_sections(child, cmd.answer, false);
      } else {
        unexpected(child, "command");
      }
    }
    spec_.commands.push_back(std::move(cmd));
  }

  // <fixed>, <required>, <optional> of a command's rules or of <grouped>;
  // <grouped> also takes Wireshark's bare <gavp name>, read as "*[ AVP ]".
  void read_rule_sections(const pugi::xml_node& node, RuleList& list, bool grouped) {
    const std::string where = node.name();
    std::set<std::string> seen_sections;
    for (const pugi::xml_node child : elements(node, where)) {
      const std::string tag = child.name();
      if (grouped && tag == "gavp") {
        RuleSpec r;
        r.line = src_.line_of(child);
        r.avp = required_attr(child, "name", list.owner + ": <gavp>");
        r.section = Section::Optional;
        add_rule(child, list, std::move(r));
        continue;
      }
      Section section;
      if (tag == "fixed")
        section = Section::Fixed;
      else if (tag == "required")
        section = Section::Required;
      else if (tag == "optional")
        section = Section::Optional;
      else
        unexpected(child, where);
      if (!seen_sections.insert(tag).second) src_.fail(child, list.owner + ": second <" + tag + ">");
      unsigned order = 0;
      for (const pugi::xml_node rule : elements(child, tag)) {
        if (std::string_view(rule.name()) != "avprule") unexpected(rule, tag);
        RuleSpec r;
        r.line = src_.line_of(rule);
        r.section = section;
        r.avp = required_attr(rule, "name", list.owner + ": <avprule>");
        const std::string what = list.owner + ": avprule " + in_quotes(r.avp);
        if (const auto min = optional_attr(rule, "minimum")) r.min = count(rule, "minimum", *min, what);
        // "none" is the default of Wireshark's DTD: no maximum.
        if (const auto max = optional_attr(rule, "maximum"); max && *max != "none")
          r.max = count(rule, "maximum", *max, what);
        if (section == Section::Fixed) r.order = ++order;
        add_rule(rule, list, std::move(r));
      }
    }
  }

  void add_rule(const pugi::xml_node& node, RuleList& list, RuleSpec r) {
    const std::string what = list.owner + ": avprule " + in_quotes(r.avp);
    const int min = r.min != -1 ? r.min : (r.section == Section::Optional ? 0 : 1);
    if (r.section == Section::Required && min == 0)
      src_.fail(node, what + " has minimum 0 in <required>: put it in <optional>");
    if (r.section == Section::Optional && min > 0)
      src_.fail(node, what + " has minimum " + std::to_string(min) + " in <optional>: put it in <required>");
    if (r.max != -1 && min > r.max)
      src_.fail(node, what + ": minimum " + std::to_string(min) + " is above maximum " + std::to_string(r.max));
    for (const auto& other : list.rules)
      if (other.avp == r.avp)
        src_.fail(node, what + " appears twice (first at line " + std::to_string(other.line) + ", in <" +
                            section_name(other.section) + ">)");
    list.rules.push_back(std::move(r));
  }

  void read_avp(const pugi::xml_node& node) {
    AvpSpec avp;
    avp.line = src_.line_of(node);
    avp.name = required_attr(node, "name", "<avp>");
    const std::string what = "avp " + in_quotes(avp.name);
    avp.code = u32(node, "code", what);
    avp.vendor = vendor_ref(node, what);
    set_flags(node, avp, what);
    // RFC 6733 sec. 4.5 (E2E security) was never specified; accepted and unused.
    if (const auto enc = optional_attr(node, "may-encrypt"); enc && *enc != "yes" && *enc != "no")
      src_.fail(node, what + ": attribute \"may-encrypt\" must be yes or no, not " + in_quotes(*enc));

    std::optional<pugi::xml_node> type_node;
    std::optional<pugi::xml_node> grouped_node;
    avp.group.owner = what + " grouped";
    for (const pugi::xml_node child : elements(node, "avp")) {
      const std::string_view tag = child.name();
      if (tag == "type") {
        if (type_node || grouped_node) src_.fail(child, what + ": a second <type> or <grouped>");
        type_node = child;
        avp.type_name = required_attr(child, "type-name", what + ": <type>");
        if (avp.type_name == "Grouped") src_.fail(child, what + ": write a Grouped AVP as <grouped>, not as a <type>");
        if (const auto inner = elements(child, "type"); !inner.empty()) unexpected(inner.front(), "type");
      } else if (tag == "grouped") {
        if (type_node || grouped_node) src_.fail(child, what + ": a second <type> or <grouped>");
        grouped_node = child;
        avp.grouped = true;
        read_rule_sections(child, avp.group, true);
      } else if (tag == "enum") {
        read_enum(child, avp, what);
      } else {
        unexpected(child, "avp");
      }
    }
    if (!type_node && !grouped_node) src_.fail(node, what + ": needs a <type> or a <grouped>");
    if (!avp.enums.empty() && avp.type_name != "Enumerated")
      src_.fail(node, what + ": <enum> needs type Enumerated, not " +
                          (avp.grouped ? std::string("Grouped") : in_quotes(avp.type_name)));

    for (const auto& other : spec_.avps) {
      if (other.name == avp.name)
        src_.fail(node, what + " is defined twice (first at line " + std::to_string(other.line) + ")");
      if (other.code == avp.code && other.vendor == avp.vendor)
        src_.fail(node, what + ": code " + std::to_string(avp.code) + " of vendor " + std::to_string(avp.vendor) +
                            " is already avp " + in_quotes(other.name) + " (line " + std::to_string(other.line) + ")");
    }
    spec_.avps.push_back(std::move(avp));
  }

  // RFC 6733 sec. 4.1: V says a Vendor-ID field follows, so it must match
  // the vendor; M as the dictionary says; P is reserved and always 0.
  void set_flags(const pugi::xml_node& node, AvpSpec& avp, const std::string& what) const {
    const auto mandatory = bit_rule(node, "mandatory", what);
    if (mandatory == BitRule::Must) {
      avp.flag_mask |= AVP_FLAG_MANDATORY;
      avp.flag_val |= AVP_FLAG_MANDATORY;
    } else if (mandatory == BitRule::MustNot) {
      avp.flag_mask |= AVP_FLAG_MANDATORY;
    }
    const auto vendor_bit = bit_rule(node, "vendor-bit", what);
    avp.flag_mask |= AVP_FLAG_VENDOR;
    if (avp.vendor != 0) {
      if (vendor_bit && vendor_bit != BitRule::Must)
        src_.fail(node, what + ": vendor-bit must be \"must\" for an AVP of vendor " + std::to_string(avp.vendor));
      avp.flag_val |= AVP_FLAG_VENDOR;
    } else if (vendor_bit == BitRule::Must) {
      src_.fail(node, what + ": vendor-bit \"must\" needs a vendor-id");
    }
    if (bit_rule(node, "protected", what) == BitRule::Must)
      src_.fail(node, what + ": protected=\"must\" is not possible, RFC 6733 sec. 4.1 reserves the P bit");
  }

  void read_enum(const pugi::xml_node& node, AvpSpec& avp, const std::string& what) const {
    EnumSpec e;
    e.line = src_.line_of(node);
    e.name = required_attr(node, "name", what + ": <enum>");
    e.value = i32(node, "code", what + ": enum " + in_quotes(e.name));
    for (const auto& other : avp.enums) {
      if (other.name == e.name)
        src_.fail(node, what + ": enum " + in_quotes(e.name) + " is defined twice (first at line " +
                            std::to_string(other.line) + ")");
      if (other.value == e.value)
        src_.fail(node, what + ": enum " + in_quotes(e.name) + ": code " + std::to_string(e.value) + " is already " +
                            in_quotes(other.name) + " (line " + std::to_string(other.line) + ")");
    }
    avp.enums.push_back(std::move(e));
  }

  const SourceFile& src_;
  FileSpec spec_;
  std::map<std::string, std::size_t, std::less<>> vendor_keys_;
};

// ---- registering into freeDiameter -------------------------------------------

dictionary* running_dictionary() {
  if (fd_g_config == nullptr || fd_g_config->cnf_dict == nullptr)
    throw DictionaryError("freeDiameter is not initialised: call fd_core_initialize() before loading a dictionary");
  return fd_g_config->cnf_dict;
}

const char* basetype_name(dict_avp_basetype t) {
  switch (t) {
    case AVP_TYPE_GROUPED: return "Grouped";
    case AVP_TYPE_OCTETSTRING: return "OctetString";
    case AVP_TYPE_INTEGER32: return "Integer32";
    case AVP_TYPE_INTEGER64: return "Integer64";
    case AVP_TYPE_UNSIGNED32: return "Unsigned32";
    case AVP_TYPE_UNSIGNED64: return "Unsigned64";
    case AVP_TYPE_FLOAT32: return "Float32";
    case AVP_TYPE_FLOAT64: return "Float64";
  }
  return "?";
}

// The RFC 6733 sec. 4.2 basic formats; derived formats come from the running
// dictionary (fd_core_initialize defines UTF8String, DiameterIdentity,
// DiameterURI, Address, Time, IPFilterRule) and "Enumerated" is made per AVP.
std::optional<dict_avp_basetype> basic_format(std::string_view name) {
  static const std::pair<std::string_view, dict_avp_basetype> formats[] = {
      {"OctetString", AVP_TYPE_OCTETSTRING}, {"Integer32", AVP_TYPE_INTEGER32},   {"Integer64", AVP_TYPE_INTEGER64},
      {"Unsigned32", AVP_TYPE_UNSIGNED32},   {"Unsigned64", AVP_TYPE_UNSIGNED64}, {"Float32", AVP_TYPE_FLOAT32},
      {"Float64", AVP_TYPE_FLOAT64},
  };
  for (const auto& [n, t] : formats)
    if (n == name) return t;
  return std::nullopt;
}

// freeDiameter's name for the type of an Enumerated AVP, as in its base dictionary.
std::string enumerated_type_name(const std::string& avp) {
  return "Enumerated(" + avp + ")";
}

std::string type_label(dict_object* type, dict_avp_basetype base) {
  if (type == nullptr) return basetype_name(base);
  dict_type_data td{};
  if (fd_dict_getval(type, &td) != 0 || td.type_name == nullptr) return basetype_name(base);
  return td.type_name;
}

// Names an existing dictionary object in an error message.
std::string describe(dictionary* dict, dict_object* obj) {
  enum dict_object_type type;
  if (obj == nullptr || fd_dict_gettype(obj, &type) != 0) return "definition";
  switch (type) {
    case DICT_VENDOR: {
      dict_vendor_data d{};
      fd_dict_getval(obj, &d);
      return "vendor " + std::to_string(d.vendor_id) + " " + in_quotes(d.vendor_name ? d.vendor_name : "");
    }
    case DICT_APPLICATION: {
      dict_application_data d{};
      fd_dict_getval(obj, &d);
      return "application " + std::to_string(d.application_id) + " " +
             in_quotes(d.application_name ? d.application_name : "");
    }
    case DICT_TYPE: {
      dict_type_data d{};
      fd_dict_getval(obj, &d);
      return "type " + in_quotes(d.type_name ? d.type_name : "") + " (" + basetype_name(d.type_base) + ")";
    }
    case DICT_ENUMVAL: {
      dict_enumval_data d{};
      fd_dict_getval(obj, &d);
      return "enum " + in_quotes(d.enum_name ? d.enum_name : "");
    }
    case DICT_AVP: {
      dict_avp_data d{};
      fd_dict_getval(obj, &d);
      dict_object* t = nullptr;
      fd_dict_search(dict, DICT_TYPE, TYPE_OF_AVP, obj, &t, 0);
      return "avp " + in_quotes(d.avp_name ? d.avp_name : "") + " (code " + std::to_string(d.avp_code) + ", vendor " +
             std::to_string(d.avp_vendor) + ", type " + type_label(t, d.avp_basetype) + ")";
    }
    case DICT_COMMAND: {
      dict_cmd_data d{};
      fd_dict_getval(obj, &d);
      return "command " + in_quotes(d.cmd_name ? d.cmd_name : "") + " (code " + std::to_string(d.cmd_code) + ")";
    }
    case DICT_RULE: {
      dict_rule_data d{};
      fd_dict_getval(obj, &d);
      dict_avp_data a{};
      if (d.rule_avp != nullptr) fd_dict_getval(d.rule_avp, &a);
      const char* position = d.rule_position == RULE_FIXED_HEAD ? "fixed"
                             : d.rule_position == RULE_REQUIRED ? "required"
                             : d.rule_position == RULE_OPTIONAL ? "optional"
                                                                : "fixed tail";
      return "rule for " + in_quotes(a.avp_name ? a.avp_name : "") + " (" + position + ", minimum " +
             std::to_string(d.rule_min) + ", maximum " + std::to_string(d.rule_max) + ")";
    }
  }
  return "definition";
}

// freeDiameter 1.2.1's fd_dict_new accepts an identical duplicate and reports
// a conflicting one with EEXIST (notes sec. 2), but it leaks the copied name
// every time it meets a duplicate (fixed upstream in 73cb423, 2021) and
// compares less than we need: not the derived type of an AVP, not the vendor
// of an application. So each object is first looked up by every key
// freeDiameter indexes it by; an existing one must be identical and is
// reused, and fd_dict_new only ever creates new objects.
class Registrar {
 public:
  Registrar(const SourceFile& src, FileSpec& spec, dictionary* dict) : src_(src), spec_(spec), dict_(dict) {}

  // Everything that needs the running dictionary but changes nothing in it:
  // AVP types and the AVPs that rules name without defining them.
  void resolve() {
    std::set<std::string, std::less<>> local;
    for (const auto& avp : spec_.avps) local.insert(avp.name);
    for (auto& avp : spec_.avps) {
      resolve_type(avp);
      if (avp.grouped) resolve_rules(avp.group, local);
    }
    for (const auto& cmd : spec_.commands) {
      resolve_rules(cmd.request, local);
      resolve_rules(cmd.answer, local);
    }
  }

  void register_all() {
    for (const auto& v : spec_.vendors) register_vendor(v);
    for (const auto& app : spec_.applications) register_application(app);
    for (const auto& avp : spec_.avps) register_avp(avp);
    for (const auto& avp : spec_.avps)
      if (avp.grouped) register_rules(avp.group, avps_.at(avp.name));
    for (const auto& cmd : spec_.commands) register_command(cmd);
  }

 private:
  void resolve_type(AvpSpec& avp) const {
    if (avp.grouped) {
      avp.base = AVP_TYPE_GROUPED;
      return;
    }
    if (const auto basic = basic_format(avp.type_name)) {
      avp.base = *basic;
      return;
    }
    if (avp.type_name == "Enumerated") {  // RFC 6733 sec. 4.3.1: derived from Integer32
      avp.base = AVP_TYPE_INTEGER32;
      avp.enumerated = true;
      return;
    }
    dict_object* type = search(DICT_TYPE, TYPE_BY_NAME, avp.type_name.c_str());
    dict_type_data td{};
    if (type == nullptr || fd_dict_getval(type, &td) != 0)
      src_.fail(avp.line, "avp " + in_quotes(avp.name) + ": unknown type " + in_quotes(avp.type_name));
    avp.base = td.type_base;
    avp.derived_type = type;
  }

  void resolve_rules(const RuleList& list, const std::set<std::string, std::less<>>& local) {
    for (const auto& rule : list.rules) {
      if (local.count(rule.avp) != 0 || avps_.count(rule.avp) != 0) continue;
      // Vendor 0 first, then every vendor (freeDiameter's search order).
      dict_object* obj = search(DICT_AVP, AVP_BY_NAME_ALL_VENDORS, rule.avp.c_str());
      if (obj == nullptr) src_.fail(rule.line, list.owner + ": unknown AVP " + in_quotes(rule.avp));
      avps_.emplace(rule.avp, obj);
    }
  }

  // fd_dict_search leaves *result alone when nothing matches: start from null.
  dict_object* search(enum dict_object_type type, int criteria, const void* what) const {
    dict_object* obj = nullptr;
    if (fd_dict_search(dict_, type, criteria, what, &obj, ENOENT) != 0) return nullptr;
    return obj;
  }

  [[noreturn]] void conflict(std::size_t line, const std::string& what, dict_object* existing) const {
    src_.fail(line, what + ": conflicts with the existing " + describe(dict_, existing));
  }

  dict_object* create(std::size_t line, const std::string& what, enum dict_object_type type, void* data,
                      dict_object* parent) const {
    dict_object* obj = nullptr;
    const int rc = fd_dict_new(dict_, type, data, parent, &obj);
    if (rc == EEXIST) conflict(line, what, obj);
    if (rc != 0)
      src_.fail(line, what + ": freeDiameter refused the definition (" + std::generic_category().message(rc) + ")");
    return obj;
  }

  void register_vendor(const VendorSpec& v) {
    const std::string what = "vendor " + in_quotes(v.key);
    if (dict_object* existing = search(DICT_VENDOR, VENDOR_BY_ID, &v.id)) {
      dict_vendor_data d{};
      if (fd_dict_getval(existing, &d) != 0 || d.vendor_name == nullptr || v.name != d.vendor_name)
        conflict(v.line, what, existing);
      vendors_[v.id] = existing;
      return;
    }
    dict_vendor_data d{};
    d.vendor_id = v.id;
    d.vendor_name = const_cast<char*>(v.name.c_str());  // copied by freeDiameter
    vendors_[v.id] = create(v.line, what, DICT_VENDOR, &d, nullptr);
  }

  std::uint32_t vendor_of_application(dict_object* app) const {
    // An application without a parent answers with the vendor-0 object.
    dict_object* vendor = search(DICT_VENDOR, VENDOR_OF_APPLICATION, app);
    dict_vendor_data d{};
    if (vendor == nullptr || fd_dict_getval(vendor, &d) != 0) return 0;
    return d.vendor_id;
  }

  void register_application(const ApplicationSpec& app) {
    const std::string what = "application " + std::to_string(app.id);
    if (dict_object* existing = search(DICT_APPLICATION, APPLICATION_BY_ID, &app.id)) {
      dict_application_data d{};
      if (fd_dict_getval(existing, &d) != 0 || d.application_name == nullptr || app.name != d.application_name ||
          vendor_of_application(existing) != app.vendor)
        conflict(app.line, what, existing);
      applications_.push_back(existing);
      return;
    }
    dict_application_data d{};
    d.application_id = app.id;
    d.application_name = const_cast<char*>(app.name.c_str());
    dict_object* parent = app.vendor != 0 ? vendors_.at(app.vendor) : nullptr;
    applications_.push_back(create(app.line, what, DICT_APPLICATION, &d, parent));
  }

  dict_object* enumerated_type(const AvpSpec& avp, const std::string& what) const {
    const std::string name = enumerated_type_name(avp.name);
    if (dict_object* existing = search(DICT_TYPE, TYPE_BY_NAME, name.c_str())) {
      dict_type_data d{};
      if (fd_dict_getval(existing, &d) != 0 || d.type_base != AVP_TYPE_INTEGER32) conflict(avp.line, what, existing);
      return existing;
    }
    dict_type_data d{};
    d.type_base = AVP_TYPE_INTEGER32;
    d.type_name = const_cast<char*>(name.c_str());
    return create(avp.line, what, DICT_TYPE, &d, nullptr);
  }

  void register_enum(const EnumSpec& e, dict_object* type, const std::string& avp_what) const {
    const std::string what = avp_what + ": enum " + in_quotes(e.name);
    dict_enumval_request by_name{};
    by_name.type_obj = type;
    by_name.search.enum_name = const_cast<char*>(e.name.c_str());
    dict_enumval_request by_value{};
    by_value.type_obj = type;
    by_value.search.enum_value.i32 = e.value;
    dict_object* same_name = search(DICT_ENUMVAL, ENUMVAL_BY_STRUCT, &by_name);
    dict_object* same_value = search(DICT_ENUMVAL, ENUMVAL_BY_STRUCT, &by_value);
    if (same_name != nullptr || same_value != nullptr) {
      if (same_name != same_value) conflict(e.line, what, same_name != nullptr ? same_name : same_value);
      return;  // same name and same value: this very constant
    }
    dict_enumval_data d{};
    d.enum_name = const_cast<char*>(e.name.c_str());
    d.enum_value.i32 = e.value;
    create(e.line, what, DICT_ENUMVAL, &d, type);
  }

  dict_object* existing_avp(const AvpSpec& avp, const std::string& what) const {
    dict_object* by_code = nullptr;
    dict_object* by_name = nullptr;
    if (avp.vendor == 0) {  // AVP_BY_STRUCT ignores a vendor id of 0
      by_code = search(DICT_AVP, AVP_BY_CODE, &avp.code);
      by_name = search(DICT_AVP, AVP_BY_NAME, avp.name.c_str());
    } else {
      dict_avp_request_ex q{};
      q.avp_vendor.vendor_id = avp.vendor;
      q.avp_data.avp_code = avp.code;
      by_code = search(DICT_AVP, AVP_BY_STRUCT, &q);
      dict_avp_request_ex n{};
      n.avp_vendor.vendor_id = avp.vendor;
      n.avp_data.avp_name = avp.name.c_str();
      by_name = search(DICT_AVP, AVP_BY_STRUCT, &n);
    }
    if (by_code == nullptr && by_name == nullptr) return nullptr;
    if (by_code != by_name) conflict(avp.line, what, by_code != nullptr ? by_code : by_name);
    return by_code;
  }

  void register_avp(const AvpSpec& avp) {
    const std::string what = "avp " + in_quotes(avp.name);
    dict_object* type = avp.derived_type;
    if (avp.enumerated) {
      type = enumerated_type(avp, what);
      for (const auto& e : avp.enums) register_enum(e, type, what);
    }
    if (dict_object* existing = existing_avp(avp, what)) {
      dict_avp_data d{};
      if (fd_dict_getval(existing, &d) != 0 || d.avp_flag_mask != avp.flag_mask ||
          (d.avp_flag_val & d.avp_flag_mask) != (avp.flag_val & avp.flag_mask) || d.avp_basetype != avp.base ||
          search(DICT_TYPE, TYPE_OF_AVP, existing) != type)
        conflict(avp.line, what, existing);
      avps_[avp.name] = existing;
      return;
    }
    dict_avp_data d{};
    d.avp_code = avp.code;
    d.avp_vendor = avp.vendor;
    d.avp_name = const_cast<char*>(avp.name.c_str());
    d.avp_flag_mask = avp.flag_mask;
    d.avp_flag_val = avp.flag_val;
    d.avp_basetype = avp.base;
    avps_[avp.name] = create(avp.line, what, DICT_AVP, &d, type);
  }

  static int effective_min(const dict_rule_data& r) {
    if (r.rule_min != -1) return r.rule_min;
    return r.rule_position == RULE_OPTIONAL ? 0 : 1;
  }

  void register_rules(const RuleList& list, dict_object* parent) const {
    for (const auto& r : list.rules) {
      const std::string what = list.owner + ": avprule " + in_quotes(r.avp);
      dict_rule_data d{};
      d.rule_avp = avps_.at(r.avp);
      switch (r.section) {
        case Section::Fixed: d.rule_position = RULE_FIXED_HEAD; break;
        case Section::Required: d.rule_position = RULE_REQUIRED; break;
        case Section::Optional: d.rule_position = RULE_OPTIONAL; break;
      }
      d.rule_order = r.order;
      d.rule_min = r.min;
      d.rule_max = r.max;
      dict_rule_request q{};
      q.rule_parent = parent;
      q.rule_avp = d.rule_avp;
      if (dict_object* existing = search(DICT_RULE, RULE_BY_AVP_AND_PARENT, &q)) {
        dict_rule_data e{};
        if (fd_dict_getval(existing, &e) != 0 || e.rule_position != d.rule_position ||
            (d.rule_position == RULE_FIXED_HEAD && e.rule_order != d.rule_order) ||
            effective_min(e) != effective_min(d) || e.rule_max != d.rule_max)
          conflict(r.line, what, existing);
        continue;
      }
      create(r.line, what, DICT_RULE, &d, parent);
    }
  }

  dict_object* register_command_object(const CommandSpec& cmd, bool request, dict_object* app) const {
    const std::string what = "command " + in_quotes(cmd.name);
    const std::string name = cmd.name + (request ? "-Request" : "-Answer");
    // The flags follow the base protocol's commands (dict_base_proto.c): a
    // request has R and never E; an answer has no R and may have E.
    const std::uint8_t p_mask = cmd.proxiable ? CMD_FLAG_PROXIABLE : 0;
    const std::uint8_t p_val = cmd.proxiable.value_or(false) ? CMD_FLAG_PROXIABLE : 0;
    dict_cmd_data d{};
    d.cmd_code = cmd.code;
    d.cmd_name = const_cast<char*>(name.c_str());
    d.cmd_flag_mask = static_cast<std::uint8_t>(CMD_FLAG_REQUEST | p_mask | (request ? CMD_FLAG_ERROR : 0));
    d.cmd_flag_val = static_cast<std::uint8_t>((request ? CMD_FLAG_REQUEST : 0) | p_val);

    dict_object* by_name = search(DICT_COMMAND, CMD_BY_NAME, name.c_str());
    dict_object* by_code = search(DICT_COMMAND, request ? CMD_BY_CODE_R : CMD_BY_CODE_A, &cmd.code);
    if (by_name == nullptr && by_code == nullptr) return create(cmd.line, what, DICT_COMMAND, &d, app);
    if (by_name != by_code) conflict(cmd.line, what, by_code != nullptr ? by_code : by_name);
    dict_cmd_data e{};
    if (fd_dict_getval(by_name, &e) != 0 || e.cmd_flag_mask != d.cmd_flag_mask ||
        (e.cmd_flag_val & e.cmd_flag_mask) != (d.cmd_flag_val & d.cmd_flag_mask) ||
        search(DICT_APPLICATION, APPLICATION_OF_COMMAND, by_name) != app)
      conflict(cmd.line, what, by_name);
    return by_name;
  }

  // A command is two freeDiameter objects, "<name>-Request" and
  // "<name>-Answer"; their parent application sets msg_appl (notes sec. 2).
  void register_command(const CommandSpec& cmd) {
    dict_object* app = applications_.at(cmd.application);
    dict_object* request = register_command_object(cmd, true, app);
    dict_object* answer = register_command_object(cmd, false, app);
    register_rules(cmd.request, request);
    register_rules(cmd.answer, answer);
  }

  const SourceFile& src_;
  FileSpec& spec_;
  dictionary* dict_;
  std::map<std::uint32_t, dict_object*> vendors_;
  std::vector<dict_object*> applications_;
  std::map<std::string, dict_object*, std::less<>> avps_;  // every AVP a rule may name
};

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw DictionaryError(file.string() + ": cannot open: " + std::generic_category().message(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw DictionaryError(file.string() + ": cannot read");
  return text.str();
}

}  // namespace

// ---- Dictionary -----------------------------------------------------------------

Dictionary load_dictionary(const std::filesystem::path& file) {
  dictionary* dict = running_dictionary();
  const SourceFile src(file.string(), read_file(file));

  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(src.text().data(), src.text().size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) src.fail(src.line_at(parsed.offset), std::string("XML syntax error: ") + parsed.description());

  FileSpec spec = Reader(src).read(doc);
  Registrar registrar(src, spec, dict);
  registrar.resolve();
  registrar.register_all();

  Dictionary out;
  out.file_ = file;
  for (const auto& v : spec.vendors) out.vendors_.push_back({v.id, v.name});
  for (const auto& a : spec.applications) out.applications_.push_back({a.id, a.name, a.vendor});
  return out;
}

namespace {

const Dictionary::Application& primary(const Dictionary& d) {
  if (d.applications().empty()) throw DictionaryError(d.file().string() + ": defines no <application>");
  return d.applications().front();
}

}  // namespace

std::uint32_t Dictionary::application_id() const {
  return primary(*this).id;
}

const std::string& Dictionary::application_name() const {
  return primary(*this).name;
}

std::uint32_t Dictionary::vendor_id() const {
  const Application& app = primary(*this);
  if (app.vendor_id == 0)
    throw DictionaryError(file_.string() + ": application " + in_quotes(app.name) + " names no vendor-id");
  return app.vendor_id;
}

dict_object* Dictionary::avp(std::string_view name) const {
  dictionary* dict = running_dictionary();
  const std::string n(name);
  for (const auto& v : vendors_) {
    dict_avp_request_ex q{};
    q.avp_vendor.vendor_id = v.id;
    q.avp_data.avp_name = n.c_str();
    dict_object* obj = nullptr;
    if (fd_dict_search(dict, DICT_AVP, AVP_BY_STRUCT, &q, &obj, ENOENT) == 0 && obj != nullptr) return obj;
  }
  dict_object* obj = nullptr;
  if (fd_dict_search(dict, DICT_AVP, AVP_BY_NAME, n.c_str(), &obj, ENOENT) == 0 && obj != nullptr) return obj;
  throw DictionaryError("AVP " + in_quotes(n) + " is not in the Diameter dictionary");
}

dict_object* Dictionary::command(std::string_view name) const {
  const std::string n(name);
  dict_object* obj = nullptr;
  if (fd_dict_search(running_dictionary(), DICT_COMMAND, CMD_BY_NAME, n.c_str(), &obj, ENOENT) != 0 || obj == nullptr)
    throw DictionaryError("command " + in_quotes(n) + " is not in the Diameter dictionary");
  return obj;
}

dict_object* Dictionary::application(std::string_view name) const {
  const std::string n(name);
  dict_object* obj = nullptr;
  if (fd_dict_search(running_dictionary(), DICT_APPLICATION, APPLICATION_BY_NAME, n.c_str(), &obj, ENOENT) != 0 ||
      obj == nullptr)
    throw DictionaryError("application " + in_quotes(n) + " is not in the Diameter dictionary");
  return obj;
}

std::int32_t Dictionary::enum_value(std::string_view avp_name, std::string_view constant) const {
  dictionary* dict = running_dictionary();
  dict_object* model = avp(avp_name);
  const std::string what = "AVP " + in_quotes(avp_name);
  dict_object* type = nullptr;
  dict_type_data td{};
  if (fd_dict_search(dict, DICT_TYPE, TYPE_OF_AVP, model, &type, ENOENT) != 0 || type == nullptr ||
      fd_dict_getval(type, &td) != 0 || td.type_base != AVP_TYPE_INTEGER32)
    throw DictionaryError(what + " is not Enumerated");
  const std::string c(constant);
  dict_enumval_request req{};
  req.type_obj = type;
  req.search.enum_name = const_cast<char*>(c.c_str());
  dict_object* value = nullptr;
  dict_enumval_data ev{};
  if (fd_dict_search(dict, DICT_ENUMVAL, ENUMVAL_BY_STRUCT, &req, &value, ENOENT) != 0 || value == nullptr ||
      fd_dict_getval(value, &ev) != 0)
    throw DictionaryError(what + " has no value " + in_quotes(c));
  return ev.enum_value.i32;
}

}  // namespace roamkey::diameter
