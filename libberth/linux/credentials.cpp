// process.user and process.capabilities, applied together because each step of
// one has to happen at a given moment of the other; and noNewPrivileges.
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "linux/capabilities.hpp"
#include "linux/process_setup.hpp"
#include "sys/syscalls.hpp"

namespace berth::linux {

namespace {

constexpr mode_t kDefaultUmask = 0022;

std::string gid_list(const std::vector<std::uint32_t> &gids) {
  std::string out = "[";
  for (auto gid : gids) {
    if (out.size() > 1)
      out += ' ';
    out += std::to_string(gid);
  }
  out += ']';
  return out;
}

// A user namespace whose /proc/self/setgroups says "deny" refuses setgroups
// even to root in it (so that dropping a group cannot grant access).
bool setgroups_denied() {
  auto state = sys::read_file("/proc/self/setgroups", 64);
  return state && state->starts_with("deny");
}

Result<void> set_groups(const std::vector<std::uint32_t> &gids) {
  // An empty list is still set: it drops the runtime's own supplementary groups.
  std::vector<gid_t> groups(gids.begin(), gids.end());
  if (::setgroups(groups.size(), groups.data()) == 0)
    return {};
  int error = errno;
  if (error == EPERM && setgroups_denied()) {
    // The groups the process entered with cannot be changed there at all;
    // that is only an error when the config asked for some.
    if (groups.empty())
      return {};
    return fail("setgroups " + gid_list(gids) +
                    ": the user namespace denies setgroups (/proc/self/setgroups is \"deny\")",
                error);
  }
  return fail(Error::from_errno("setgroups " + gid_list(gids), error));
}

Result<void> switch_user(const spec::User &user) {
  BERTH_TRY(set_groups(user.additional_gids));
  if (::setresgid(user.gid, user.gid, user.gid) < 0)
    return fail_errno("setresgid " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) < 0)
    return fail_errno("setresuid " + std::to_string(user.uid));
  ::umask(user.umask ? static_cast<mode_t>(*user.umask & 0777) : kDefaultUmask);
  return {};
}

Result<void> keep_capabilities(bool keep) {
  if (::prctl(PR_SET_KEEPCAPS, keep ? 1 : 0, 0, 0, 0) < 0)
    return fail_errno(keep ? "prctl PR_SET_KEEPCAPS" : "prctl PR_SET_KEEPCAPS 0");
  return {};
}

} // namespace

Result<void> apply_credentials(const spec::Process &process, std::vector<std::string> &warnings) {
  unsigned last_cap = 0;
  std::optional<CapabilitySets> sets;
  if (process.capabilities) {
    last_cap = running_kernel_last_cap();
    sets = resolve_capabilities(*process.capabilities, last_cap, warnings);
    // Dropping from the bounding set needs CAP_SETPCAP, which a non-root uid
    // no longer has once the user switch below clears its effective set.
    BERTH_TRY(drop_bounding_set(sets->bounding, last_cap));
  }

  // Without keep-caps, leaving uid 0 would empty the permitted set, and the
  // capabilities the config gives a non-root user could not be set after it.
  BERTH_TRY(keep_capabilities(true));
  auto switched = switch_user(process.user);
  auto cleared = keep_capabilities(false);
  BERTH_TRY(switched);
  BERTH_TRY(cleared);

  if (!sets)
    return {};
  BERTH_TRY(set_capabilities(*sets));
  // Last: a capability can only be ambient while it is permitted and inheritable.
  return set_ambient_capabilities(*sets, last_cap, warnings);
}

Result<void> apply_no_new_privileges() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return fail_errno("prctl PR_SET_NO_NEW_PRIVS");
  return {};
}

} // namespace berth::linux
