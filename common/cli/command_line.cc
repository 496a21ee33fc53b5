#include "cli/command_line.h"

#include <iostream>
#include <string>

#include "cli/version.h"

namespace roamkey::cli {

std::string version_line(std::string_view program) {
  std::string s = std::string(program) + " " + kProjectVersion;
  if (kGitDescribe[0] != '\0') s += std::string(" (git ") + kGitDescribe + ")";
  return s;
}

void add_version_flag(CLI::App& app, std::string_view program) {
  app.set_version_flag("--version", version_line(program), "print the version and exit");
}

std::optional<int> parse(CLI::App& app, int argc, char** argv, std::string_view program) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": " << e.what() << " (see --help)\n";
    return kExitUsage;
  }
}

}  // namespace roamkey::cli
