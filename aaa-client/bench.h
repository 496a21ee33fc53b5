#pragma once
// Load generator for `aaa-client bench` (issue 4): many simulated mobiles
// authenticating through one Stack, a fixed number of conversations in
// flight, whole-authentication latency per conversation.
//
// The mobiles' keys are derived from a seed and the mobile's index, so that
// `aaa-client provision-file` writes for home-aaa the same K the load
// generator uses, without a key file per mobile.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "diameter/stack.h"

namespace roamkey::client {

// K of mobile `index`: HMAC-SHA-256(seed, index as 8 bytes big-endian).
crypto::SecretBytes bench_key(crypto::ByteView seed, std::uint64_t index);

// NAI of mobile `index`: the index goes before the '@' of `pattern`
// ("bench@home.example", 7 → "bench7@home.example"). Throws
// std::invalid_argument when `pattern` has no '@'.
std::string bench_nai(const std::string& pattern, std::uint64_t index);

// Lines for `home-aaa subscriber import` (subscriber_import.h, CSV form):
// nai,k_hex,roaming for mobiles first .. first+count-1. `roaming` is "*" or
// realms joined by ';'.
void write_provision_file(std::ostream& out, const std::string& nai_pattern, crypto::ByteView seed, std::uint64_t first,
                          std::uint64_t count, const std::string& roaming);

// Nearest-rank percentile (p in [0, 100]) of sorted samples; 0 when empty.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p);

struct LatencySummary {
  std::size_t samples = 0;
  double mean_us = 0;
  std::int64_t p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
};
// Sorts `samples` in place.
LatencySummary summarize(std::vector<std::int64_t>& samples);

enum class BenchMode { Local, FirstContact, Mix };

struct BenchOptions {
  std::string nai_pattern;
  crypto::Bytes seed;
  std::string key_file_pattern;  // instead of the seed: "{}" replaced by the index
  std::uint64_t first_index = 0;
  std::uint64_t mobiles = 0;
  unsigned concurrency = 1;
  std::optional<std::chrono::milliseconds> duration;
  std::optional<std::uint64_t> requests;
  BenchMode mode = BenchMode::Local;
  double new_fraction = 0.1;       // mix: share of measured authentications by never-seen mobiles
  std::uint64_t warm_mobiles = 0;  // mix: size of the warmed pool (0 = half the mobiles)
  std::string destination_realm;
  std::chrono::milliseconds round_timeout{10'000};
};

struct BenchReport {
  std::string mode;
  std::uint64_t mobiles = 0;
  unsigned concurrency = 0;
  std::uint64_t warmed = 0;
  std::uint64_t warm_failures = 0;
  double warm_seconds = 0;
  double elapsed_seconds = 0;
  std::uint64_t started = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::uint64_t new_mobiles = 0;
  double auth_per_second = 0;
  double round_trips_per_auth = 0;
  LatencySummary latency;
  std::map<std::string, std::uint64_t> errors;
  bool ran_out_of_mobiles = false;
};

// Throws std::invalid_argument for inconsistent options (e.g. first-contact
// with fewer mobiles than requests).
void validate(const BenchOptions& options);

// Runs the benchmark on a started Stack whose server peer is open.
BenchReport run_bench(diameter::Stack& stack, const BenchOptions& options, crypto::RandomSource& random);

std::string to_json(const BenchReport& report);
void print_text(std::ostream& out, const BenchReport& report);

}  // namespace roamkey::client
