// Which process `exec` runs: the container's config.process with the command
// line laid over it (runc's rules), and what --process refuses next to it.
#include <criterion/criterion.h>

#include <algorithm>
#include <string>
#include <vector>

#include "container/exec.hpp"

using namespace berth;
using namespace berth::container;

namespace {

spec::Process base_process() {
  spec::Process process;
  process.terminal = true;
  process.args = {"sleep", "1000"};
  process.env = {"PATH=/bin", "TERM=xterm", "HOME=/root", "TERM=vt100"};
  process.cwd = std::string(1, '/'); // (= "/" trips GCC 12's -Wrestrict false positive)
  process.user = {.uid = 0, .gid = 5, .umask = std::nullopt, .additional_gids = {10}};
  process.capabilities = spec::Capabilities{
      .bounding = {"CAP_KILL"},
      .effective = {"CAP_KILL"},
      .inheritable = {"CAP_NET_RAW"},
      .permitted = {"CAP_KILL"},
      .ambient = {},
  };
  process.no_new_privileges = true;
  return process;
}

ExecOptions with_args(std::vector<std::string> args) {
  ExecOptions options;
  options.id = "c1";
  options.args = std::move(args);
  return options;
}

spec::Process overlay_ok(const ExecOptions &options, spec::Process base = base_process()) {
  auto process = overlay_exec_flags(std::move(base), options);
  cr_assert(process.has_value(), "%s", process ? "" : process.error().message().c_str());
  return *process;
}

std::string overlay_error(const ExecOptions &options) {
  auto process = overlay_exec_flags(base_process(), options);
  cr_assert(!process.has_value(), "expected an error");
  return process.error().message();
}

bool has(const std::vector<std::string> &set, const std::string &name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

} // namespace

Test(exec_process, args_replace_and_the_rest_is_the_config) {
  auto process = overlay_ok(with_args({"sh", "-c", "true"}));
  cr_assert((process.args == std::vector<std::string>{"sh", "-c", "true"}));
  cr_assert(!process.terminal, "terminal is --tty, not the config's");
  cr_assert(process.env == base_process().env);
  cr_assert(process.cwd == "/" && process.user.uid == 0 && process.user.gid == 5);
  cr_assert(process.no_new_privileges);
}

Test(exec_process, env_replaces_by_name_or_appends) {
  auto options = with_args({"true"});
  options.env = {"TERM=dumb", "NEW=1", "PATH=/usr/bin"};
  auto process = overlay_ok(options);
  cr_assert((process.env ==
             std::vector<std::string>{"PATH=/usr/bin", "TERM=dumb", "HOME=/root", "NEW=1"}));
  options.env = {"NOVALUE"};
  cr_assert(overlay_error(options).find("--env NOVALUE") != std::string::npos);
  options.env = {"=x"};
  cr_assert(overlay_error(options).find("expected NAME=value") != std::string::npos);
}

Test(exec_process, user_cwd_labels_and_no_new_privileges) {
  auto options = with_args({"true"});
  options.uid = 1000;
  options.additional_gids = {10, 20};
  options.cwd = "/tmp";
  options.tty = true;
  options.no_new_privileges = false;
  options.process_label = "system_u:system_r:container_t:s0";
  options.apparmor_profile = "unconfined";
  auto process = overlay_ok(options);
  cr_assert(process.user.uid == 1000 && process.user.gid == 5, "the gid stays without :GID");
  cr_assert((process.user.additional_gids == std::vector<std::uint32_t>{10, 20}));
  cr_assert(process.cwd == "/tmp" && process.terminal && !process.no_new_privileges);
  cr_assert(process.selinux_label == "system_u:system_r:container_t:s0");
  cr_assert(process.apparmor_profile == "unconfined");
  options.gid = 0;
  cr_assert(overlay_ok(options).user.gid == 0);
  options.cwd = "tmp";
  cr_assert(overlay_error(options).find("--cwd tmp: expected an absolute path") !=
            std::string::npos);
}

Test(exec_process, capabilities_join_the_sets_but_never_inheritable) {
  auto options = with_args({"true"});
  options.capabilities = {"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_KILL"};
  auto caps = *overlay_ok(options).capabilities;
  for (const auto *set : {&caps.bounding, &caps.effective, &caps.permitted}) {
    cr_assert(has(*set, "CAP_NET_ADMIN") && has(*set, "CAP_NET_RAW"));
    cr_assert(std::count(set->begin(), set->end(), "CAP_KILL") == 1, "added once");
  }
  cr_assert((caps.inheritable == std::vector<std::string>{"CAP_NET_RAW"}));
  // ambient only where the config already makes it inheritable
  cr_assert((caps.ambient == std::vector<std::string>{"CAP_NET_RAW"}));
  options.capabilities = {"CAP_BOGUS"};
  cr_assert(overlay_error(options).find("--cap CAP_BOGUS: unknown capability") !=
            std::string::npos);
  // without a capabilities object the process keeps berth's: nothing to add to
  auto bare = base_process();
  bare.capabilities.reset();
  options.capabilities = {"CAP_NET_ADMIN"};
  cr_assert(!overlay_ok(options, bare).capabilities.has_value());
}

Test(exec_process, a_command_is_needed) {
  cr_assert(overlay_error(with_args({})).find("no command to run") != std::string::npos);
  cr_assert(overlay_error(with_args({""})).find("empty") != std::string::npos);
}

Test(exec_process, process_file_refuses_the_process_flags) {
  // Built afresh for each case (a copy trips GCC 12's -Wmaybe-uninitialized).
  auto with_process_file = [] {
    ExecOptions options;
    options.process_file = "process.json";
    options.tty = true;
    options.detach = true;
    options.pid_file = "/p";
    options.preserve_fds = 1;
    return options;
  };
  cr_assert(check_no_overlay_flags(with_process_file()).has_value(),
            "flags about berth itself are fine");
  auto refused = [&](auto set, std::string_view flag) {
    ExecOptions o = with_process_file();
    set(o);
    auto checked = check_no_overlay_flags(o);
    cr_assert(!checked.has_value());
    cr_assert(checked.error().message().starts_with(flag), "%s", checked.error().message().c_str());
  };
  refused([](ExecOptions &o) { o.args = {"sh"}; }, "a command");
  refused([](ExecOptions &o) { o.cwd = "/"; }, "--cwd");
  refused([](ExecOptions &o) { o.env = {"A=1"}; }, "--env");
  refused([](ExecOptions &o) { o.uid = 1; }, "--user");
  refused([](ExecOptions &o) { o.additional_gids = {1}; }, "--additional-gids");
  refused([](ExecOptions &o) { o.capabilities = {"CAP_KILL"}; }, "--cap");
  refused([](ExecOptions &o) { o.no_new_privileges = true; }, "--no-new-privs");
  refused([](ExecOptions &o) { o.process_label = "l"; }, "--process-label");
  refused([](ExecOptions &o) { o.apparmor_profile = "p"; }, "--apparmor");
}
