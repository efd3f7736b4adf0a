// process.user and process.capabilities, applied together because each step of
// one has to happen at a given moment of the other; and noNewPrivileges.
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

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

Result<void> set_groups(const CredentialPlan &plan) {
  // An empty list is still set: it drops the runtime's own supplementary groups.
  if (::setgroups(plan.groups.size(), plan.groups.data()) == 0)
    return {};
  int error = errno;
  std::vector<std::uint32_t> gids(plan.groups.begin(), plan.groups.end());
  if (error == EPERM && plan.setgroups_denied) {
    // The groups the process entered with cannot be changed there at all;
    // that is only an error when the config asked for some.
    if (gids.empty())
      return {};
    return fail("setgroups " + gid_list(gids) +
                    ": the user namespace denies setgroups (/proc/self/setgroups is \"deny\")",
                error);
  }
  return fail(Error::from_errno("setgroups " + gid_list(gids), error));
}

Result<void> switch_user(const spec::User &user, const CredentialPlan &plan) {
  BERTH_TRY(set_groups(plan));
  if (::setresgid(user.gid, user.gid, user.gid) < 0)
    return fail_errno("setresgid " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) < 0)
    return fail_errno("setresuid " + std::to_string(user.uid));
  return {};
}

Result<void> keep_capabilities(bool keep) {
  if (::prctl(PR_SET_KEEPCAPS, keep ? 1 : 0, 0, 0, 0) < 0)
    return fail_errno(keep ? "prctl PR_SET_KEEPCAPS" : "prctl PR_SET_KEEPCAPS 0");
  return {};
}

} // namespace

Result<CredentialPlan> prepare_credentials(const spec::Process &process,
                                           std::vector<std::string> &warnings) {
  CredentialPlan plan;
  const auto &user = process.user;
  plan.groups.assign(user.additional_gids.begin(), user.additional_gids.end());
  plan.setgroups_denied = setgroups_denied();
  if (process.capabilities) {
    plan.last_cap = running_kernel_last_cap();
    CapabilitySets sets = resolve_capabilities(*process.capabilities, plan.last_cap, warnings);
    BERTH_TRY(check_capabilities_grantable(sets));
    // Dropping from the bounding set needs CAP_SETPCAP, which a non-root uid
    // no longer has once the user switch clears its effective set.
    BERTH_TRY(drop_bounding_set(sets.bounding, plan.last_cap));
    plan.has_capabilities = true;
    plan.effective = sets.effective;
    plan.permitted = sets.permitted;
    plan.inheritable = sets.inheritable;
    // Only a capability both permitted and inheritable can be ambient: the
    // others are skipped now, with their warnings, rather than after the filter.
    CapabilitySets checked = sets;
    checked.ambient &= sets.permitted & sets.inheritable;
    for (unsigned cap = 0; cap <= plan.last_cap; ++cap)
      if ((sets.ambient & ~checked.ambient) & (std::uint64_t{1} << cap))
        warnings.push_back("ambient capability " + capability_name(cap) +
                           " skipped: it is not both permitted and inheritable");
    plan.ambient = checked.ambient;
  }
  // The umask is the process's own, whoever it runs as.
  ::umask(user.umask ? static_cast<mode_t>(*user.umask & 0777) : kDefaultUmask);
  return plan;
}

Result<void> finish_credentials(const spec::Process &process, const CredentialPlan &plan) {
  // Without keep-caps, leaving uid 0 would empty the permitted set, and the
  // capabilities the config gives a non-root user could not be set after it.
  BERTH_TRY(keep_capabilities(true));
  auto switched = switch_user(process.user, plan);
  auto cleared = keep_capabilities(false);
  BERTH_TRY(switched);
  BERTH_TRY(cleared);

  if (!plan.has_capabilities)
    return {};
  CapabilitySets sets;
  sets.effective = plan.effective;
  sets.permitted = plan.permitted;
  sets.inheritable = plan.inheritable;
  sets.ambient = plan.ambient;
  BERTH_TRY(set_capabilities(sets));
  // Last: a capability can only be ambient while it is permitted and inheritable.
  return set_ambient_capabilities(sets, plan.last_cap);
}

Result<void> apply_credentials(const spec::Process &process, std::vector<std::string> &warnings) {
  BERTH_TRY_ASSIGN(CredentialPlan plan, prepare_credentials(process, warnings));
  return finish_credentials(process, plan);
}

Result<void> apply_no_new_privileges() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return fail_errno("prctl PR_SET_NO_NEW_PRIVS");
  return {};
}

} // namespace berth::linux
