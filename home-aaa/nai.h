#pragma once
// NAI and realm handling for the home domain.
//
// RFC 7542 sec. 2.4: the realm part of an NAI is case-insensitive, the user
// part is not. The store therefore keeps each NAI exactly as provisioned and
// looks subscribers up by a canonical key: the user part as given, "@", the
// realm in lower-case ASCII. "Alice@HOME.example" and "Alice@home.example"
// are one subscriber; "alice@home.example" is another.
//
// Derivations never use the canonical key: MN_AUTH covers the NAI exactly as
// the MN sent it (protocol.md sec. 2).

#include <optional>
#include <string>
#include <string_view>

namespace roamkey::home {

// RFC 7542 sec. 2.3 asks for at least 253 octets; we accept exactly that.
inline constexpr std::size_t kMaxNaiLength = 253;

// The lookup key of `nai`, or nullopt if `nai` is not of the form user@realm
// (one "@", non-empty user part without control characters or spaces,
// realm a plausible DNS name, at most kMaxNaiLength octets).
std::optional<std::string> canonical_nai(std::string_view nai);

// A realm or Diameter identity: ASCII letters, digits, "-" and "." with no
// empty label, at most 253 octets (RFC 6733 sec. 4.3.1 DiameterIdentity).
bool plausible_realm(std::string_view realm);

// ASCII case-insensitive comparison, the rule for realms (protocol.md sec. 1)
// and for Diameter identities (FQDNs, RFC 4343).
bool same_realm(std::string_view a, std::string_view b);

// Lower-case ASCII; other bytes unchanged.
std::string lower_ascii(std::string_view s);

}  // namespace roamkey::home
