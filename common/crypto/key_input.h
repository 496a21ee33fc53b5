#pragma once
// Reading a subscriber's first key K (32 bytes, protocol.md sec. 1) from the
// operator: hex on the command line or a key file. Never echoes the key.

#include <filesystem>
#include <string_view>

#include "crypto/secret.h"

namespace roamkey::crypto {

// std::invalid_argument("must be 64 hex digits (32 bytes)").
SecretBytes key_from_hex(std::string_view hex);

// A file holding 64 hex digits (surrounding white space allowed) or 32 raw
// bytes; "-" reads standard input. std::invalid_argument for content that is
// neither form, std::runtime_error if the file cannot be read.
SecretBytes read_key_file(const std::filesystem::path& path);

}  // namespace roamkey::crypto
