#pragma once
// Byte strings as every RoamKey component passes them around.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roamkey::crypto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Hex of either case, no separators. Throws std::invalid_argument on an odd
// length or a non-hex character; the message names the position, not the input.
Bytes from_hex(std::string_view hex);

// Lower-case hex.
std::string to_hex(ByteView bytes);

// The bytes of a string, without copying (NAIs and realms enter derivations as
// their exact octets, protocol.md section 2).
ByteView as_bytes(std::string_view s);

}  // namespace roamkey::crypto
