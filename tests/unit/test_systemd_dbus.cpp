// The D-Bus messages are checked byte by byte against layouts written out by
// hand from the D-Bus specification ("Message Protocol": little-endian 'l',
// header fields a(yv), every value aligned to its size from the message's
// start, the body on an 8-byte boundary). The padding is spelled out, not
// computed, so that a mistake in the marshaller's alignment cannot hide in
// the test too.
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/resources.hpp"
#include "cgroup/systemd/dbus_wire.hpp"
#include "cgroup/systemd/systemd_dbus.hpp"
#include "string_assert.hpp"

using namespace berth;
using namespace berth::cgroup::systemd;

namespace {

class Bytes {
public:
  Bytes &raw(std::string_view s) {
    data_.insert(data_.end(), s.begin(), s.end());
    return *this;
  }
  Bytes &byte(std::uint8_t b) {
    data_.push_back(b);
    return *this;
  }
  Bytes &pad(std::size_t n) {
    data_.insert(data_.end(), n, 0);
    return *this;
  }
  Bytes &u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
      data_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes &u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
      data_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  // A STRING at an offset that is already a multiple of 4.
  Bytes &str(std::string_view s) {
    return u32(static_cast<std::uint32_t>(s.size())).raw(s).byte(0);
  }
  // A SIGNATURE (1-byte length).
  Bytes &sig(std::string_view s) {
    return byte(static_cast<std::uint8_t>(s.size())).raw(s).byte(0);
  }
  std::size_t size() const { return data_.size(); }
  const std::vector<std::uint8_t> &data() const { return data_; }

private:
  std::vector<std::uint8_t> data_;
};

std::string hex(const std::vector<std::uint8_t> &bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i % 16 == 0) {
      // Piece by piece: GCC 12 warns (-Wrestrict, a false positive) on
      // "literal" + std::string.
      out += '\n';
      out += std::to_string(i);
      out += ":\t";
    }
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
    out += ' ';
  }
  return out;
}

void assert_bytes(const std::vector<std::uint8_t> &actual, const Bytes &expected) {
  cr_assert(actual == expected.data(), "expected%s\ngot%s", hex(expected.data()).c_str(),
            hex(actual).c_str());
}

} // namespace

Test(systemd_dbus, hello_message) {
  Bytes b;
  b.raw("l").byte(1).byte(0).byte(1); // little-endian, METHOD_CALL, no flags, version 1
  b.u32(0);                           // body length
  b.u32(1);                           // serial
  b.u32(109);                         // header fields: bytes 16 to 125
  cr_assert_eq(b.size(), 16);
  b.byte(1).sig("o").str("/org/freedesktop/DBus");       // PATH, 16..45
  b.pad(2).byte(2).sig("s").str("org.freedesktop.DBus"); // INTERFACE, 48..76
  b.pad(3).byte(3).sig("s").str("Hello");                // MEMBER, 80..93
  b.pad(2).byte(6).sig("s").str("org.freedesktop.DBus"); // DESTINATION, 96..124
  cr_assert_eq(b.size(), 125);
  b.pad(3); // the (empty) body starts on an 8-byte boundary
  assert_bytes(berth::cgroup::dbus::hello_message(1), b);
}

