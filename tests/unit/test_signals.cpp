#include <criterion/criterion.h>

#include <csignal>

#include "tables/signals.hpp"

using berth::tables::parse_signal;

Test(signals, names_with_and_without_prefix) {
  cr_assert_eq(parse_signal("KILL").value_or(-1), SIGKILL);
  cr_assert_eq(parse_signal("SIGKILL").value_or(-1), SIGKILL);
  cr_assert_eq(parse_signal("TERM").value_or(-1), SIGTERM);
  cr_assert_eq(parse_signal("SIGHUP").value_or(-1), SIGHUP);
  cr_assert_eq(parse_signal("WINCH").value_or(-1), SIGWINCH);
}

Test(signals, any_case) {
  cr_assert_eq(parse_signal("kill").value_or(-1), SIGKILL);
  cr_assert_eq(parse_signal("sigterm").value_or(-1), SIGTERM);
  cr_assert_eq(parse_signal("SigUsr1").value_or(-1), SIGUSR1);
}

Test(signals, numbers) {
  cr_assert_eq(parse_signal("9").value_or(-1), 9);
  cr_assert_eq(parse_signal("1").value_or(-1), 1);
  cr_assert_eq(parse_signal("15").value_or(-1), SIGTERM);
  cr_assert_eq(parse_signal("64").value_or(-1), SIGRTMAX);
  // kill(2)'s existence check, as runc accepts it
  cr_assert_eq(parse_signal("0").value_or(-1), 0);
}

Test(signals, realtime) {
  cr_assert_eq(parse_signal("RTMIN").value_or(-1), SIGRTMIN);
  cr_assert_eq(parse_signal("RTMIN+3").value_or(-1), SIGRTMIN + 3);
  cr_assert_eq(parse_signal("SIGRTMIN+1").value_or(-1), SIGRTMIN + 1);
  cr_assert_eq(parse_signal("rtmin+2").value_or(-1), SIGRTMIN + 2);
  cr_assert_eq(parse_signal("RTMAX").value_or(-1), SIGRTMAX);
  cr_assert_eq(parse_signal("SIGRTMAX-1").value_or(-1), SIGRTMAX - 1);
}

Test(signals, rejects_invalid) {
  for (const char *bad : {"65", "-1", "SIG0", "ZERO", "+9", "FOO", "SIG", "", "SIGFOO", "RTMIN+",
                          "RTMIN-1", "RTMAX+1", "RTMIN+99", "9x", " 9", "99999999999999999999",
                          "AVERYLONGSIGNALNAMETHATDOESNOTFIT"})
    cr_assert(!parse_signal(bad).has_value(), "\"%s\" should be invalid", bad);
}
