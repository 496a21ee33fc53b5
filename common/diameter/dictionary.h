#pragma once
// The Diameter dictionary as data: load_dictionary() reads a dictionary file
// (dictionaries/roamkey.xml, Wireshark's dictionary XML format; the file's
// header comment describes the format) into freeDiameter's running
// dictionary, and the returned Dictionary finds the loaded objects by name,
// so that no code hard-codes a vendor id, application id or AVP code
// (protocol.md sec. 3: "All identifiers below live in the project's
// dictionary file, not in code").
//
// Order of calls: fd_core_initialize() (it loads the base protocol, whose
// AVPs the file's rules refer to by name, notes/freediameter-1.2.1.md sec. 2),
// then load_dictionary(), before or after fd_core_parseconf(), then create
// messages. Name lookups take freeDiameter's dictionary lock and walk lists:
// resolve every name once at start-up and keep the dict_object*, which stays
// valid until fd_core_shutdown() (notes sec. 1).

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct dict_object;

namespace roamkey::diameter {

// A dictionary file that cannot be loaded, or a name the running dictionary
// does not have. When the problem sits at a place in the file, the message
// reads "<file>:<line>: <problem>", e.g.
//   dictionaries/roamkey.xml:42: avp "TSK-Key": unknown type "OctetStrng"
class DictionaryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What one dictionary file defined (its vendors and applications, as read
// from the file) plus lookups in freeDiameter's running dictionary.
// A small value type: copy it freely.
class Dictionary {
 public:
  struct Vendor {
    std::uint32_t id = 0;
    std::string name;
  };
  struct Application {
    std::uint32_t id = 0;
    std::string name;
    std::uint32_t vendor_id = 0;  // 0: a standards-track application
  };

  const std::filesystem::path& file() const { return file_; }
  const std::vector<Vendor>& vendors() const { return vendors_; }
  const std::vector<Application>& applications() const { return applications_; }

  // The file's first <application> ("RoamKey Delegation") and the vendor
  // that defines it ("RoamKey"). Throw DictionaryError when the file has no
  // application, or when that application names no vendor.
  std::uint32_t application_id() const;
  const std::string& application_name() const;
  std::uint32_t vendor_id() const;

  // AVP by name: first among the AVPs of the file's vendors (in file
  // order), then among the vendor-0 (IETF) AVPs.
  dict_object* avp(std::string_view name) const;
  // Command by its freeDiameter name, e.g. "Delegation-Request".
  dict_object* command(std::string_view name) const;
  dict_object* application(std::string_view name) const;
  // The value of a named constant of an Enumerated (Integer32) AVP, e.g.
  // enum_value("Auth-Session-State", "NO_STATE_MAINTAINED") == 1.
  std::int32_t enum_value(std::string_view avp_name, std::string_view constant) const;
  // All lookups throw DictionaryError naming what is missing.

 private:
  friend Dictionary load_dictionary(const std::filesystem::path& file);

  std::filesystem::path file_;
  std::vector<Vendor> vendors_;
  std::vector<Application> applications_;
};

// Parses `file` and registers its vendors, applications, types, enumerated
// values, AVPs, commands and rules in fd_g_config->cnf_dict.
//
// Objects that already exist with the same definition (the base protocol's,
// or this file's when it is loaded again) are accepted as they are; a
// conflicting definition is an error. The file is checked completely before
// anything is registered, so a broken file leaves the dictionary untouched;
// only a conflict with existing objects, found while registering, can leave
// the objects registered before it (freeDiameter has no transactions).
// Throws DictionaryError.
Dictionary load_dictionary(const std::filesystem::path& file);

}  // namespace roamkey::diameter
