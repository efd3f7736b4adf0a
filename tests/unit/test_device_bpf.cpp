// The cgroup v2 device program (cgroup/device_bpf.hpp): its instructions, the
// kernel's verifier, and enforcement on a real cgroup. The kernel tests run as
// root in a forked child with a private mount namespace holding its own
// cgroup2 mount (on a hybrid host that is the unified hierarchy, which takes
// device programs although it has no device controller) and a tmpfs for
// device nodes; they create one uniquely named cgroup and remove it.
#include <criterion/criterion.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cgroup/device_bpf.hpp"
#include "fork_child.hpp"
#include "string_assert.hpp"

using namespace berth;
using cgroup::build_device_program;
using spec::DeviceCgroupRule;

namespace {

constexpr std::size_t kPreamble = 6; // the loads of the context's fields
// Where the preamble leaves the fields.
constexpr std::uint8_t kTypeRegister = 2, kAccessRegister = 3, kMajorRegister = 4,
                       kMinorRegister = 5;

DeviceCgroupRule rule(bool allow, std::optional<std::string> type,
                      std::optional<std::int64_t> major, std::optional<std::int64_t> minor,
                      std::optional<std::string> access) {
  return DeviceCgroupRule{allow, std::move(type), major, minor, std::move(access)};
}

bool is_return(const bpf_insn &insn, std::int32_t value) {
  return insn.code == (BPF_ALU64 | BPF_MOV | BPF_K) && insn.dst_reg == BPF_REG_0 &&
         insn.imm == value;
}
bool is_exit(const bpf_insn &insn) {
  return insn.code == (BPF_JMP | BPF_EXIT);
}

} // namespace

Test(device_bpf, no_rules_denies_everything) {
  auto program = build_device_program({});
  cr_assert_eq(program.size(), kPreamble + 2);
  cr_assert(is_return(program[kPreamble], 0));
  cr_assert(is_exit(program[kPreamble + 1]));
}

namespace {

// A field is tested through a scratch copy XORed with the value, so that the
// verifier does not learn the field's value (see device_bpf.cpp).
void expect_mismatch_jump(const bpf_insn *check, std::uint8_t field, std::int32_t value,
                          std::int16_t offset) {
  cr_assert_eq(check[0].code, BPF_ALU | BPF_MOV | BPF_X);
  cr_assert_eq(check[0].src_reg, field);
  cr_assert_eq(check[1].code, BPF_ALU | BPF_XOR | BPF_K);
  cr_assert_eq(check[1].imm, value);
  cr_assert_eq(check[2].code, BPF_JMP32 | BPF_JNE | BPF_K);
  cr_assert_eq(check[2].dst_reg, check[0].dst_reg);
  cr_assert_eq(check[2].imm, 0);
  cr_assert_eq(check[2].off, offset);
}

} // namespace

Test(device_bpf, a_rule_block_jumps_past_itself_when_a_check_fails) {
  auto program = build_device_program({rule(true, "c", 1, 3, "rwm")});
  // type, major, minor; allow; exit; then the default deny.
  cr_assert_eq(program.size(), kPreamble + 11 + 2);
  const bpf_insn *block = &program[kPreamble];
  expect_mismatch_jump(&block[0], kTypeRegister, BPF_DEVCG_DEV_CHAR, 8);
  expect_mismatch_jump(&block[3], kMajorRegister, 1, 5);
  expect_mismatch_jump(&block[6], kMinorRegister, 3, 2);
  cr_assert(is_return(block[9], 1) && is_exit(block[10]));
  cr_assert(is_return(block[11], 0) && is_exit(block[12]));
}

