#include "subscriber_import.h"

#include <openssl/crypto.h>

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "crypto/key_input.h"
#include "nai.h"

namespace roamkey::home {

namespace {

// A line failed to parse; the message must not quote the line.
struct BadLine : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto pos = s.find(sep);
    out.push_back(trim(s.substr(0, pos)));
    if (pos == std::string_view::npos) return out;
    s.remove_prefix(pos + 1);
  }
}

std::string checked_nai(std::string_view nai) {
  if (!canonical_nai(nai)) throw BadLine("not a valid NAI (user@realm): " + std::string(nai));
  return std::string(nai);
}

crypto::SecretBytes checked_key(std::string_view hex) {
  try {
    return crypto::key_from_hex(hex);
  } catch (const std::invalid_argument&) {
    throw BadLine("K must be 64 hex digits (32 bytes)");
  }
}

std::string checked_realm(std::string_view realm) {
  if (!plausible_realm(realm)) throw BadLine("not a valid realm: " + std::string(realm));
  return lower_ascii(realm);
}

NewSubscriber parse_csv(std::string_view line) {
  const auto fields = split(line, ',');
  if (fields.size() < 2 || fields.size() > 3) throw BadLine("expected nai,k_hex[,roaming]");
  NewSubscriber s;
  s.nai = checked_nai(fields[0]);
  s.k = checked_key(fields[1]);
  if (fields.size() == 3 && !fields[2].empty()) {
    if (fields[2] == "*") {
      s.roaming.all_partners = true;
    } else {
      for (const auto realm : split(fields[2], ';')) s.roaming.realms.push_back(checked_realm(realm));
    }
  }
  return s;
}

NewSubscriber parse_json(std::string_view line) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception&) {
    throw BadLine("not valid JSON");  // the parser's message quotes the input
  }
  if (!j.is_object()) throw BadLine("a JSON line must be an object");
  for (const auto& [key, value] : j.items())
    if (key != "nai" && key != "k" && key != "realms" && key != "all_partners")
      throw BadLine("unknown key \"" + key + "\" (expected nai, k, realms, all_partners)");
  NewSubscriber s;
  if (!j.contains("nai") || !j["nai"].is_string()) throw BadLine("\"nai\" must be a string");
  s.nai = checked_nai(j["nai"].get_ref<const std::string&>());
  if (!j.contains("k") || !j["k"].is_string()) throw BadLine("\"k\" must be a string of 64 hex digits");
  s.k = checked_key(j["k"].get_ref<const std::string&>());
  if (j.contains("all_partners")) {
    if (!j["all_partners"].is_boolean()) throw BadLine("\"all_partners\" must be true or false");
    s.roaming.all_partners = j["all_partners"].get<bool>();
  }
  if (j.contains("realms")) {
    if (!j["realms"].is_array()) throw BadLine("\"realms\" must be a list of realms");
    for (const auto& r : j["realms"]) {
      if (!r.is_string()) throw BadLine("\"realms\" must be a list of realms");
      s.roaming.realms.push_back(checked_realm(r.get_ref<const std::string&>()));
    }
  }
  return s;
}

}  // namespace

ImportFile parse_import(std::istream& in) {
  ImportFile out;
  std::map<std::string, std::size_t> seen;  // canonical NAI -> line
  std::string line;
  line.reserve(4096);  // fewer reallocations leave fewer unwiped copies of K behind
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const auto text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    try {
      auto s = text.front() == '{' ? parse_json(text) : parse_csv(text);
      const auto key = *canonical_nai(s.nai);
      if (const auto [it, fresh] = seen.emplace(key, number); !fresh)
        throw BadLine("duplicate of line " + std::to_string(it->second) + ": " + s.nai);
      out.entries.push_back({number, std::move(s)});
    } catch (const BadLine& e) {
      out.problems.push_back({number, e.what()});
    }
    OPENSSL_cleanse(line.data(), line.size());
  }
  if (in.bad()) out.problems.push_back({0, "read error"});
  return out;
}

}  // namespace roamkey::home
