#pragma once
// Reading the store's master key (store.master_key_file) and the roaming
// partners' key-encryption keys. Same content format as K
// (crypto/key_input.h: 64 hex digits or 32 raw bytes).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "crypto/secret.h"
#include "key_protector.h"

namespace roamkey::home {

// Why a key file's permissions are unsafe ("mode 0644: readable by group
// or others"), or nullopt when only its owner may access it. Throws
// std::runtime_error when the file cannot be examined.
std::optional<std::string> key_file_mode_problem(const std::filesystem::path& path);

// The master key, after checking that group and others have no access to
// the file (a key readable by others protects nothing). std::runtime_error
// naming the file and the fix (chmod 600) otherwise, or when the content is
// not a 32-byte key. Never includes key material in the message.
crypto::SecretBytes read_master_key_file(const std::filesystem::path& path);

// The protector for store.master_key_file: PlainKeyProtector when `path` is
// empty, else a MasterKeyProtector over read_master_key_file(path).
std::shared_ptr<const KeyProtector> key_protector_for(const std::filesystem::path& path);

}  // namespace roamkey::home