Test(device_bpf, access_checks_differ_for_allow_and_deny) {
  // Allow "r": skip the block when any bit outside READ is asked for.
  auto allow = build_device_program({rule(true, "b", std::nullopt, std::nullopt, "r")});
  const bpf_insn *block = &allow[kPreamble];
  expect_mismatch_jump(&block[0], kTypeRegister, BPF_DEVCG_DEV_BLOCK, 5);
  cr_assert_eq(block[3].code, BPF_ALU | BPF_MOV | BPF_X);
  cr_assert_eq(block[3].src_reg, kAccessRegister);
  cr_assert_eq(block[4].code, BPF_ALU | BPF_AND | BPF_K);
  cr_assert_eq(block[4].imm, BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
  cr_assert_eq(block[5].code, BPF_JMP32 | BPF_JNE | BPF_K);
  cr_assert_eq(block[5].off, 2);
  cr_assert(is_return(block[6], 1));
  // Deny "w": match when WRITE is among the bits asked for; no type check
  // for "all types".
  auto deny = build_device_program({rule(false, std::nullopt, 1, std::nullopt, "w")});
  block = &deny[kPreamble];
  cr_assert_eq(block[1].code, BPF_ALU | BPF_AND | BPF_K);
  cr_assert_eq(block[1].imm, BPF_DEVCG_ACC_WRITE);
  cr_assert_eq(block[2].code, BPF_JMP32 | BPF_JEQ | BPF_K);
  cr_assert_eq(block[2].off, 5);
  expect_mismatch_jump(&block[3], kMajorRegister, 1, 2);
  cr_assert(is_return(block[6], 0) && is_exit(block[7]));
}

Test(device_bpf, a_rule_matching_everything_ends_the_program) {
  // Evaluated last rule first: "allow all" decides alone, and what would
  // follow it is unreachable, which the verifier refuses.
  auto program =
      build_device_program({rule(false, "c", 1, 3, "rwm"), rule(true, "a", -1, -1, "rwm"),
                            rule(true, "c", 1, 5, "rwm")});
  cr_assert_eq(program.size(), kPreamble + 11 + 2);
  cr_assert(is_return(program[kPreamble + 11], 1));
  cr_assert(is_exit(program.back()));
}

Test(device_bpf, rules_that_match_nothing_are_left_out) {
  auto program = build_device_program(
      {rule(true, "c", 1, 3, ""), rule(true, "c", std::int64_t(1) << 32, 0, "rwm")});
  cr_assert_eq(program.size(), kPreamble + 2);
}

Test(device_bpf, default_rules_are_runcs) {
  std::string text;
  for (const auto &r : cgroup::default_device_rules())
    text += std::string(r.allow ? "allow " : "deny ") + r.type.value_or("?") + " " +
            (r.major ? std::to_string(*r.major) : "*") + ":" +
            (r.minor ? std::to_string(*r.minor) : "*") + " " + r.access.value_or("?") + "\n";
  BERTH_ASSERT_STR_EQ(text, "allow c *:* m\nallow b *:* m\n"
                            "allow c 1:3 rwm\nallow c 1:5 rwm\nallow c 1:7 rwm\n"
                            "allow c 1:8 rwm\nallow c 1:9 rwm\nallow c 5:0 rwm\n"
                            "allow c 5:2 rwm\nallow c 136:* rwm\nallow c 10:200 rwm\n");
}

// -- on the kernel ------------------------------------------------------------

namespace {

void require_root() {
  if (::geteuid() != 0)
    cr_skip_test("needs root (bpf, cgroup2 and mount)");
}

std::string errno_name(int error) {
  switch (error) {
  case 0:
    return "ok";
  case EPERM:
    return "EPERM";
  case EACCES:
    return "EACCES";
  case ENXIO:
    return "ENXIO";
  case ENODEV:
    return "ENODEV";
  default:
    return "errno " + std::to_string(error);
  }
}

std::string try_open(const std::string &path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0)
    return errno_name(errno);
  ::close(fd);
  return "ok";
}

std::string try_mknod(const std::string &path, mode_t type, unsigned major, unsigned minor) {
  if (::mknod(path.c_str(), type | 0600, ::makedev(major, minor)) < 0)
    return errno_name(errno);
  ::unlink(path.c_str());
  return "ok";
}

// How many programs berth attached to the cgroup (BPF_PROG_QUERY, by name).
std::string berth_program_count(int cgroup_fd) {
  std::uint32_t ids[64];
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<std::uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<std::uintptr_t>(ids);
  attr.query.prog_cnt = 64;
  if (::syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof attr) < 0)
    return "query: " + errno_name(errno);
  int count = 0;
  for (std::uint32_t i = 0; i < attr.query.prog_cnt; ++i) {
    bpf_attr get;
    std::memset(&get, 0, sizeof get);
    get.prog_id = ids[i];
    int fd = static_cast<int>(::syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &get, sizeof get));
    if (fd < 0)
      continue;
    bpf_prog_info info;
    std::memset(&info, 0, sizeof info);
    bpf_attr by_fd;
    std::memset(&by_fd, 0, sizeof by_fd);
    by_fd.info.bpf_fd = static_cast<std::uint32_t>(fd);
    by_fd.info.info_len = sizeof info;
    by_fd.info.info = reinterpret_cast<std::uintptr_t>(&info);
    if (::syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &by_fd, sizeof by_fd) == 0 &&
        std::strcmp(info.name, cgroup::kDeviceProgramName) == 0)
      ++count;
    ::close(fd);
  }
  return std::to_string(count);
}

