// Signal names for `kill` and friends: "KILL", "SIGKILL" and "9" all mean SIGKILL.
#pragma once

#include <csignal>

#include <array>
#include <charconv>
#include <optional>
#include <string_view>

#include "tables/lookup.hpp"

namespace berth::tables {

struct SignalInfo {
  std::string_view name; // without the SIG prefix
  int number;
};

inline constexpr std::array kSignals = {
    SignalInfo{"HUP", SIGHUP},   SignalInfo{"INT", SIGINT},       SignalInfo{"QUIT", SIGQUIT},
    SignalInfo{"ILL", SIGILL},   SignalInfo{"TRAP", SIGTRAP},     SignalInfo{"ABRT", SIGABRT},
    SignalInfo{"IOT", SIGIOT},   SignalInfo{"BUS", SIGBUS},       SignalInfo{"FPE", SIGFPE},
    SignalInfo{"KILL", SIGKILL}, SignalInfo{"USR1", SIGUSR1},     SignalInfo{"SEGV", SIGSEGV},
    SignalInfo{"USR2", SIGUSR2}, SignalInfo{"PIPE", SIGPIPE},     SignalInfo{"ALRM", SIGALRM},
    SignalInfo{"TERM", SIGTERM}, SignalInfo{"STKFLT", SIGSTKFLT}, SignalInfo{"CHLD", SIGCHLD},
    SignalInfo{"CONT", SIGCONT}, SignalInfo{"STOP", SIGSTOP},     SignalInfo{"TSTP", SIGTSTP},
    SignalInfo{"TTIN", SIGTTIN}, SignalInfo{"TTOU", SIGTTOU},     SignalInfo{"URG", SIGURG},
    SignalInfo{"XCPU", SIGXCPU}, SignalInfo{"XFSZ", SIGXFSZ},     SignalInfo{"VTALRM", SIGVTALRM},
    SignalInfo{"PROF", SIGPROF}, SignalInfo{"WINCH", SIGWINCH},   SignalInfo{"IO", SIGIO},
    SignalInfo{"POLL", SIGPOLL}, SignalInfo{"PWR", SIGPWR},       SignalInfo{"SYS", SIGSYS},
};

// Parses "KILL", "SIGKILL", "kill", "9", "RTMIN+3" or "SIGRTMAX-1"; "0" too
// (the number only, as runc: no "SIG0").
inline std::optional<int> parse_signal(std::string_view text) {
  auto is_number = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  auto to_int = [](std::string_view s) -> std::optional<int> {
    int n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size())
      return std::nullopt;
    return n;
  };
  if (is_number(text)) {
    auto n = to_int(text);
    // 0 is kill(2)'s "is it there?": nothing is sent, the target is checked.
    if (!n || *n < 0 || *n > SIGRTMAX)
      return std::nullopt;
    return n;
  }
  char upper[32];
  if (text.size() >= sizeof upper)
    return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i)
    upper[i] = (text[i] >= 'a' && text[i] <= 'z') ? static_cast<char>(text[i] - 32) : text[i];
  std::string_view name(upper, text.size());
  if (name.starts_with("SIG"))
    name.remove_prefix(3);
  if (const auto *sig = find_by_name(kSignals, name))
    return sig->number;
  // Real-time signals: RTMIN, RTMIN+n, RTMAX, RTMAX-n.
  auto realtime = [&](std::string_view base, int origin, char sign) -> std::optional<int> {
    if (!name.starts_with(base))
      return std::nullopt;
    std::string_view rest = name.substr(base.size());
    if (rest.empty())
      return origin;
    if (rest[0] != sign || !is_number(rest.substr(1)))
      return std::nullopt;
    auto offset = to_int(rest.substr(1));
    if (!offset)
      return std::nullopt;
    int n = sign == '+' ? origin + *offset : origin - *offset;
    if (n < SIGRTMIN || n > SIGRTMAX)
      return std::nullopt;
    return n;
  };
  if (auto n = realtime("RTMIN", SIGRTMIN, '+'))
    return n;
  return realtime("RTMAX", SIGRTMAX, '-');
}

} // namespace berth::tables