Test(systemd_dbus, start_transient_unit_message) {
  TransientScope scope{.unit = "berth-c1.scope",
                       .slice = "system.slice",
                       .description = "berth container c1",
                       .pid = 4242,
                       .memory_max = 67108864,
                       .tasks_max = kInfinity};
  Bytes b;
  b.raw("l").byte(1).byte(0).byte(1);
  b.u32(392);                                          // body length
  b.u32(2);                                            // serial
  b.u32(182);                                          // header fields: bytes 16 to 197
  b.byte(1).sig("o").str("/org/freedesktop/systemd1"); // 16..49
  b.pad(6).byte(2).sig("s").str("org.freedesktop.systemd1.Manager"); // 56..96
  b.pad(7).byte(3).sig("s").str("StartTransientUnit");               // 104..130
  b.pad(5).byte(6).sig("s").str("org.freedesktop.systemd1");         // 136..168
  b.pad(7).byte(8).sig("g").sig("ssa(sv)a(sa(sv))");                 // 176..197
  cr_assert_eq(b.size(), 198);
  b.pad(2);
  cr_assert_eq(b.size(), 200);
  // The body; offsets from its start (a multiple of 8, so alignment is the same).
  b.str("berth-c1.scope");                      // 0..18
  b.pad(1).str("replace");                      // 20..31
  b.u32(344).pad(4);                            // a(sv): length at 32, elements 40..383
  b.str("Description").sig("s");                // 40..58
  b.pad(1).str("berth container c1");           // 60..82
  b.pad(5).str("Slice").sig("s");               // 88..100
  b.pad(3).str("system.slice");                 // 104..120
  b.pad(7).str("Delegate").sig("b");            // 128..143
  b.u32(1);                                     // 144..147
  b.pad(4).str("DefaultDependencies").sig("b"); // 152..178
  b.pad(1).u32(0);                              // 180..183
  b.str("PIDs").sig("au");                      // 184..196
  b.pad(3).u32(4).u32(4242);                    // au: length at 200, the pid at 204
  b.str("MemoryAccounting").sig("b").u32(1);    // 208..235
  b.pad(4).str("CPUAccounting").sig("b");       // 240..260
  b.pad(3).u32(1);                              // 264..267
  b.pad(4).str("TasksAccounting").sig("b");     // 272..294
  b.pad(1).u32(1);                              // 296..299
  b.pad(4).str("IOAccounting").sig("b").u32(1); // 304..327
  b.str("MemoryMax").sig("t");                  // 328..344
  b.pad(7).u64(67108864);                       // 352..359
  b.str("TasksMax").sig("t").u64(UINT64_MAX);   // 360..383
  b.u32(0).pad(4);                              // a(sa(sv)), empty: its padding still there
  cr_assert_eq(b.size(), 200 + 392);
  assert_bytes(start_transient_unit_message(scope, 2), b);
}

Test(systemd_dbus, optional_limits_are_left_out) {
  TransientScope scope{.unit = "u.scope", .slice = "system.slice", .description = "d", .pid = 1};
  auto without = start_transient_unit_message(scope, 1);
  scope.cpu_weight = 100;
  auto with = start_transient_unit_message(scope, 1);
  std::string text(with.begin(), with.end());
  cr_assert(text.find("CPUWeight") != std::string::npos);
  cr_assert(std::string(without.begin(), without.end()).find("CPUWeight") == std::string::npos);
  cr_assert(text.find("MemoryMax") == std::string::npos);
  // The header's body length is what follows the header.
  std::uint32_t body =
      with[4] | with[5] << 8 | with[6] << 16 | static_cast<std::uint32_t>(with[7]) << 24;
  std::uint32_t fields =
      with[12] | with[13] << 8 | with[14] << 16 | static_cast<std::uint32_t>(with[15]) << 24;
  std::size_t header = (16 + fields + 7) / 8 * 8;
  cr_assert_eq(header + body, with.size());
}

Test(systemd_dbus, parse_cgroups_path) {
  auto p = parse_systemd_cgroups_path(std::string("system.slice:berth:c1"), "ignored");
  cr_assert(p.has_value());
  BERTH_ASSERT_STR_EQ(p->unit(), "berth-c1.scope");
  BERTH_ASSERT_STR_EQ(p->cgroup_path(), "/system.slice/berth-c1.scope");

  auto defaults = parse_systemd_cgroups_path(std::nullopt, "c9");
  cr_assert(defaults.has_value());
  BERTH_ASSERT_STR_EQ(defaults->slice, "system.slice");
  BERTH_ASSERT_STR_EQ(defaults->unit(), "berth-c9.scope");

  auto empty_slice = parse_systemd_cgroups_path(std::string(":docker:abc"), "x");
  cr_assert(empty_slice.has_value());
  BERTH_ASSERT_STR_EQ(empty_slice->cgroup_path(), "/system.slice/docker-abc.scope");

  auto no_prefix = parse_systemd_cgroups_path(std::string("machine.slice::abc"), "x");
  cr_assert(no_prefix.has_value());
  BERTH_ASSERT_STR_EQ(no_prefix->unit(), "abc.scope");

  auto nested = parse_systemd_cgroups_path(std::string("a-b-c.slice:p:n"), "x");
  cr_assert(nested.has_value());
  BERTH_ASSERT_STR_EQ(nested->cgroup_path(), "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");

  auto root = parse_systemd_cgroups_path(std::string("-.slice:p:n"), "x");
  cr_assert(root.has_value());
  BERTH_ASSERT_STR_EQ(root->cgroup_path(), "/p-n.scope");

  auto dash = parse_systemd_cgroups_path(std::string("-:p:n"), "x");
  cr_assert(dash.has_value());
  BERTH_ASSERT_STR_EQ(dash->slice, "-.slice");
  BERTH_ASSERT_STR_EQ(dash->cgroup_path(), "/p-n.scope");
}

