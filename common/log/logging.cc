#include "log/logging.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "log/log_sink.h"
#include "log/logged_nai.h"

namespace roamkey::log {

namespace {

std::mutex g_mutex;
std::shared_ptr<LogSink> g_sink;  // guarded by g_mutex

std::shared_ptr<LogSink> sink_for(std::string_view program) {
  const std::lock_guard lock(g_mutex);
  if (!g_sink) {
    g_sink = std::make_shared<LogSink>(std::string(program));
    // No flush_on: the sink flushes every line itself (log_sink.cc).
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(std::string(program), g_sink));
  }
  return g_sink;
}

Layout layout_for(const config::LogConfig& cfg) {
  if (cfg.format == config::LogFormat::Json) return Layout::Json;
  return cfg.file.empty() && stderr_is_journal() ? Layout::Journal : Layout::Text;
}

NaiDisplay display_for(config::LogNai n) {
  switch (n) {
    case config::LogNai::Full: return NaiDisplay::Full;
    case config::LogNai::Realm: return NaiDisplay::Realm;
    case config::LogNai::Hidden: return NaiDisplay::Hidden;
  }
  return NaiDisplay::Full;
}

}  // namespace

void configure_early(std::string_view program, std::string_view level) {
  auto sink = sink_for(program);
  sink->set_layout(stderr_is_journal() ? Layout::Journal : Layout::Text);
  spdlog::default_logger_raw()->set_level(spdlog::level::from_str(std::string(level)));
}

void configure(const config::LogConfig& cfg, std::string_view program) {
  auto sink = sink_for(program);
  if (sink->file() != cfg.file) {
    try {
      sink->set_destination(cfg.file);
    } catch (const std::exception& e) {
      throw config::ConfigError("log.file: " + std::string(e.what()));
    }
  }
  sink->set_layout(layout_for(cfg));
  set_nai_display(display_for(cfg.nai));
  spdlog::default_logger_raw()->set_level(spdlog::level::from_str(cfg.level));
}

bool reopen() {
  std::shared_ptr<LogSink> sink;
  {
    const std::lock_guard lock(g_mutex);
    sink = g_sink;
  }
  if (!sink) return true;
  try {
    sink->reopen();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("log.file: {}; still writing to the file as it was open", e.what());
    return false;
  }
}

}  // namespace roamkey::log
