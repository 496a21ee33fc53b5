// Resident cost of a TskCache entry: fills a cache with N subscribers (default
// one million) and prints the heap growth (mallinfo2) and RSS growth per entry.
// Usage: roamkey_visited_cache_footprint [entries]

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "crypto/bytes.h"
#include "tsk_cache.h"

namespace {

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t heap_bytes() {
  return mallinfo2().uordblks + mallinfo2().hblkhd;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace roamkey;
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const auto now = visited::Clock::now();

  visited::DelegatedVector v;
  const crypto::Bytes tsk(visited::kTskSize, 0x5A);
  v.tsk = crypto::SecretBytes(crypto::ByteView(tsk));
  v.lifetime = std::chrono::hours(1);
  v.max_uses = 10;
  v.home_realm = "home.example";

  visited::TskCache::Options options;
  options.max_entries = n;
  visited::TskCache cache(options);

  char nai[64];
  std::snprintf(nai, sizeof nai, "user%07zu@home.example", std::size_t{0});
  const std::size_t nai_length = std::string(nai).size();

  const std::size_t heap_before = heap_bytes();
  const std::size_t rss_before = rss_bytes();
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(nai, sizeof nai, "user%07zu@home.example", i);
    v.generation = static_cast<std::uint32_t>(i + 1);
    if (cache.store(nai, v, now) != visited::StoreResult::kStored) {
      std::fprintf(stderr, "store failed at %zu\n", i);
      return 1;
    }
  }
  const std::size_t heap_after = heap_bytes();
  const std::size_t rss_after = rss_bytes();

  std::printf("entries: %zu (NAI length %zu, no pending vectors)\n", cache.size(), nai_length);
  std::printf("heap in use: %.1f bytes/entry\n", static_cast<double>(heap_after - heap_before) / n);
  std::printf("RSS growth:  %.1f bytes/entry\n", static_cast<double>(rss_after - rss_before) / n);
  return 0;
}
