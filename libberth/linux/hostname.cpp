// hostname and domainname of the container's UTS namespace.
#include <unistd.h>

#include "linux/process_setup.hpp"

namespace berth::linux {

namespace {

using SetName = int (*)(const char *, std::size_t);

Result<void> set_name(const spec::Config &config, const std::optional<std::string> &name,
                      std::string_view member, SetName set, std::string_view syscall_name) {
  // An empty name is left unset, as runc does: engines pass "" for "no hostname".
  if (!name || name->empty())
    return {};
  if (!config.linux || !config.linux->find_namespace(spec::NamespaceType::Uts))
    return fail(std::string(member) +
                ": needs linux.namespaces to give the container its own uts namespace, or it "
                "would change the host's");
  if (set(name->c_str(), name->size()) < 0)
    return fail_errno(std::string(syscall_name) + " " + *name);
  return {};
}

} // namespace

Result<void> apply_hostname(const spec::Config &config) {
  BERTH_TRY(set_name(config, config.hostname, "/hostname", ::sethostname, "sethostname"));
  return set_name(config, config.domainname, "/domainname", ::setdomainname, "setdomainname");
}

} // namespace berth::linux
