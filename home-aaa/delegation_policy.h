#pragma once
// What the home domain grants a visited domain with each vector
// (protocol.md sec. 3, TSK-Vector) and how often it renews a delegation on
// its own initiative (KPR). The top-level `delegation:` section of the
// configuration gives the default; a roaming partner may override it.

#include <cstdint>
#include <optional>

namespace roamkey::home {

struct DelegationPolicy {
  std::uint32_t tsk_lifetime = 3600;          // TSK-Lifetime, seconds
  std::optional<std::uint32_t> tsk_max_uses;  // TSK-Max-Uses; nullopt: unlimited, AVP omitted
  // Seconds after which the home issues the next generation of an active
  // delegation and pushes it with a KPR; 0: no automatic rotation.
  std::uint32_t rotation_interval = 0;

  bool operator==(const DelegationPolicy&) const = default;
};

}  // namespace roamkey::home
