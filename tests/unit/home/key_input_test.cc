#include "crypto/key_input.h"

#include <gtest/gtest.h>

#include "crypto/bytes.h"
#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {
using crypto::key_from_hex;
using crypto::read_key_file;

const std::string kHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string message_of_invalid(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected std::invalid_argument";
  return "";
}

TEST(KeyInput, HexOfExactly32Bytes) {
  EXPECT_EQ(crypto::to_hex(key_from_hex(kHex).view()), kHex);
  EXPECT_EQ(crypto::to_hex(key_from_hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F").view()),
            kHex);
}

TEST(KeyInput, BadHexIsRejectedWithoutEchoingIt) {
  for (const std::string& bad :
       std::vector<std::string>{kHex.substr(0, 62), kHex + "00", "g" + kHex.substr(1), std::string(), " " + kHex}) {
    const auto m = message_of_invalid([&] { key_from_hex(bad); });
    EXPECT_NE(m.find("64 hex digits"), std::string::npos);
    EXPECT_EQ(m.find("0102030405"), std::string::npos) << m;
  }
}

TEST(KeyInput, FileWithHexAndNewline) {
  roamkey::test::ScratchDir dir;
  EXPECT_EQ(crypto::to_hex(read_key_file(dir.write("k.hex", kHex + "\n")).view()), kHex);
  EXPECT_EQ(crypto::to_hex(read_key_file(dir.write("k2.hex", "  " + kHex + "\r\n\n")).view()), kHex);
}

TEST(KeyInput, FileWithRawBytes) {
  roamkey::test::ScratchDir dir;
  const auto raw = crypto::from_hex(kHex);
  EXPECT_EQ(crypto::to_hex(read_key_file(dir.write("k.bin", std::string(raw.begin(), raw.end()))).view()), kHex);
}

TEST(KeyInput, FileWithAnythingElseIsRejectedWithoutEchoingIt) {
  roamkey::test::ScratchDir dir;
  for (const std::string& content :
       std::vector<std::string>{kHex.substr(0, 63) + "\n", std::string(31, 'a'), std::string(33, 'a'),
                                kHex + "\n" + kHex + "\n", std::string(2000, '0'), std::string()}) {
    const auto p = dir.write("bad.key", content);
    const auto m = message_of_invalid([&] { read_key_file(p); });
    EXPECT_NE(m.find(p.string()), std::string::npos) << m;
    EXPECT_EQ(m.find("0102030405"), std::string::npos) << m;
  }
}

TEST(KeyInput, MissingFileIsARuntimeError) {
  roamkey::test::ScratchDir dir;
  EXPECT_THROW(read_key_file(dir / "absent.key"), std::runtime_error);
}

}  // namespace
}  // namespace roamkey::home