// A scratch directory with a cgroup2 mount and a tmpfs (device nodes work on
// it: no nodev), in the calling process's own mount namespace.
struct Sandbox {
  std::string root, cgroup_mount, dev, cgroup;
  std::string error;

  Sandbox() {
    if (::unshare(CLONE_NEWNS) < 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
      error = "private mount namespace: " + errno_name(errno);
      return;
    }
    char path[] = "/tmp/berth-devtest-XXXXXX";
    if (!::mkdtemp(path)) {
      error = "mkdtemp: " + errno_name(errno);
      return;
    }
    root = path;
    cgroup_mount = root + "/cgroup2";
    dev = root + "/dev";
    ::mkdir(cgroup_mount.c_str(), 0700);
    ::mkdir(dev.c_str(), 0700);
    if (::mount("cgroup2", cgroup_mount.c_str(), "cgroup2", 0, nullptr) < 0) {
      error = "SKIP mount cgroup2: " + errno_name(errno);
      return;
    }
    if (::mount("tmpfs", dev.c_str(), "tmpfs", 0, "mode=0700") < 0) {
      error = "mount tmpfs: " + errno_name(errno);
      return;
    }
    cgroup = cgroup_mount + "/berth-devtest-" + std::to_string(::getpid());
    if (::mkdir(cgroup.c_str(), 0755) < 0) {
      error = "mkdir the test cgroup: " + errno_name(errno);
      cgroup.clear();
    }
  }
  Sandbox(const Sandbox &) = delete;
  Sandbox &operator=(const Sandbox &) = delete;
  // Runs even when a check failed: the cgroup is on the host's hierarchy.
  ~Sandbox() {
    if (!cgroup.empty())
      ::rmdir(cgroup.c_str());
    if (!dev.empty())
      ::umount2(dev.c_str(), MNT_DETACH);
    if (!cgroup_mount.empty())
      ::umount2(cgroup_mount.c_str(), MNT_DETACH);
    ::rmdir(dev.c_str());
    ::rmdir(cgroup_mount.c_str());
    if (!root.empty())
      ::rmdir(root.c_str());
  }
};

// Runs `checks` in a process moved into the cgroup first.
std::string in_cgroup(const std::string &cgroup, const std::function<std::string()> &checks) {
  return test::run_in_child([&] {
    int procs = ::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (procs < 0 || ::write(procs, "0", 1) != 1)
      return std::string("join\t") + errno_name(errno) + "\n";
    ::close(procs);
    return checks();
  });
}

} // namespace

Test(device_bpf_kernel, the_verifier_takes_every_shape_of_program) {
  require_root();
  // A thousand rules verify in tens of milliseconds; with the fields compared
  // directly they exhaust the verifier's budget of a million instructions.
  std::vector<DeviceCgroupRule> many;
  for (std::int64_t major = 0; major < 1000; ++major)
    many.push_back(rule(major % 2 == 0, major % 3 == 0 ? "b" : "c", major,
                        major % 5 ? std::optional<std::int64_t>(major) : std::nullopt,
                        major % 4 == 0 ? "rw" : "m"));
  auto defaults = cgroup::default_device_rules();
  for (const auto &rules : {std::vector<DeviceCgroupRule>{}, defaults, many,
                            std::vector<DeviceCgroupRule>{
                                rule(true, std::nullopt, std::nullopt, std::nullopt, std::nullopt)},
                            std::vector<DeviceCgroupRule>{rule(false, "a", 1, 2, "rwm"),
                                                          rule(true, "c", 4294967295, 0, "r")}}) {
    auto loaded = cgroup::load_device_program(build_device_program(rules));
    cr_assert(loaded.has_value(), "%zu rules: %s", rules.size(),
              loaded ? "" : loaded.error().message().c_str());
    cr_assert(loaded->valid());
  }
}

Test(device_bpf_kernel, a_refusal_carries_the_verifiers_words) {
  require_root();
  // Returns without setting r0.
  std::vector<bpf_insn> program = {bpf_insn{.code = BPF_JMP | BPF_EXIT}};
  auto loaded = cgroup::load_device_program(program);
  cr_assert(!loaded.has_value());
  const std::string message = loaded.error().message();
  cr_assert(message.starts_with("load the device program: ") &&
                message.find("R0 !read_ok") != std::string::npos,
            "%s", message.c_str());
  cr_assert_eq(loaded.error().errno_value(), EACCES);
}

