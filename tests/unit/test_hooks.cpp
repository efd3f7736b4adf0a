// The hook runner on its own (process/hooks.hpp): the state reaches the
// hook's stdin whole, however large, and a hook that does not read it is no
// failure (nor a SIGPIPE for the caller); every way a hook can fail becomes
// one message naming it; the timeout kills; the caller's blocked signals do
// not reach the hook; and the state JSON holds the spec's fields.
#include <criterion/criterion.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "container/hook_state.hpp"
#include "process/hooks.hpp"
#include "string_assert.hpp"
#include "sys/syscalls.hpp"
#include "json/value.hpp"

using namespace berth;
using namespace berth::process;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/berth-hooks-XXXXXX";
    cr_assert_not_null(::mkdtemp(tmpl));
    path = tmpl;
  }
  ~TempDir() { (void)!::system(("rm -rf " + path).c_str()); }
};

spec::Hook sh(const std::string &script, std::optional<std::int64_t> timeout = std::nullopt) {
  return spec::Hook{.path = "/bin/sh",
                    .args = {"sh", "-c", script},
                    .env = {"PATH=/usr/bin:/bin"},
                    .timeout = timeout};
}

std::string read(const std::string &path) {
  auto text = sys::read_file(path);
  cr_assert(text.has_value(), "%s: %s", path.c_str(), text ? "" : text.error().message().c_str());
  return *text;
}

} // namespace

Test(hooks, state_reaches_stdin_whole) {
  TempDir dir;
  // Larger than a pipe's buffer: berth must keep writing while the hook reads.
  std::string state(300000, 'x');
  auto ran = run_hook(sh("cat > " + dir.path + "/stdin"), state);
  cr_assert(ran.has_value(), "%s", ran ? "" : ran.error().message().c_str());
  cr_assert(read(dir.path + "/stdin") == state);
}

Test(hooks, a_hook_that_does_not_read_stdin_succeeds) {
  std::string state(300000, 'x');
  auto ran = run_hook(sh("exit 0"), state);
  cr_assert(ran.has_value(), "%s", ran ? "" : ran.error().message().c_str());
  // The EPIPE's SIGPIPE is neither pending nor blocked afterwards.
  sigset_t pending, mask;
  sigpending(&pending);
  sigprocmask(SIG_BLOCK, nullptr, &mask);
  cr_assert(!sigismember(&pending, SIGPIPE));
  cr_assert(!sigismember(&mask, SIGPIPE));
}

Test(hooks, exit_status_is_the_error) {
  auto ran = run_hook(sh("exit 3"), "{}");
  cr_assert(!ran.has_value());
  BERTH_ASSERT_STR_EQ(ran.error().message(), "exited with status 3");
}

Test(hooks, a_signal_is_the_error) {
  auto ran = run_hook(sh("kill -TERM $$"), "{}");
  cr_assert(!ran.has_value());
  BERTH_ASSERT_STR_EQ(ran.error().message(), "killed by SIGTERM");
}

Test(hooks, the_callers_blocked_signals_do_not_reach_the_hook) {
  // run blocks the signals it forwards; a hook must not start with them blocked.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, nullptr);
  auto ran = run_hook(sh("kill -TERM $$; exit 0"), "{}");
  cr_assert(!ran.has_value());
  BERTH_ASSERT_STR_EQ(ran.error().message(), "killed by SIGTERM");
}

Test(hooks, exec_failure_is_the_error) {
  auto ran = run_hook(spec::Hook{.path = "/no/such/hook"}, "{}");
  cr_assert(!ran.has_value());
  cr_assert_eq(ran.error().errno_value(), ENOENT);
  BERTH_ASSERT_STR_EQ(ran.error().message(), "exec: No such file or directory");
}

Test(hooks, timeout_kills_the_hook) {
  TempDir dir;
  auto ran = run_hook(sh("echo $$ > " + dir.path + "/pid; exec sleep 1000", 1), "{}");
  cr_assert(!ran.has_value());
  BERTH_ASSERT_STR_EQ(ran.error().message(), "timed out after 1 s");
  pid_t pid = std::stoi(read(dir.path + "/pid"));
  // Reaped by the runner: not even a zombie of ours is left.
  cr_assert(::kill(pid, 0) < 0 && errno == ESRCH);
}

