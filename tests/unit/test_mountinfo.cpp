#include <criterion/criterion.h>

#include <string>

#include "sys/mountinfo.hpp"

using namespace berth;

Test(mountinfo, parses_fields_and_optional_fields) {
  auto parsed = sys::parse_mountinfo(
      "27 1 254:0 / / rw,relatime shared:1 master:3 - ext4 /dev/vda rw,discard\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
  cr_assert(parsed.has_value());
  cr_assert_eq(parsed->size(), 2u);
  const auto &root = (*parsed)[0];
  cr_expect_eq(root.mount_id, 27);
  cr_expect_eq(root.parent_id, 1);
  cr_expect_eq(root.mount_point, std::string("/"));
  cr_expect_eq(root.optional_fields.size(), 2u);
  cr_expect(root.shared());
  cr_expect_eq(root.fstype, std::string("ext4"));
  cr_expect_eq(root.source, std::string("/dev/vda"));
  cr_expect_eq(root.super_options, std::string("rw,discard"));
  const auto &unified = (*parsed)[1];
  cr_expect(!unified.shared());
  cr_expect_eq(unified.fstype, std::string("cgroup2"));
}

Test(mountinfo, decodes_octal_escapes) {
  auto parsed =
      sys::parse_mountinfo("50 27 0:40 / /mnt/with\\040space\\134x rw - tmpfs tmp\\040fs rw\n");
  cr_assert(parsed.has_value());
  cr_expect_eq((*parsed)[0].mount_point, std::string("/mnt/with space\\x"));
  cr_expect_eq((*parsed)[0].source, std::string("tmp fs"));
}

Test(mountinfo, rejects_a_malformed_line) {
  auto parsed = sys::parse_mountinfo("27 1 254:0 / / rw\nx y\n");
  cr_assert(!parsed.has_value());
  cr_expect(parsed.error().message().find("line 1") != std::string::npos);
}

Test(mountinfo, reads_this_process_table) {
  auto parsed = sys::read_mountinfo();
  cr_assert(parsed.has_value(), "%s", parsed ? "" : parsed.error().message().c_str());
  bool has_root = false;
  for (const auto &mount : *parsed)
    has_root = has_root || mount.mount_point == "/";
  cr_expect(has_root);
}
