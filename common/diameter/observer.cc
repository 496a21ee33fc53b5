#include "diameter/observer.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "diameter/fd_includes.h"
#include "diameter/stack.h"

namespace roamkey::diameter {

namespace {

std::atomic<int> g_min_fd_level{FD_LOG_ERROR};

spdlog::level::level_enum to_spdlog(int fd_level) {
  if (fd_level >= FD_LOG_FATAL) return spdlog::level::critical;
  if (fd_level >= FD_LOG_ERROR) return spdlog::level::err;
  if (fd_level >= FD_LOG_NOTICE) return spdlog::level::info;
  if (fd_level >= FD_LOG_DEBUG) return spdlog::level::debug;
  return spdlog::level::trace;
}

int from_name(std::string_view level) {
  if (level == "trace") return FD_LOG_ANNOYING;
  if (level == "debug") return FD_LOG_DEBUG;
  if (level == "info") return FD_LOG_NOTICE;
  if (level == "warn" || level == "error") return FD_LOG_ERROR;
  if (level == "critical") return FD_LOG_FATAL;
  return FD_LOG_FATAL + 1;  // off
}

// Called with freeDiameter's global log mutex held: filter before formatting.
void core_log(int level, const char* format, va_list args) {
  if (level < g_min_fd_level.load(std::memory_order_relaxed)) return;
  char buf[2048];
  va_list copy;
  va_copy(copy, args);
  std::vsnprintf(buf, sizeof buf, format, copy);
  va_end(copy);
  auto spd_level = to_spdlog(level);
  // A peer that closes its TLS session right after DPA makes the receiver
  // thread report ENOTCONN as an error; it is the normal end of a connection.
  if (spd_level == spdlog::level::err && std::strstr(buf, "Transport endpoint is not connected") != nullptr)
    spd_level = spdlog::level::debug;
  // freeDiameter announces its shutdown at FATAL level, and connections torn
  // down by it report TLS errors: neither is news during our own shutdown.
  if (stopping() && spd_level >= spdlog::level::err) spd_level = spdlog::level::debug;
  spdlog::log(spd_level, "[fd] {}", buf);
}

std::string peer_name(peer_hdr* peer) {
  return peer != nullptr && peer->info.pi_diamid != nullptr ? std::string(peer->info.pi_diamid) : std::string("?");
}

struct PeerSince {
  bool open = false;
  std::chrono::system_clock::time_point since;
};
const auto g_started = std::chrono::system_clock::now();
std::mutex g_since_mutex;
std::unordered_map<std::string, PeerSince> g_since;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void record_change(peer_hdr* peer, bool open) {
  if (peer == nullptr || peer->info.pi_diamid == nullptr) return;
  std::lock_guard lock(g_since_mutex);
  g_since[lower(peer->info.pi_diamid)] = {open, std::chrono::system_clock::now()};
}

void quiet_hook(enum fd_hook_type, msg*, peer_hdr*, void*, fd_hook_permsgdata*, void*) {}

void error_hook(enum fd_hook_type type, msg* m, peer_hdr* peer, void* other, fd_hook_permsgdata*, void*) {
  const char* what = "";
  switch (type) {
    case HOOK_MESSAGE_PARSING_ERROR: what = "could not parse a message"; break;
    case HOOK_MESSAGE_PARSING_ERROR2:
      spdlog::warn("answered a request that failed the dictionary rules with an error");
      return;
    case HOOK_MESSAGE_ROUTING_ERROR: what = "could not route a message"; break;
    case HOOK_MESSAGE_DROPPED: what = "dropped a message"; break;
    default: return;
  }
  // {other} is a human-readable reason when {msg} is set (libfdcore.h hook docs).
  const char* reason = (m != nullptr && other != nullptr) ? static_cast<const char*>(other) : "";
  if (peer != nullptr)
    spdlog::warn("{} from/to peer {}: {}", what, peer_name(peer), reason);
  else
    spdlog::warn("{}: {}", what, reason);
}

void peer_hook(enum fd_hook_type type, msg*, peer_hdr* peer, void* other, fd_hook_permsgdata*, void*) {
  if (type == HOOK_PEER_CONNECT_SUCCESS) {
    // "TCP,TLS,soc#3": pir_cert_list is only filled on accepted connections.
    char proto[64] = "";
    if (peer != nullptr) fd_peer_cnx_proto_info(peer, proto, sizeof proto);
    const bool tls = std::strstr(proto, "TLS") != nullptr;
    record_change(peer, true);
    spdlog::info("peer {} is up ({})", peer_name(peer), tls ? "TLS" : "TCP");
    return;
  }
  const char* reason = other != nullptr ? static_cast<const char*>(other) : "connection failed";
  if (peer == nullptr) {
    spdlog::warn("refused a connection: {}", reason);
  } else {
    record_change(peer, false);
    spdlog::warn("peer {} is down: {}", peer_name(peer), reason);
  }
}

}  // namespace

std::chrono::system_clock::time_point peer_open_since(const std::string& identity, bool open) {
  std::lock_guard lock(g_since_mutex);
  auto [it, inserted] = g_since.try_emplace(identity, PeerSince{open, g_started});
  if (!inserted && it->second.open != open) it->second = {open, std::chrono::system_clock::now()};
  return it->second.since;
}

void route_core_log(std::string_view min_level) {
  g_min_fd_level.store(from_name(min_level));
  if (int rc = fd_log_handler_register(core_log); rc != 0 && rc != EALREADY)
    spdlog::warn("could not route freeDiameter logs (error {})", rc);
}

void register_hooks() {
  fd_hook_hdl* h = nullptr;
  fd_hook_register(
      HOOK_MASK(HOOK_DATA_RECEIVED, HOOK_MESSAGE_RECEIVED, HOOK_MESSAGE_LOCAL, HOOK_MESSAGE_SENDING, HOOK_MESSAGE_SENT,
                HOOK_MESSAGE_ROUTING_LOCAL, HOOK_MESSAGE_ROUTING_FORWARD, HOOK_MESSAGE_FAILOVER),
      quiet_hook, nullptr, nullptr, &h);
  fd_hook_register(HOOK_MASK(HOOK_MESSAGE_PARSING_ERROR, HOOK_MESSAGE_PARSING_ERROR2, HOOK_MESSAGE_ROUTING_ERROR,
                             HOOK_MESSAGE_DROPPED),
                   error_hook, nullptr, nullptr, &h);
  fd_hook_register(HOOK_MASK(HOOK_PEER_CONNECT_FAILED, HOOK_PEER_CONNECT_SUCCESS), peer_hook, nullptr, nullptr, &h);
}

}  // namespace roamkey::diameter
