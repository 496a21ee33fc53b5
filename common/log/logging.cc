#include "log/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace roamkey::log {

namespace {

constexpr const char* kPattern = "%Y-%m-%d %H:%M:%S.%e %n[%P] %^%-5l%$ [%t] %v";

void install(std::shared_ptr<spdlog::sinks::sink> sink, std::string_view program, std::string_view level) {
  auto logger = std::make_shared<spdlog::logger>(std::string(program), std::move(sink));
  logger->set_pattern(kPattern);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

void configure_early(std::string_view program, std::string_view level) {
  install(std::make_shared<spdlog::sinks::stderr_sink_mt>(), program, level);
}

void configure(const config::LogConfig& cfg, std::string_view program) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (cfg.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(cfg.file.string(), false);
    } catch (const spdlog::spdlog_ex& e) {
      throw config::ConfigError("log.file: cannot open " + cfg.file.string() + ": " + e.what());
    }
  }
  install(std::move(sink), program, cfg.level);
}

}  // namespace roamkey::log
