#pragma once
// The freeDiameter core shared by every test of roamkey_diameter_tests.
//
// fd_core_initialize() may run only once per process (notes/freediameter-
// 1.2.1.md sec. 1), so a gtest global environment initialises the core before
// the first test, loads dictionaries/roamkey.xml (path given by the build as
// ROAMKEY_DICTIONARY_FILE) and shuts the core down after the last test. Tests
// must not call fd_core_initialize(), fd_core_parseconf() or
// fd_log_handler_register() themselves.
//
// freeDiameter's log is silent by default because the negative tests make it
// log expected errors; ROAMKEY_TEST_FD_LOG=<level> (0 annoying ... 6 fatal)
// prints messages of that level and above on stderr.

#include "diameter/dictionary.h"

namespace roamkey::diameter::test {

// dictionaries/roamkey.xml as loaded by the environment.
const Dictionary& roamkey_dictionary();

}  // namespace roamkey::diameter::test
