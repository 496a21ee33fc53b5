#pragma once
// RoamKey's own check of a node's TLS credentials, before freeDiameter sees
// them: freeDiameter 1.2.1 reports these problems as "rejected the
// configuration" against a generated file, or only at the first handshake.
// Each problem names the YAML key (diameter.tls.*) it is about.

#include <string>
#include <vector>

#include "config/config.h"

namespace roamkey::config {

// Every problem found, empty when the credentials are usable:
//  - certificate and private key are PEM and the key matches the certificate;
//  - the certificate names `identity` (SAN dNSName or CN), as freeDiameter
//    requires of its own certificate;
//  - each diameter.tls.ca file holds exactly one certificate, a CA
//    (freeDiameter 1.2.1 takes one root per TLS_CA file, notes sec. 4);
//  - the certificate, with any intermediates after it in its file, chains to
//    one of those CAs and is valid now;
//  - the CRL, if any, is a PEM CRL.
std::vector<std::string> check_tls_credentials(const TlsConfig& tls, const std::string& identity);

// Throws ConfigError naming the file and every problem (one per line).
void require_usable_tls(const DiameterConfig& diameter);

}  // namespace roamkey::config
