#include "diameter/peer_acl.h"

#include <gnutls/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include "diameter/fd_includes.h"

namespace roamkey::diameter {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct Acl {
  std::vector<std::string> accepted;
  bool clear_tcp_allowed = false;
};
// One freeDiameter instance per process, so one ACL. Replaced whole by a
// reload while freeDiameter's threads validate peers: each validation reads
// one consistent list.
std::atomic<std::shared_ptr<const Acl>> g_acl;
bool g_registered = false;

std::vector<std::string> lowered(std::vector<std::string> ids) {
  for (auto& a : ids) a = lower(a);
  return ids;
}

PeerCertificate inspect(const peer_info* info) {
  PeerCertificate pc;
  if (info->runtime.pir_cert_list == nullptr || info->runtime.pir_cert_list_size == 0) return pc;
  pc.present = true;
  gnutls_x509_crt_t crt = nullptr;
  if (gnutls_x509_crt_init(&crt) != 0) return pc;
  std::unique_ptr<std::remove_pointer_t<gnutls_x509_crt_t>, decltype(&gnutls_x509_crt_deinit)> guard(
      crt, gnutls_x509_crt_deinit);
  // The first certificate of the list is the peer's own (RFC 8446 sec. 4.4.2).
  if (gnutls_x509_crt_import(crt, &info->runtime.pir_cert_list[0], GNUTLS_X509_FMT_DER) != 0) return pc;
  pc.names_identity = gnutls_x509_crt_check_hostname(crt, info->pi_diamid) != 0;
  return pc;
}

int validate(peer_info* info, int* auth, int (**cb2)(peer_info*)) {
  if (cb2 != nullptr) *cb2 = nullptr;
  const auto acl = g_acl.load();
  if (!acl || info == nullptr || info->pi_diamid == nullptr) {
    *auth = 0;
    return 0;
  }
  const std::string identity = lower(info->pi_diamid);
  const auto verdict = judge_peer(acl->accepted, identity, inspect(info), acl->clear_tcp_allowed);
  switch (verdict) {
    case PeerVerdict::Accept: *auth = 1; break;
    case PeerVerdict::AcceptWithoutTls:
      spdlog::warn("peer {} accepted over clear TCP (diameter.listen.tcp_port is open)", identity);
      *auth = 1;
      break;
    default:
      spdlog::warn("refused peer {}: {}", identity, describe(verdict));
      *auth = -1;
      break;
  }
  return 0;
}

}  // namespace

PeerVerdict judge_peer(const std::vector<std::string>& accepted, const std::string& identity,
                       const PeerCertificate& cert, bool clear_tcp_allowed) {
  if (std::find(accepted.begin(), accepted.end(), lower(identity)) == accepted.end())
    return PeerVerdict::UnknownIdentity;
  if (!cert.present) return clear_tcp_allowed ? PeerVerdict::AcceptWithoutTls : PeerVerdict::TlsRequired;
  return cert.names_identity ? PeerVerdict::Accept : PeerVerdict::CertificateMismatch;
}

const char* describe(PeerVerdict v) {
  switch (v) {
    case PeerVerdict::Accept: return "accepted";
    case PeerVerdict::AcceptWithoutTls: return "accepted without TLS";
    case PeerVerdict::UnknownIdentity: return "identity is not a configured peer";
    case PeerVerdict::CertificateMismatch: return "certificate does not name the identity claimed in the CER";
    case PeerVerdict::TlsRequired: return "no TLS certificate presented";
  }
  return "?";
}

void install_peer_acl(std::vector<std::string> accepted, bool clear_tcp_allowed) {
  g_acl.store(std::make_shared<const Acl>(Acl{lowered(std::move(accepted)), clear_tcp_allowed}));
  if (g_registered) return;
  if (int rc = fd_peer_validate_register(validate); rc != 0)
    throw std::runtime_error("cannot register the peer validator (error " + std::to_string(rc) + ")");
  g_registered = true;
}

void replace_accepted_peers(std::vector<std::string> accepted) {
  const auto current = g_acl.load();
  const bool clear_tcp_allowed = current && current->clear_tcp_allowed;
  g_acl.store(std::make_shared<const Acl>(Acl{lowered(std::move(accepted)), clear_tcp_allowed}));
}

}  // namespace roamkey::diameter
