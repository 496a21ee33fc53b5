#include "bench.h"

#include <gtest/gtest.h>

#include <sstream>

#include "crypto/bytes.h"
#include "crypto/hmac.h"

namespace roamkey::client {
namespace {

TEST(BenchPercentile, NearestRank) {
  std::vector<std::int64_t> v;
  for (int i = 1; i <= 1000; ++i) v.push_back(i);
  EXPECT_EQ(percentile(v, 50), 500);
  EXPECT_EQ(percentile(v, 90), 900);
  EXPECT_EQ(percentile(v, 99), 990);
  EXPECT_EQ(percentile(v, 99.9), 999);
  EXPECT_EQ(percentile(v, 100), 1000);
  EXPECT_EQ(percentile(v, 0), 1);
}

TEST(BenchPercentile, SmallAndEmpty) {
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({7}, 99.9), 7);
  EXPECT_EQ(percentile({1, 2}, 50), 1);
  EXPECT_EQ(percentile({1, 2}, 51), 2);
}

TEST(BenchPercentile, SummarizeSortsAndAverages) {
  std::vector<std::int64_t> v{40, 10, 30, 20};
  const auto s = summarize(v);
  EXPECT_EQ(s.samples, 4u);
  EXPECT_DOUBLE_EQ(s.mean_us, 25.0);
  EXPECT_EQ(s.p50_us, 20);
  EXPECT_EQ(s.max_us, 40);
  EXPECT_EQ(v.front(), 10);
}

TEST(BenchKeys, HmacOfBigEndianIndex) {
  const auto seed = crypto::from_hex("000102030405060708090a0b0c0d0e0f");
  const std::uint8_t index[8] = {0, 0, 0, 0, 0, 0, 0x01, 0x02};
  const auto expected = crypto::hmac_sha256(seed, crypto::ByteView(index, 8));
  const auto k = bench_key(seed, 0x0102);
  ASSERT_EQ(k.size(), 32u);
  EXPECT_EQ(crypto::to_hex(k.view()), crypto::to_hex(expected));
  EXPECT_NE(crypto::to_hex(bench_key(seed, 0x0103).view()), crypto::to_hex(k.view()));
}

TEST(BenchKeys, NaiPattern) {
  EXPECT_EQ(bench_nai("bench@home.example", 42), "bench42@home.example");
  EXPECT_EQ(bench_nai("@r.example", 0), "0@r.example");
  EXPECT_THROW(bench_nai("no-realm", 1), std::invalid_argument);
}

// The provision file must carry exactly the K the load generator uses.
TEST(BenchKeys, ProvisionFileMatchesLoadGenerator) {
  const auto seed = crypto::from_hex("aabbccdd");
  std::ostringstream out;
  write_provision_file(out, "m@home.example", seed, 5, 3, "*");
  std::istringstream in(out.str());
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    const auto expected =
        bench_nai("m@home.example", 5 + i) + "," + crypto::to_hex(bench_key(seed, 5 + i).view()) + ",*";
    EXPECT_EQ(lines[i], expected);
  }
}

BenchOptions valid() {
  BenchOptions o;
  o.nai_pattern = "b@home.example";
  o.seed = {1, 2, 3};
  o.mobiles = 10;
  o.concurrency = 2;
  o.requests = 5;
  return o;
}

TEST(BenchOptionsValidate, AcceptsConsistentOptions) {
  EXPECT_NO_THROW(validate(valid()));
}

TEST(BenchOptionsValidate, RejectsInconsistentOptions) {
  auto o = valid();
  o.mobiles = 0;
  EXPECT_THROW(validate(o), std::invalid_argument);
  o = valid();
  o.concurrency = 0;
  EXPECT_THROW(validate(o), std::invalid_argument);
  o = valid();
  o.duration = std::chrono::seconds(1);  // both duration and requests
  EXPECT_THROW(validate(o), std::invalid_argument);
  o = valid();
  o.requests.reset();  // neither
  EXPECT_THROW(validate(o), std::invalid_argument);
  o = valid();
  o.key_file_pattern = "keys/{}.key";  // both seed and pattern
  EXPECT_THROW(validate(o), std::invalid_argument);
  o = valid();
  o.seed.clear();
  o.key_file_pattern = "keys/key";  // no {}
  EXPECT_THROW(validate(o), std::invalid_argument);
  o = valid();
  o.nai_pattern = "no-at";
  EXPECT_THROW(validate(o), std::invalid_argument);
  o = valid();
  o.mode = BenchMode::FirstContact;
  o.requests = 11;  // more than mobiles
  EXPECT_THROW(validate(o), std::invalid_argument);
  o = valid();
  o.mode = BenchMode::Mix;
  o.new_fraction = 1.5;
  EXPECT_THROW(validate(o), std::invalid_argument);
  o = valid();
  o.mode = BenchMode::Mix;
  o.warm_mobiles = 10;
  EXPECT_THROW(validate(o), std::invalid_argument);
}

}  // namespace
}  // namespace roamkey::client
