#include "log_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"
#include "json/value.hpp"

namespace berth::cli {
namespace {

// The sink is a plain function pointer, so its destination lives here.
UniqueFd g_log_fd;
LogFormat g_log_format = LogFormat::Text;

// logrus' level names: the engines compare against "error".
std::string_view level_name(log::Level level) {
  switch (level) {
  case log::Level::Debug:
    return "debug";
  case log::Level::Info:
    return "info";
  case log::Level::Warn:
    return "warning";
  case log::Level::Error:
    return "error";
  }
  return "error";
}

// A message spread over several lines would be read as several messages.
std::string one_line(std::string_view message) {
  std::string out(message);
  for (char &c : out)
    if (c == '\n' || c == '\r')
      c = ' ';
  return out;
}

// Double-quoted with backslash escapes, as logrus' text format quotes values.
std::string quote_text(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20 || c == 0x7f) {
        char hex[5];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        out += hex;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += '"';
  return out;
}

void write_stderr(log::Level level, std::string_view message) {
  std::string line = "berth: ";
  if (level != log::Level::Error) {
    line += level_name(level);
    line += ": ";
  }
  line += one_line(message);
  line += '\n';
  // Nothing sensible is left to do when stderr itself fails.
  (void)sys::write_all(STDERR_FILENO, line);
}

void sink(log::Level level, std::string_view message) {
  if (level == log::Level::Debug && !log::debug_enabled())
    return;
  bool to_file = g_log_fd.valid();
  // Debug and info reach stderr only when asked for with --debug and no file
  // takes them: conmon treats a failing runtime's stderr as the error text.
  // Warnings go to the --log file alone when there is one, as runc's do: under
  // a shim, create's and exec's stderr is the container's own (`docker logs`).
  bool important = level == log::Level::Error || (level == log::Level::Warn && !to_file);
  if (important || (!to_file && log::debug_enabled()))
    write_stderr(level, message);
  if (to_file) {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    // One write per line: O_APPEND keeps concurrent writers' lines whole.
    (void)sys::write_all(g_log_fd.get(), format_log_line(g_log_format, level, message, now));
  }
}

} // namespace

std::string format_timestamp(const timespec &when) {
  tm utc{};
  gmtime_r(&when.tv_sec, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, when.tv_nsec);
  return buf;
}

std::string format_log_line(LogFormat format, log::Level level, std::string_view message,
                            const timespec &when) {
  std::string line;
  if (format == LogFormat::Json) {
    json::Value entry = json::Value::object();
    entry.set("level", json::Value::string(std::string(level_name(level))));
    entry.set("msg", json::Value::string(std::string(message)));
    entry.set("time", json::Value::string(format_timestamp(when)));
    line = json::serialize(entry);
  } else {
    line = "time=\"" + format_timestamp(when) + "\" level=" + std::string(level_name(level)) +
           " msg=" + quote_text(message);
  }
  line += '\n';
  return line;
}

void install_stderr_logging() {
  log::set_sink(sink);
}

Result<void> install_logging(const GlobalArgs &global) {
  log::set_debug(global.debug);
  log::set_sink(sink);
  if (global.log_file.empty() || global.log_format_invalid)
    return {};
  auto fd = sys::open_path(global.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (!fd) {
    Error error = std::move(fd).error();
    return fail(Error("cannot open log file " + global.log_file, error.errno_value()));
  }
  g_log_fd = std::move(*fd);
  g_log_format = global.log_format;
  return {};
}

} // namespace berth::cli
