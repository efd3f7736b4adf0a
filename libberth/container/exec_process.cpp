// Which process `exec` runs, from the container's config.process and the
// command line (runc's overlay rules).
#include <algorithm>

#include "container/exec.hpp"
#include "tables/capabilities.hpp"

namespace berth::container {
namespace {

// KEY=value replaces every KEY= entry (at the first one's place) or is appended.
void set_env(std::vector<std::string> &env, const std::string &entry) {
  std::string prefix = entry.substr(0, entry.find('=') + 1);
  auto same_key = [&](const std::string &e) { return e.starts_with(prefix); };
  auto first = std::find_if(env.begin(), env.end(), same_key);
  if (first == env.end()) {
    env.push_back(entry);
    return;
  }
  *first = entry;
  env.erase(std::remove_if(first + 1, env.end(), same_key), env.end());
}

void add_once(std::vector<std::string> &set, const std::string &name) {
  if (std::find(set.begin(), set.end(), name) == set.end())
    set.push_back(name);
}

bool contains(const std::vector<std::string> &set, const std::string &name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

} // namespace

Result<spec::Process> overlay_exec_flags(spec::Process process, const ExecOptions &options) {
  if (options.args.empty())
    return fail("no command to run: give it after the container ID, or use --process");
  if (options.args.front().empty())
    return fail("the command to run is an empty string");
  process.args = options.args;
  process.terminal = options.tty;
  if (options.cwd) {
    if (!options.cwd->starts_with('/'))
      return fail("--cwd " + *options.cwd + ": expected an absolute path");
    process.cwd = *options.cwd;
  }
  for (const auto &entry : options.env) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail("--env " + entry + ": expected NAME=value");
    set_env(process.env, entry);
  }
  if (options.uid)
    process.user.uid = *options.uid;
  if (options.gid)
    process.user.gid = *options.gid;
  for (auto gid : options.additional_gids)
    if (std::find(process.user.additional_gids.begin(), process.user.additional_gids.end(), gid) ==
        process.user.additional_gids.end())
      process.user.additional_gids.push_back(gid);
  for (const auto &name : options.capabilities) {
    if (!tables::find_capability(name))
      return fail("--cap " + name + ": unknown capability");
    // Without a capabilities object the process keeps all of berth's (runc's
    // reading of an absent object): there is nothing to add to.
    if (!process.capabilities)
      continue;
    auto &caps = *process.capabilities;
    add_once(caps.bounding, name);
    add_once(caps.effective, name);
    add_once(caps.permitted, name);
    // Ambient needs inheritable; only a config that grants that gets it.
    if (contains(caps.inheritable, name))
      add_once(caps.ambient, name);
  }
  if (options.no_new_privileges)
    process.no_new_privileges = *options.no_new_privileges;
  if (options.process_label)
    process.selinux_label = *options.process_label;
  if (options.apparmor_profile)
    process.apparmor_profile = *options.apparmor_profile;
  return process;
}

Result<void> check_no_overlay_flags(const ExecOptions &options) {
  // runc ignores these next to a process file; berth refuses them, so that a
  // --user (say) never silently does not apply.
  const std::pair<bool, std::string_view> flags[] = {
      {!options.args.empty(), "a command after the container ID"},
      {options.cwd.has_value(), "--cwd"},
      {!options.env.empty(), "--env"},
      {options.uid.has_value(), "--user"},
      {!options.additional_gids.empty(), "--additional-gids"},
      {!options.capabilities.empty(), "--cap"},
      {options.no_new_privileges.has_value(), "--no-new-privs"},
      {options.process_label.has_value(), "--process-label"},
      {options.apparmor_profile.has_value(), "--apparmor"},
  };
  for (const auto &[given, flag] : flags)
    if (given)
      return fail(std::string(flag) + " cannot be combined with --process: the process file " +
                  "says everything about the process");
  return {};
}

} // namespace berth::container
