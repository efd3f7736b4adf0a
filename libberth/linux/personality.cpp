// linux.personality.
#include <sys/personality.h>

#include "linux/process_attributes.hpp"
#include "tables/process_scheduling.hpp"

namespace berth::linux {

Result<void> apply_personality(const spec::Personality &personality) {
  const auto *domain = tables::find_named(tables::kPersonalityDomains, personality.domain);
  if (!domain) // validation refuses this first
    return fail("linux.personality.domain: unknown domain " + personality.domain);
  // personality() returns the previous persona, or -1 with errno.
  if (::personality(static_cast<unsigned long>(domain->value)) < 0)
    return fail_errno("linux.personality: personality " + personality.domain);
  return {};
}

} // namespace berth::linux