Test(systemd_dbus, cgroups_path_errors_name_the_pointer) {
  auto error = [](std::string path) {
    auto p = parse_systemd_cgroups_path(path, "x");
    cr_assert(!p.has_value(), "%s parsed", path.c_str());
    return p.error().message();
  };
  BERTH_ASSERT_STR_EQ(error("/sys/fs/cgroup/c1"),
                      "config.json: /linux/cgroupsPath: with --systemd-cgroup, expected "
                      "\"slice:prefix:name\", got \"/sys/fs/cgroup/c1\"");
  cr_assert(error("a.slice:b").starts_with("config.json: /linux/cgroupsPath: "));
  cr_assert(error("a.slice:b:c:d").find("slice:prefix:name") != std::string::npos);
  cr_assert(error("system:p:n").find("invalid slice \"system\"") != std::string::npos);
  cr_assert(error("a--b.slice:p:n").find("invalid slice") != std::string::npos);
  cr_assert(error("-a.slice:p:n").find("invalid slice") != std::string::npos);
  cr_assert(error("a/b.slice:p:n").find("invalid slice") != std::string::npos);
  cr_assert(error("system.slice:p:").find("must not be empty") != std::string::npos);
  cr_assert(error("system.slice:p:n/x").find("invalid unit name") != std::string::npos);
  cr_assert(error("system.slice:p:n@1").find("invalid unit name") != std::string::npos);
  cr_assert(error("system.slice:p:my.slice").find("not supported yet") != std::string::npos);
  cr_assert(error("system.slice:p:" + std::string(300, 'a')).find("longer than") !=
            std::string::npos);
}

Test(systemd_dbus, expand_slice) {
  BERTH_ASSERT_STR_EQ(expand_slice("system.slice"), "/system.slice");
  BERTH_ASSERT_STR_EQ(expand_slice("user-1000.slice"), "/user.slice/user-1000.slice");
  BERTH_ASSERT_STR_EQ(expand_slice("-.slice"), "/");
}

Test(systemd_dbus, scope_from_resources) {
  auto path = parse_systemd_cgroups_path(std::string("system.slice:berth:c1"), "c1");
  cr_assert(path.has_value());
  spec::Resources resources;
  resources.memory.emplace().limit = -1;
  auto &cpu = resources.cpu.emplace();
  cpu.shares = 1024;
  cpu.quota = 50000;
  cpu.period = 200000;
  resources.pids_limit = 100;
  auto scope = transient_scope(*path, "c1", 77, &resources);
  BERTH_ASSERT_STR_EQ(scope.unit, "berth-c1.scope");
  BERTH_ASSERT_STR_EQ(scope.slice, "system.slice");
  BERTH_ASSERT_STR_EQ(scope.description, "berth container c1");
  cr_assert_eq(scope.pid, 77);
  cr_assert_eq(scope.memory_max.value(), kInfinity);
  cr_assert_eq(scope.cpu_weight.value(), cgroup::cpu_shares_to_weight(1024));
  cr_assert_eq(scope.cpu_quota_per_sec_usec.value(), 250000); // a quarter of a CPU
  cr_assert_eq(scope.cpu_quota_period_usec.value(), 200000);
  cr_assert_eq(scope.tasks_max.value(), 100);

  auto bare = transient_scope(*path, "c1", 77, nullptr);
  cr_assert(!bare.memory_max && !bare.cpu_weight && !bare.cpu_quota_per_sec_usec &&
            !bare.tasks_max);

  spec::Resources unlimited;
  unlimited.cpu.emplace().quota = -1;
  unlimited.pids_limit = -1;
  auto open = transient_scope(*path, "c1", 77, &unlimited);
  cr_assert_eq(open.cpu_quota_per_sec_usec.value(), kInfinity);
  cr_assert(!open.cpu_quota_period_usec);
  cr_assert_eq(open.tasks_max.value(), kInfinity);
}

Test(systemd_dbus, systemd_not_running) {
  struct stat st {};
  bool present = ::lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
  cr_assert_eq(systemd_available(), present);
  auto required = require_systemd();
  cr_assert_eq(required.has_value(), present);
  if (!present)
    BERTH_ASSERT_STR_EQ(
        required.error().message(),
        "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)");
}
