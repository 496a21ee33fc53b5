#include "fd_environment.h"

#include <gtest/gtest.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include "diameter/fd_includes.h"

namespace roamkey::diameter::test {

namespace {

int g_log_threshold = FD_LOG_FATAL + 1;  // silent
std::optional<Dictionary> g_dictionary;

// freeDiameter accepts one log handler per process (notes sec. 1, "Logging").
void test_log(int level, const char* format, va_list args) {
  if (level < g_log_threshold) return;
  std::vfprintf(stderr, format, args);
  std::fputc('\n', stderr);
}

class FreeDiameterEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    // Read before fd_core_initialize() starts any thread.
    if (const char* level = std::getenv("ROAMKEY_TEST_FD_LOG"))  // NOLINT(concurrency-mt-unsafe)
      g_log_threshold = std::atoi(level);
    ASSERT_EQ(fd_log_handler_register(&test_log), 0);
    ASSERT_EQ(fd_core_initialize(), 0);
    try {
      g_dictionary = load_dictionary(ROAMKEY_DICTIONARY_FILE);
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }

  void TearDown() override {
    g_dictionary.reset();
    fd_core_shutdown();
    fd_core_wait_shutdown_complete();
  }
};

// Registered before main() runs; gtest calls SetUp() from RUN_ALL_TESTS(), so
// no freeDiameter function runs during static initialisation (notes sec. 7.11).
// (gtest's documented way to register an environment with gtest_main.)
[[maybe_unused]] ::testing::Environment* const g_environment =  // NOLINT(cert-err58-cpp)
    ::testing::AddGlobalTestEnvironment(new FreeDiameterEnvironment);

}  // namespace

const Dictionary& roamkey_dictionary() {
  if (!g_dictionary) throw std::logic_error("the freeDiameter test environment has not loaded the dictionary");
  return *g_dictionary;
}

}  // namespace roamkey::diameter::test
