#include <criterion/criterion.h>

#include <cap-ng.h>

#include <cctype>
#include <set>
#include <string>

#include "tables/capabilities.hpp"

using namespace berth;

namespace {

// libcap-ng names capabilities in lower case without the prefix: "chown".
std::string capng_spelling(std::string_view name) {
  std::string out(name.substr(4));
  for (char &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

Test(capabilities, every_entry_matches_libcap_ng) {
  for (const auto &cap : tables::kCapabilities) {
    cr_assert(cap.name.starts_with("CAP_"), "%.*s", int(cap.name.size()), cap.name.data());
    std::string lower = capng_spelling(cap.name);
    int number = capng_name_to_capability(lower.c_str());
    cr_assert_eq(number, static_cast<int>(cap.number), "%s: table %u, libcap-ng %d", lower.c_str(),
                 cap.number, number);
  }
}

Test(capabilities, numbers_and_names_are_unique) {
  std::set<unsigned> numbers;
  std::set<std::string_view> names;
  for (const auto &cap : tables::kCapabilities) {
    cr_assert(numbers.insert(cap.number).second, "number %u twice", cap.number);
    cr_assert(names.insert(cap.name).second);
  }
}

Test(capabilities, covers_the_kernel_headers) {
  cr_assert_eq(tables::kCapabilities.front().name, std::string_view("CAP_CHOWN"));
  cr_assert_eq(tables::kCapabilities.back().name, std::string_view("CAP_CHECKPOINT_RESTORE"));
  cr_assert_eq(tables::kCapabilities.size(), std::size_t{CAP_LAST_CAP + 1});
}

Test(capabilities, lookup) {
  const auto *sys_admin = tables::find_capability("CAP_SYS_ADMIN");
  cr_assert(sys_admin != nullptr);
  cr_assert_eq(sys_admin->number, unsigned{CAP_SYS_ADMIN});
  cr_assert_null(tables::find_capability("CAP_NOT_A_THING"));
  cr_assert_null(tables::find_capability("cap_sys_admin"), "names are case-sensitive");
  cr_assert_null(tables::find_capability("SYS_ADMIN"), "the CAP_ prefix is required");
  cr_assert_null(tables::find_capability(""));
}
