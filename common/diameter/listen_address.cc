#include "diameter/listen_address.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "diameter/fd_includes.h"

namespace roamkey::diameter {

namespace {

bool parse_ip(const std::string& address, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// The numeric form the kernel reports, so that "::0001" and "::1" compare equal.
std::string canonical(const std::string& address) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!parse_ip(address, ss, len)) return address;
  char text[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, text, sizeof text);
  else
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, text, sizeof text);
  return text;
}

}  // namespace

std::string to_string(const BoundSocket& s) {
  const bool v6 = s.address.find(':') != std::string::npos;
  return (v6 ? "[" + s.address + "]" : s.address) + ":" + std::to_string(s.port);
}

bool is_wildcard(const std::string& address) {
  const auto c = canonical(address);
  return c == "0.0.0.0" || c == "::";
}

void configure_listen_address(const std::string& address) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!parse_ip(address, ss, len)) throw std::invalid_argument("\"" + address + "\" is not an IP address");
  if (is_wildcard(address)) return;
  if (int rc = fd_ep_add_merge(&fd_g_config->cnf_endpoints, reinterpret_cast<sockaddr*>(&ss), len,
                               EP_FL_CONF | EP_ACCEPTALL);
      rc != 0)
    throw std::runtime_error("freeDiameter refused the listen address " + address + " (error " + std::to_string(rc) +
                             ")");
}

std::vector<BoundSocket> listening_sockets() {
  std::vector<BoundSocket> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir("/proc/self/fd"), closedir);
  if (!dir) return out;
  const int self = dirfd(dir.get());
  while (const dirent* e = readdir(dir.get())) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == self) continue;
    struct stat st {};
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int listening = 0;
    socklen_t optlen = sizeof listening;
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || listening == 0)
      continue;
    int type = 0;
    optlen = sizeof type;
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &optlen) != 0 || type != SOCK_STREAM) continue;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&ss), &len) != 0) continue;
    char text[INET6_ADDRSTRLEN] = "";
    BoundSocket b;
    if (ss.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
      inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
      b.port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
      inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
      b.port = ntohs(a->sin6_port);
    } else {
      continue;
    }
    b.address = text;
    out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(), [](const BoundSocket& a, const BoundSocket& b) {
    return std::tie(a.port, a.address) < std::tie(b.port, b.address);
  });
  return out;
}

std::string compare_bound(const std::vector<BoundSocket>& bound, const std::string& address,
                          const std::vector<std::uint16_t>& ports) {
  const auto want = canonical(address);
  const bool wildcard = is_wildcard(address);
  std::string problem;
  for (const auto port : ports) {
    std::vector<BoundSocket> on_port;
    for (const auto& b : bound)
      if (b.port == port) on_port.push_back(b);
    if (on_port.empty()) {
      problem += (problem.empty() ? "" : "; ") + std::string("nothing listens on port ") + std::to_string(port);
      continue;
    }
    for (const auto& b : on_port) {
      const bool ok = b.address == want || (wildcard && is_wildcard(b.address));
      if (!ok)
        problem +=
            (problem.empty() ? "" : "; ") + to_string(b) + " is bound, not only " + to_string(BoundSocket{want, port});
    }
    if (std::none_of(on_port.begin(), on_port.end(), [&](const BoundSocket& b) { return b.address == want; }))
      problem += (problem.empty() ? "" : "; ") + to_string(BoundSocket{want, port}) + " is not bound";
  }
  return problem;
}

}  // namespace roamkey::diameter