Test(device_bpf_kernel, the_program_allows_and_denies_on_a_real_cgroup) {
  require_root();
  std::string report = test::run_in_child([] {
    Sandbox box;
    if (!box.error.empty())
      return box.error + "\n";
    std::string out;
    // Made outside the cgroup, where nothing restricts it.
    const std::string disk = box.dev + "/loop0";
    if (::mknod(disk.c_str(), S_IFBLK | 0600, ::makedev(7, 0)) < 0)
      return "mknod outside the cgroup: " + errno_name(errno) + "\n";
    int cgroup_fd = ::open(box.cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup_fd < 0)
      return "open the cgroup: " + errno_name(errno) + "\n";
    UniqueFd cgroup_dir(cgroup_fd);

    // /dev/null only.
    auto attached = cgroup::attach_device_program(
        cgroup_dir.get(), build_device_program({rule(true, "c", 1, 3, "rwm")}));
    if (!attached)
      return "attach: " + attached.error().message() + "\n";
    out += "programs after attach\t" + berth_program_count(cgroup_dir.get()) + "\n";
    out += in_cgroup(box.cgroup, [&] {
      return "null rw\t" + try_open("/dev/null", O_RDWR) + "\n" + "zero r\t" +
             try_open("/dev/zero", O_RDONLY) + "\n" + "mknod b 7:0\t" +
             try_mknod(box.dev + "/made", S_IFBLK, 7, 0) + "\n" + "open b 7:0\t" +
             try_open(disk, O_RDONLY) + "\n";
    });

    // Replaced: the last matching rule wins, allows need every access
    // asked for, denies refuse any they name.
    attached = cgroup::attach_device_program(
        cgroup_dir.get(),
        build_device_program({rule(false, std::nullopt, std::nullopt, std::nullopt, "rwm"),
                              rule(true, "c", 1, 3, "rwm"), rule(true, "c", 1, 7, "r"),
                              rule(true, "c", 1, 5, "rwm"), rule(false, "c", 1, 5, "w")}));
    if (!attached)
      return "replace: " + attached.error().message() + "\n";
    out += "programs after replace\t" + berth_program_count(cgroup_dir.get()) + "\n";
    out += in_cgroup(box.cgroup, [&] {
      return "2 null rw\t" + try_open("/dev/null", O_RDWR) + "\n" + "2 full r\t" +
             try_open("/dev/full", O_RDONLY) + "\n" + "2 full w\t" +
             try_open("/dev/full", O_WRONLY) + "\n" + "2 zero r\t" +
             try_open("/dev/zero", O_RDONLY) + "\n" + "2 zero rw\t" +
             try_open("/dev/zero", O_RDWR) + "\n" + "2 random r\t" +
             try_open("/dev/random", O_RDONLY) + "\n";
    });

    auto detached = cgroup::detach_device_programs(cgroup_dir.get());
    if (!detached)
      return "detach: " + detached.error().message() + "\n";
    out += "programs after detach\t" + berth_program_count(cgroup_dir.get()) + "\n";
    out +=
        in_cgroup(box.cgroup, [&] { return "3 zero rw\t" + try_open("/dev/zero", O_RDWR) + "\n"; });
    return out;
  });
  if (report.starts_with("SKIP"))
    cr_skip_test("%s", report.c_str());
  cr_assert(report.find("ERR") == std::string::npos && report.find(": ") == std::string::npos, "%s",
            report.c_str());

  using test::field;
  BERTH_ASSERT_STR_EQ(field(report, "programs after attach"), "1");
  BERTH_ASSERT_STR_EQ(field(report, "null rw"), "ok");
  BERTH_ASSERT_STR_EQ(field(report, "zero r"), "EPERM");
  BERTH_ASSERT_STR_EQ(field(report, "mknod b 7:0"), "EPERM");
  BERTH_ASSERT_STR_EQ(field(report, "open b 7:0"), "EPERM");

  BERTH_ASSERT_STR_EQ(field(report, "programs after replace"), "1");
  BERTH_ASSERT_STR_EQ(field(report, "2 null rw"), "ok");
  BERTH_ASSERT_STR_EQ(field(report, "2 full r"), "ok");
  BERTH_ASSERT_STR_EQ(field(report, "2 full w"), "EPERM");
  BERTH_ASSERT_STR_EQ(field(report, "2 zero r"), "ok");
  BERTH_ASSERT_STR_EQ(field(report, "2 zero rw"), "EPERM");
  BERTH_ASSERT_STR_EQ(field(report, "2 random r"), "EPERM");

  BERTH_ASSERT_STR_EQ(field(report, "programs after detach"), "0");
  BERTH_ASSERT_STR_EQ(field(report, "3 zero rw"), "ok");
}
