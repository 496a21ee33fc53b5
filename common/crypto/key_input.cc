#include "crypto/key_input.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace roamkey::crypto {

namespace {

// Larger than any key file written by hand (hex, CRLF, a little blank
// space) yet small enough to reject a wrong file quickly.
constexpr std::size_t kMaxKeyFile = 1024;
constexpr std::size_t kKeyLength = 32;  // K, protocol.md sec. 1

bool hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct CloseFile {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

}  // namespace

SecretBytes key_from_hex(std::string_view hex) {
  if (hex.size() != 2 * kKeyLength || !std::all_of(hex.begin(), hex.end(), hex_digit))
    throw std::invalid_argument("must be 64 hex digits (32 bytes)");
  return SecretBytes::from_hex(hex);
}

SecretBytes read_key_file(const std::filesystem::path& path) {
  const bool from_stdin = path == "-";
  std::unique_ptr<std::FILE, CloseFile> owned;
  std::FILE* f = stdin;
  if (!from_stdin) {
    owned.reset(std::fopen(path.c_str(), "rb"));
    if (!owned) throw std::runtime_error(path.string() + ": cannot read key file: " + std::strerror(errno));
    f = owned.get();
  }
  // Read into a SecretBytes so the buffer is wiped whatever happens.
  SecretBytes buffer(kMaxKeyFile + 1);
  const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f);
  if (std::ferror(f)) throw std::runtime_error(path.string() + ": cannot read key file");
  const std::string name = from_stdin ? "standard input" : path.string();
  if (n > kMaxKeyFile) throw std::invalid_argument(name + ": too large for a key file");
  if (n == kKeyLength) return SecretBytes(ByteView(buffer.data(), n));

  std::string_view text(reinterpret_cast<const char*>(buffer.data()), n);
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  try {
    return key_from_hex(text);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(name + ": key file must hold 32 raw bytes or 64 hex digits");
  }
}

}  // namespace roamkey::crypto
