#include "log/log_sink.h"

#include <fcntl.h>
#include <spdlog/details/os.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "log/log_event.h"
#include "log/logged_nai.h"
#include "time/iso8601.h"

namespace roamkey::log {

namespace {

// sd-daemon(3) priorities: "<3>" error ... "<7>" debug.
char journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return '7';
    case spdlog::level::info: return '6';
    case spdlog::level::warn: return '4';
    case spdlog::level::err: return '3';
    case spdlog::level::critical: return '2';
    default: return '6';
  }
}

std::string_view level_name(spdlog::level::level_enum level) {
  const auto& name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

std::FILE* open_append(const std::filesystem::path& file) {
  // 0640 before the umask: the log holds NAIs (log.nai), never world-readable.
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  std::FILE* f = ::fdopen(fd, "a");
  if (f == nullptr) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(e));
  }
  return f;
}

}  // namespace

bool stderr_is_journal() {
  // systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of the stream
  // connected to journald; compare it with what stderr is now.
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr || *stream == '\0') return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

LogSink::LogSink(std::string program)
    : program_(std::move(program)), pid_(static_cast<int>(::getpid())), file_(stderr) {}

LogSink::~LogSink() {
  if (file_ != nullptr && file_ != stderr) std::fclose(file_);
}

void LogSink::set_destination(const std::filesystem::path& file) {
  std::FILE* next = file.empty() ? stderr : open_append(file);
  const std::lock_guard lock(mutex_);
  if (file_ != nullptr && file_ != stderr) std::fclose(file_);
  file_ = next;
  path_ = file;
}

void LogSink::set_layout(Layout layout) {
  const std::lock_guard lock(mutex_);
  layout_ = layout;
}

std::filesystem::path LogSink::file() {
  const std::lock_guard lock(mutex_);
  return path_;
}

void LogSink::reopen() {
  const auto path = file();
  if (path.empty()) return;
  set_destination(path);
}

void LogSink::sink_it_(const spdlog::details::log_msg& msg) {
  std::string line;
  line.reserve(msg.payload.size() + 96);
  switch (layout_) {
    case Layout::Text: format_text(msg, line); break;
    case Layout::Journal: format_journal(msg, line); break;
    case Layout::Json: format_json(msg, line); break;
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), file_);
  // Every line reaches the file or the journal at once: a daemon killed
  // (SIGKILL, OOM) loses none of what it said before.
  std::fflush(file_);
}

void LogSink::flush_() {
  std::fflush(file_);
}

void LogSink::format_text(const spdlog::details::log_msg& msg, std::string& out) const {
  const auto t = spdlog::log_clock::to_time_t(msg.time);
  std::tm tm{};
  localtime_r(&t, &tm);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() % 1000;
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  out += fmt::format("{}.{:03d} {}[{}] {:<5} [{}] ", stamp, static_cast<int>(ms), program_, pid_, level_name(msg.level),
                     msg.thread_id);
  out.append(msg.payload.data(), msg.payload.size());
}

void LogSink::format_journal(const spdlog::details::log_msg& msg, std::string& out) const {
  out += '<';
  out += journal_priority(msg.level);
  out += '>';
  out.append(msg.payload.data(), msg.payload.size());
}

void LogSink::format_json(const spdlog::details::log_msg& msg, std::string& out) const {
  nlohmann::ordered_json j;
  j["time"] = iso8601_millis(std::chrono::time_point_cast<std::chrono::system_clock::duration>(msg.time));
  j["level"] = level_name(msg.level);
  j["program"] = program_;
  j["pid"] = pid_;
  j["thread"] = msg.thread_id;
  if (const auto* e = EventScope::current()) {
    if (!e->event.empty()) j["event"] = e->event;
    if (!e->peer.empty()) j["peer"] = e->peer;
    if (e->result_code != 0) j["result_code"] = e->result_code;
    if (!e->nai.empty() && nai_display() != NaiDisplay::Hidden) j["nai"] = shown_nai(e->nai);
  }
  j["msg"] = std::string_view(msg.payload.data(), msg.payload.size());
  // Invalid UTF-8 (a peer's bytes in a message) is replaced, never thrown.
  out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace roamkey::log
