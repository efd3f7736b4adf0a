#include "linux/capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cap-ng.h>

#include <set>

#include "tables/capabilities.hpp"

namespace berth::linux {

namespace {

constexpr unsigned kMaxCapabilities = 64; // the width of a CapabilitySets mask

constexpr std::uint64_t bit(unsigned cap) {
  return std::uint64_t{1} << cap;
}

std::string names_of(std::uint64_t mask) {
  std::string out;
  for (unsigned cap = 0; cap < kMaxCapabilities; ++cap)
    if (mask & bit(cap)) {
      if (!out.empty())
        out += ' ';
      out += capability_name(cap);
    }
  return out;
}

// libcap-ng reports failures as negative codes, not always with errno set.
Error capng_failure(std::string what) {
  return Error(std::move(what), errno != 0 ? errno : EPERM);
}

// libcap-ng keeps its state per thread and fills in the thread id when it
// first initialises. The init was cloned without fork's atfork handlers, so
// that id may be the runtime's: pid 0 makes capget/capset act on the caller.
void capng_target_self() {
  capng_setpid(0);
}

// The capabilities of `wanted` that the process's permitted set lacks.
std::uint64_t permitted_missing(std::uint64_t wanted) {
  capng_target_self();
  if (capng_get_caps_process() != 0)
    return 0;
  std::uint64_t missing = 0;
  for (unsigned cap = 0; cap < kMaxCapabilities; ++cap)
    if ((wanted & bit(cap)) && capng_have_capability(CAPNG_PERMITTED, cap) == 0)
      missing |= bit(cap);
  return missing;
}

} // namespace

std::string capability_name(unsigned cap) {
  if (cap < tables::kCapabilities.size())
    return std::string(tables::kCapabilities[cap].name);
  return "capability " + std::to_string(cap);
}

unsigned running_kernel_last_cap() {
  // PR_CAPBSET_READ fails with EINVAL exactly for numbers past the kernel's
  // last capability, and unlike /proc/sys/kernel/cap_last_cap it needs no
  // procfs. A binary search: 6 calls instead of one per capability.
  unsigned known = 0, past = kMaxCapabilities; // known is valid, past is not
  while (past - known > 1) {
    unsigned middle = known + (past - known) / 2;
    if (::prctl(PR_CAPBSET_READ, middle, 0, 0, 0) >= 0)
      known = middle;
    else
      past = middle;
  }
  return known;
}

CapabilitySets resolve_capabilities(const spec::Capabilities &names, unsigned last_cap,
                                    std::vector<std::string> &warnings) {
  std::set<std::string, std::less<>> warned;
  auto resolve = [&](const std::vector<std::string> &list) {
    std::uint64_t mask = 0;
    for (const auto &name : list) {
      const auto *info = tables::find_capability(name);
      if (info && info->number <= last_cap) {
        mask |= bit(info->number);
        continue;
      }
      if (!warned.insert(name).second)
        continue;
      if (!info)
        warnings.push_back("capability " + name + " is unknown; skipped");
      else
        warnings.push_back("capability " + name +
                           " is not supported by the running kernel (its last is " +
                           capability_name(last_cap) + "); skipped");
    }
    return mask;
  };
  CapabilitySets sets;
  sets.bounding = resolve(names.bounding);
  sets.effective = resolve(names.effective);
  sets.permitted = resolve(names.permitted);
  sets.inheritable = resolve(names.inheritable);
  sets.ambient = resolve(names.ambient);
  return sets;
}

Result<void> drop_bounding_set(std::uint64_t keep, unsigned last_cap) {
  // One PR_CAPBSET_DROP per capability that is not kept, each checked: the
  // bounding set is what keeps a later execve of a file with capabilities
  // from regaining them. Nothing is read first: with CAP_SETPCAP a drop of a
  // capability already gone succeeds, and only without it (EPERM) does berth
  // ask whether the capability was there at all. (libcap-ng's apply rereads
  // and redrops every capability, and 0.8.3 reports success when it lacks
  // CAP_SETPCAP.)
  for (unsigned cap = 0; cap <= last_cap; ++cap) {
    if (keep & bit(cap))
      continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
      continue;
    int error = errno;
    if (error == EPERM && ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 0)
      continue;
    return fail(Error::from_errno(
        "drop " + capability_name(cap) + " from the bounding set (needs CAP_SETPCAP)", error));
  }
  return {};
}

Result<void> check_capabilities_grantable(const CapabilitySets &sets) {
  if (std::uint64_t missing = permitted_missing(sets.permitted); missing != 0)
    return fail("/process/capabilities/permitted: " + names_of(missing) +
                    " not permitted to the runtime itself",
                EPERM);
  return {};
}

Result<void> set_capabilities(const CapabilitySets &sets) {
  // The kernel refuses this too, with a bare EPERM; say which one.
  if (std::uint64_t stray = sets.effective & ~sets.permitted; stray != 0)
    return fail("/process/capabilities/effective: " + names_of(stray) +
                " not in the permitted set");
  // capset(2) itself: libcap-ng would first ask the kernel for its version
  // and allocate, and this runs after the seccomp filter is in place.
  __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (unsigned word = 0; word < _LINUX_CAPABILITY_U32S_3; ++word) {
    data[word].effective = static_cast<std::uint32_t>(sets.effective >> (32 * word));
    data[word].permitted = static_cast<std::uint32_t>(sets.permitted >> (32 * word));
    data[word].inheritable = static_cast<std::uint32_t>(sets.inheritable >> (32 * word));
  }
  if (::syscall(SYS_capset, &header, data) == 0)
    return {};
  Error error = capng_failure("set the effective, permitted and inheritable capabilities");
  // The usual cause: the runtime itself lacks some of them (rootless, or run
  // with a reduced set), and the permitted set can only shrink. Name those.
  if (std::uint64_t missing = permitted_missing(sets.permitted); missing != 0)
    error = Error(error.what() + " (" + names_of(missing) + " not permitted to the runtime itself)",
                  error.errno_value());
  return fail(std::move(error));
}

Result<void> set_ambient_capabilities(const CapabilitySets &sets, unsigned last_cap) {
  std::uint64_t ambient = sets.ambient;
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
    // Kernels before 4.3 have no ambient set: fine as long as none is asked for.
    if (errno == EINVAL && ambient == 0)
      return {};
    return fail_errno("clear the ambient capabilities");
  }
  for (unsigned cap = 0; cap <= last_cap; ++cap) {
    if (!(ambient & bit(cap)))
      continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return fail_errno("raise ambient capability " + capability_name(cap));
  }
  return {};
}

} // namespace berth::linux
