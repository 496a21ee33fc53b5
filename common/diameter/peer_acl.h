#pragma once
// Which peers may connect to us, and the binding of each incoming peer's
// TLS certificate to the Origin-Host it claims in its CER.
//
// freeDiameter 1.2.1 checks the certificate name only on connections it
// opens itself; an incoming peer can present any certificate of a trusted
// CA and claim another identity (notes sec. 4, "Security gap"). The peer
// validator below closes that gap for every peer that connects to us.

#include <string>
#include <vector>

namespace roamkey::diameter {

struct PeerCertificate {
  bool present = false;
  bool names_identity = false;  // certificate's SAN dNSName / CN matches the identity
};

// Pure decision, unit-tested without a network.
enum class PeerVerdict { Accept, AcceptWithoutTls, UnknownIdentity, CertificateMismatch, TlsRequired };
PeerVerdict judge_peer(const std::vector<std::string>& accepted, const std::string& identity,
                       const PeerCertificate& cert, bool clear_tcp_allowed);
const char* describe(PeerVerdict v);

// Installs the validator with the identities allowed to connect (compared
// case-insensitively, RFC 6733 sec. 4.3.1).
void install_peer_acl(std::vector<std::string> accepted, bool clear_tcp_allowed);
// A reload: the identities allowed from the next CER on. A peer already
// connected stays connected (freeDiameter 1.2.1 has no call to close one).
void replace_accepted_peers(std::vector<std::string> accepted);

}  // namespace roamkey::diameter
