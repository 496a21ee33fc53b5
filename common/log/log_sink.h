#pragma once
// The one sink of a RoamKey program's logger: stderr or a file, in one of
// three layouts, all switchable while other threads log (SIGHUP reload) and
// the file reopenable in place (SIGUSR1, for logrotate).
//
//   Text     "2026-12-03 18:00:00.123 home-aaa[42] info  [43] message"
//   Journal  "<6>message" on stderr when journald reads it (JOURNAL_STREAM
//            names our stderr, systemd.exec(5)): journald stamps the time
//            and the unit itself, and takes the level from the sd-daemon(3)
//            "<N>" prefix, so neither is printed twice.
//   Json     one object a line (RFC 8259): time (RFC 3339, UTC), level,
//            program, pid, thread, msg, and the event fields of the line
//            when it has them (log_event.h): event, peer, result_code, nai.

#include <spdlog/sinks/base_sink.h>

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>

namespace roamkey::log {

enum class Layout { Text, Journal, Json };

class LogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LogSink(std::string program);
  ~LogSink() override;

  // Writes to `file` (appended to, created 0640 under the daemons' umask)
  // or, when empty, to stderr. Throws std::runtime_error naming the file
  // when it cannot be opened; the previous destination is kept then.
  void set_destination(const std::filesystem::path& file);
  void set_layout(Layout layout);
  // Closes and opens the file again by name (logrotate's "create" mode);
  // nothing for stderr. Throws like set_destination, keeping the old file.
  void reopen();

  std::filesystem::path file();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;
  void set_pattern_(const std::string&) override {}
  void set_formatter_(std::unique_ptr<spdlog::formatter>) override {}

 private:
  void format_text(const spdlog::details::log_msg& msg, std::string& out) const;
  void format_journal(const spdlog::details::log_msg& msg, std::string& out) const;
  void format_json(const spdlog::details::log_msg& msg, std::string& out) const;

  const std::string program_;
  const int pid_;
  Layout layout_ = Layout::Text;
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;  // owned unless it is stderr
};

// Whether stderr is read by journald (JOURNAL_STREAM, systemd.exec(5)).
bool stderr_is_journal();

}  // namespace roamkey::log
