// K at rest (issue 3): the AES-256-GCM protector and the master key file.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "crypto/bytes.h"
#include "key_protector.h"
#include "master_key.h"
#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {

using crypto::SecretBytes;
using crypto::to_hex;

const char* const kMasterHex = "8f8e8d8c8b8a898887868584838281807f7e7d7c7b7a79787776757473727170";
const char* const kOtherMasterHex = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
const char* const kKHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

MasterKeyProtector protector(const char* hex = kMasterHex) {
  return MasterKeyProtector(SecretBytes::from_hex(hex));
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(MasterKeyProtector, SealsAndOpensK) {
  const auto p = protector();
  const auto k = SecretBytes::from_hex(kKHex);
  const auto blob = p.protect(k.view(), "alice@home.example");
  EXPECT_EQ(p.scheme(), KeyScheme::Aes256GcmMasterKey);
  EXPECT_EQ(blob.size(), 12u + 32u + 16u);  // nonce || ciphertext || tag (crypto/aead.h)
  EXPECT_EQ(to_hex(blob.view()).find(kKHex), std::string::npos);
  const auto opened = p.unprotect(KeyScheme::Aes256GcmMasterKey, blob.view(), "alice@home.example");
  ASSERT_TRUE(opened);
  EXPECT_EQ(to_hex(opened->view()), kKHex);
}

TEST(MasterKeyProtector, EachSealUsesAFreshNonce) {
  const auto p = protector();
  const auto k = SecretBytes::from_hex(kKHex);
  EXPECT_NE(to_hex(p.protect(k.view(), "a@h.example").view()), to_hex(p.protect(k.view(), "a@h.example").view()));
}

TEST(MasterKeyProtector, BlobIsBoundToItsSubscriber) {
  const auto p = protector();
  const auto blob = p.protect(SecretBytes::from_hex(kKHex).view(), "alice@home.example");
  EXPECT_FALSE(p.unprotect(KeyScheme::Aes256GcmMasterKey, blob.view(), "bob@home.example"));
}

TEST(MasterKeyProtector, WrongKeyOrTamperedBlobDoesNotOpen) {
  const auto blob = protector().protect(SecretBytes::from_hex(kKHex).view(), "alice@home.example");
  EXPECT_FALSE(protector(kOtherMasterHex).unprotect(KeyScheme::Aes256GcmMasterKey, blob.view(), "alice@home.example"));
  auto tampered = crypto::Bytes(blob.view().begin(), blob.view().end());
  tampered[20] ^= 1;
  EXPECT_FALSE(protector().unprotect(KeyScheme::Aes256GcmMasterKey, tampered, "alice@home.example"));
  EXPECT_FALSE(protector().unprotect(KeyScheme::Aes256GcmMasterKey, crypto::Bytes(10, 0), "alice@home.example"));
}

TEST(MasterKeyProtector, ReadsPlainBlobsWaitingForRekey) {
  const auto k = SecretBytes::from_hex(kKHex);
  const auto opened = protector().unprotect(KeyScheme::Plain, k.view(), "alice@home.example");
  ASSERT_TRUE(opened);
  EXPECT_EQ(to_hex(opened->view()), kKHex);
  EXPECT_FALSE(PlainKeyProtector().unprotect(KeyScheme::Aes256GcmMasterKey, k.view(), "alice@home.example"));
}

TEST(MasterKeyProtector, KeyCheckNamesTheKeyWithoutRevealingIt) {
  const auto a = protector().key_check();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a, protector().key_check());
  EXPECT_NE(a, protector(kOtherMasterHex).key_check());
  EXPECT_EQ(to_hex(a).find(kMasterHex), std::string::npos);
  EXPECT_TRUE(PlainKeyProtector().key_check().empty());
}

TEST(MasterKeyProtector, RefusesAKeyOfTheWrongLength) {
  EXPECT_THROW(MasterKeyProtector{SecretBytes(31)}, std::invalid_argument);
  EXPECT_THROW(MasterKeyProtector{SecretBytes{}}, std::invalid_argument);
}

class MasterKeyFile : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& content, mode_t mode) {
    const auto p = dir_.write("master.key", content);
    ::chmod(p.c_str(), mode);
    return p;
  }
  roamkey::test::ScratchDir dir_;
};

TEST_F(MasterKeyFile, ReadsHexOrRawFromAPrivateFile) {
  EXPECT_EQ(to_hex(read_master_key_file(write(std::string(kMasterHex) + "\n", 0600)).view()), kMasterHex);
  const auto raw = crypto::from_hex(kMasterHex);
  EXPECT_EQ(to_hex(read_master_key_file(write(std::string(raw.begin(), raw.end()), 0400)).view()), kMasterHex);
}

TEST_F(MasterKeyFile, RefusesAFileOthersMayRead) {
  for (const mode_t mode : {0640, 0604, 0660, 0644, 0602, 0610}) {
    const auto p = write(kMasterHex, mode);
    const auto e = what_of([&] { read_master_key_file(p); });
    EXPECT_NE(e.find(p.string()), std::string::npos) << e;
    EXPECT_NE(e.find("chmod 600 " + p.string()), std::string::npos) << e;
    EXPECT_NE(e.find("group or others"), std::string::npos) << e;
    EXPECT_EQ(e.find(kMasterHex), std::string::npos) << e;
  }
}

TEST_F(MasterKeyFile, MissingOrMalformedFileIsAClearError) {
  const auto missing = dir_ / "absent.key";
  EXPECT_NE(what_of([&] { read_master_key_file(missing); }).find(missing.string()), std::string::npos);
  const auto bad = write("not a key", 0600);
  const auto e = what_of([&] { read_master_key_file(bad); });
  EXPECT_NE(e.find("32 raw bytes or 64 hex digits"), std::string::npos) << e;
  EXPECT_NE(what_of([&] { read_master_key_file(dir_.path()); }).find("not a regular file"), std::string::npos);
}

TEST_F(MasterKeyFile, ProtectorForAPath) {
  EXPECT_EQ(key_protector_for({})->scheme(), KeyScheme::Plain);
  EXPECT_EQ(key_protector_for(write(kMasterHex, 0600))->scheme(), KeyScheme::Aes256GcmMasterKey);
  EXPECT_THROW(key_protector_for(write(kMasterHex, 0644)), std::runtime_error);
}

}  // namespace
}  // namespace roamkey::home
