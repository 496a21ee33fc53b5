#pragma once
// Access to shared/spec/test-vectors.json for the unit tests. A missing or
// unreadable file fails the test that needs it (never a silent skip): the
// vectors are the wire contract every implementation must reproduce.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "crypto/bytes.h"

namespace roamkey::testing {

inline constexpr const char* kTestVectorsPath = ROAMKEY_TEST_VECTORS_PATH;

// nullopt when the file is absent or not JSON.
inline const std::optional<nlohmann::json>& load_test_vectors() {
  static const std::optional<nlohmann::json> vectors = []() -> std::optional<nlohmann::json> {
    std::ifstream in(kTestVectorsPath);
    if (!in) return std::nullopt;
    nlohmann::json parsed = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return std::nullopt;
    return parsed;
  }();
  return vectors;
}

// Base fixture: every test derived from it fails at SetUp when the vectors
// cannot be read.
class SpecVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(load_test_vectors().has_value()) << "cannot read the protocol test vectors at " << kTestVectorsPath
                                                 << " (shared/ must be checked out beside the repository)";
  }

  static const nlohmann::json& json() { return *load_test_vectors(); }
  static std::string input_string(const char* name) { return json().at("inputs").at(name).get<std::string>(); }
  static crypto::Bytes input(const char* name) { return crypto::from_hex(input_string(name)); }
  static std::uint32_t input_u32(const char* name) { return json().at("inputs").at(name).get<std::uint32_t>(); }
  static crypto::Bytes output(const char* name) {
    return crypto::from_hex(json().at("outputs").at(name).get<std::string>());
  }
};

}  // namespace roamkey::testing