Test(hooks, args_zero_is_argv_zero_and_env_is_exact) {
  TempDir dir;
  spec::Hook hook{
      .path = "/bin/sh",
      .args = {"custom-name", "-c",
               "echo \"$0\" > " + dir.path + "/argv0; " + "/usr/bin/env > " + dir.path + "/env"},
      .env = {"ONE=1", "TWO=2 words"}};
  auto ran = run_hook(hook, "{}");
  cr_assert(ran.has_value(), "%s", ran ? "" : ran.error().message().c_str());
  BERTH_ASSERT_STR_EQ(read(dir.path + "/argv0"), "custom-name\n");
  // The shell adds PWD (and may add others) to what it exports; the caller's
  // environment must not be there.
  std::string env = read(dir.path + "/env");
  cr_assert(env.find("ONE=1\n") != std::string::npos, "%s", env.c_str());
  cr_assert(env.find("TWO=2 words\n") != std::string::npos, "%s", env.c_str());
  cr_assert(env.find("PATH=") == std::string::npos, "%s", env.c_str());
}

Test(hooks, a_list_stops_at_the_first_failure_and_names_it) {
  TempDir dir;
  std::string log = dir.path + "/log";
  std::vector<spec::Hook> hooks = {sh("echo first >> " + log), sh("exit 2"),
                                   sh("echo third >> " + log)};
  auto ran = run_hooks(HookKind::CreateRuntime, hooks, "{}");
  cr_assert(!ran.has_value());
  BERTH_ASSERT_STR_EQ(ran.error().message(),
                      "createRuntime hook 1 (/bin/sh): exited with status 2");
  BERTH_ASSERT_STR_EQ(read(log), "first\n");
}

Test(hooks, warnings_only_runs_them_all) {
  TempDir dir;
  std::string log = dir.path + "/log";
  std::vector<spec::Hook> hooks = {sh("exit 2"), sh("echo second >> " + log)};
  run_hooks_warning_on_failure(HookKind::Poststop, hooks, "{}");
  BERTH_ASSERT_STR_EQ(read(log), "second\n");
}

Test(hooks, state_json_has_the_spec_fields) {
  container::StoredState stored;
  stored.oci_version = "1.2.1";
  stored.id = "c1";
  stored.bundle = "/srv/b";
  stored.init.pid = 4242;
  stored.annotations = {{"k", "v"}};
  auto doc = json::parse(container::hook_state_json(stored, container::Status::Creating));
  cr_assert(doc.has_value());
  BERTH_ASSERT_STR_EQ(doc->find("ociVersion")->text(), "1.2.1");
  BERTH_ASSERT_STR_EQ(doc->find("id")->text(), "c1");
  BERTH_ASSERT_STR_EQ(doc->find("status")->text(), "creating");
  cr_assert_eq(*doc->find("pid")->to_int64(), 4242);
  BERTH_ASSERT_STR_EQ(doc->find("bundle")->text(), "/srv/b");
  BERTH_ASSERT_STR_EQ(doc->find("annotations")->find("k")->text(), "v");

  stored.annotations.clear();
  auto stopped = json::parse(container::hook_state_json(stored, container::Status::Stopped));
  cr_assert(stopped.has_value());
  BERTH_ASSERT_STR_EQ(stopped->find("status")->text(), "stopped");
  cr_assert_null(stopped->find("pid"));
  cr_assert_null(stopped->find("annotations"));
}

Test(hooks, kind_names_are_the_configs) {
  BERTH_ASSERT_STR_EQ(std::string(hook_kind_name(HookKind::Prestart)), "prestart");
  BERTH_ASSERT_STR_EQ(std::string(hook_kind_name(HookKind::CreateRuntime)), "createRuntime");
  BERTH_ASSERT_STR_EQ(std::string(hook_kind_name(HookKind::CreateContainer)), "createContainer");
  BERTH_ASSERT_STR_EQ(std::string(hook_kind_name(HookKind::StartContainer)), "startContainer");
  BERTH_ASSERT_STR_EQ(std::string(hook_kind_name(HookKind::Poststart)), "poststart");
  BERTH_ASSERT_STR_EQ(std::string(hook_kind_name(HookKind::Poststop)), "poststop");
}
