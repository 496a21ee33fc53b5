#pragma once
// Making freeDiameter 1.2.1 listen on exactly diameter.listen.address, and
// reading back what it really bound.
//
// freeDiameter's ListenOn goes through fd_ep_add_merge without EP_ACCEPTALL,
// which drops loopback addresses silently: the node then binds 0.0.0.0 and
// [::], and its CER/CEA Host-IP-Address becomes the first interface address
// (notes sec. 8, "Loopback ListenOn is dropped"). RoamKey therefore puts the
// configured address into fd_g_config->cnf_endpoints itself, with
// EP_ACCEPTALL, after fd_core_parseconf() and before fd_core_start(): the
// servers bind that address only (server.c, fd_servers_start), and
// Host-IP-Address is that address (p_ce.c, add_CE_info).
//
// A wildcard address (0.0.0.0, ::) leaves the list empty: freeDiameter binds
// every address and advertises the kernel's.

#include <cstdint>
#include <string>
#include <vector>

namespace roamkey::diameter {

// A listening TCP socket of this process.
struct BoundSocket {
  std::string address;  // numeric: "127.0.0.1", "::1"
  std::uint16_t port = 0;
  bool operator==(const BoundSocket&) const = default;
};

// "127.0.0.1:5868", "[::1]:5868".
std::string to_string(const BoundSocket& s);

bool is_wildcard(const std::string& address);

// Adds `address` (an IP literal) to freeDiameter's local endpoints; nothing
// for a wildcard. Throws std::invalid_argument for anything but an IP literal.
void configure_listen_address(const std::string& address);

// Every listening TCP socket of this process, read from the sockets
// themselves (getsockname on each descriptor with SO_ACCEPTCONN set).
std::vector<BoundSocket> listening_sockets();

// The problem with what is bound, or "" when the sockets listening on
// `ports` are exactly `address` on each port (a wildcard also accepts the
// other family's wildcard, which freeDiameter opens beside it).
std::string compare_bound(const std::vector<BoundSocket>& bound, const std::string& address,
                          const std::vector<std::uint16_t>& ports);

}  // namespace roamkey::diameter
