// The cgroup v2 device program (Documentation/admin-guide/cgroup-v2.rst,
// "Device controller"): a BPF_PROG_TYPE_CGROUP_DEVICE program gets a
// struct bpf_cgroup_dev_ctx per access attempt and returns 1 to allow, 0 to
// refuse with EPERM. Built instruction by instruction: one block per rule,
// last rule first, so the first block that matches is the last matching rule.
#include <cstddef>
#include <cstdint>

#include "cgroup/device_bpf.hpp"
#include "tables/default_devices.hpp"

namespace berth::cgroup {
namespace {

// Registers: r1 holds the context, then is scratch; the rest hold its fields.
constexpr std::uint8_t kCtx = 1, kScratch = 1, kType = 2, kAccess = 3, kMajor = 4, kMinor = 5;
constexpr std::uint32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

constexpr bpf_insn make_insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src,
                             std::int16_t off, std::int32_t imm) {
  return bpf_insn{.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}
constexpr bpf_insn load_u32(std::uint8_t dst, std::uint8_t src, std::size_t offset) {
  return make_insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, static_cast<std::int16_t>(offset), 0);
}
// 32-bit ALU operations: the context's fields are 32 bits wide.
constexpr bpf_insn alu32_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm) {
  return make_insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
constexpr bpf_insn mov32_reg(std::uint8_t dst, std::uint8_t src) {
  return make_insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
// Jumps with a 32-bit compare (BPF_JMP32), so that numbers of 2^31 and up
// compare as the unsigned values they are; the offset is patched later.
constexpr bpf_insn jump32_imm(std::uint8_t op, std::uint8_t dst, std::uint32_t imm) {
  return make_insn(BPF_JMP32 | op | BPF_K, dst, 0, 0, static_cast<std::int32_t>(imm));
}
constexpr bpf_insn return_imm(std::int32_t value) {
  return make_insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, value);
}
constexpr bpf_insn exit_insn() {
  return make_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// The access bits a rule names: all for no access string, none for "".
std::uint32_t access_mask(const std::optional<std::string> &access) {
  if (!access)
    return kAllAccess;
  std::uint32_t mask = 0;
  for (char c : *access) {
    if (c == 'r')
      mask |= BPF_DEVCG_ACC_READ;
    else if (c == 'w')
      mask |= BPF_DEVCG_ACC_WRITE;
    else if (c == 'm')
      mask |= BPF_DEVCG_ACC_MKNOD;
  }
  return mask;
}

// A number the rule is bound to, or nullopt for "all" (absent or negative).
std::optional<std::uint64_t> bound_number(const std::optional<std::int64_t> &number) {
  if (number && *number >= 0)
    return static_cast<std::uint64_t>(*number);
  return std::nullopt;
}

// Tests a field through a scratch copy XORed with the value: had the field
// itself (or a plain copy, which the verifier links to it) been compared, the
// verifier would learn the field's value on the path where the rule matches,
// and states that differ in it cannot be pruned against each other, which
// makes verifying a long rule list take seconds or fail. The scratch dies at
// the next check.
void add_mismatch_jump(std::vector<bpf_insn> &checks, std::uint8_t field, std::uint32_t value) {
  checks.push_back(mov32_reg(kScratch, field));
  checks.push_back(alu32_imm(BPF_XOR, kScratch, static_cast<std::int32_t>(value)));
  checks.push_back(jump32_imm(BPF_JNE, kScratch, 0));
}

// The checks of one rule; each jumps past the block when it fails. Returns
// false for a rule that can match nothing (no access, or a number the
// kernel's 32-bit fields cannot hold).
bool rule_checks(const spec::DeviceCgroupRule &rule, std::vector<bpf_insn> &checks) {
  const std::uint32_t mask = access_mask(rule.access);
  if (mask == 0)
    return false;
  const auto major = bound_number(rule.major), minor = bound_number(rule.minor);
  if ((major && *major > UINT32_MAX) || (minor && *minor > UINT32_MAX))
    return false;

  const std::string type = rule.type.value_or("a");
  if (type == "c" || type == "b")
    add_mismatch_jump(checks, kType, type == "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
  // An allow rule covers an attempt whose every access it grants (open O_RDWR
  // asks for read and write at once); a deny rule refuses an attempt that
  // asks for any access it names.
  if (mask != kAllAccess) {
    checks.push_back(mov32_reg(kScratch, kAccess));
    if (rule.allow) {
      checks.push_back(alu32_imm(BPF_AND, kScratch, static_cast<std::int32_t>(~mask & kAllAccess)));
      checks.push_back(jump32_imm(BPF_JNE, kScratch, 0));
    } else {
      checks.push_back(alu32_imm(BPF_AND, kScratch, static_cast<std::int32_t>(mask)));
      checks.push_back(jump32_imm(BPF_JEQ, kScratch, 0));
    }
  }
  if (major)
    add_mismatch_jump(checks, kMajor, static_cast<std::uint32_t>(*major));
  if (minor)
    add_mismatch_jump(checks, kMinor, static_cast<std::uint32_t>(*minor));
  return true;
}

} // namespace

std::vector<bpf_insn> build_device_program(const std::vector<spec::DeviceCgroupRule> &rules) {
  std::vector<bpf_insn> program = {
      load_u32(kType, kCtx, offsetof(bpf_cgroup_dev_ctx, access_type)),
      mov32_reg(kAccess, kType),
      alu32_imm(BPF_RSH, kAccess, 16), // the access bits are the high half
      alu32_imm(BPF_AND, kType, 0xffff),
      load_u32(kMajor, kCtx, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(kMinor, kCtx, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (auto rule = rules.rbegin(); rule != rules.rend(); ++rule) {
    std::vector<bpf_insn> block;
    if (!rule_checks(*rule, block))
      continue;
    const std::size_t checks = block.size();
    block.push_back(return_imm(rule->allow ? 1 : 0));
    block.push_back(exit_insn());
    // A failed check jumps to the first instruction after the block.
    for (std::size_t i = 0; i < checks; ++i)
      if (BPF_CLASS(block[i].code) == BPF_JMP32)
        block[i].off = static_cast<std::int16_t>(block.size() - i - 1);
    program.insert(program.end(), block.begin(), block.end());
    // A rule that matches everything decides alone: the earlier rules and the
    // default would be unreachable code, which the verifier refuses.
    if (checks == 0)
      return program;
  }
  program.push_back(return_imm(0)); // default deny
  program.push_back(exit_insn());
  return program;
}

std::vector<spec::DeviceCgroupRule> default_device_rules() {
  auto allow_char = [](std::int64_t major, std::optional<std::int64_t> minor) {
    return spec::DeviceCgroupRule{true, std::string("c"), major, minor, std::string("rwm")};
  };
  // Making any node is allowed, as under runc (Docker's images and RUN steps
  // call mknod); opening one still needs a rule that grants "r" or "w".
  auto allow_mknod = [](const char *type) {
    return spec::DeviceCgroupRule{true, std::string(type), std::nullopt, std::nullopt,
                                  std::string("m")};
  };
  std::vector<spec::DeviceCgroupRule> rules = {allow_mknod("c"), allow_mknod("b")};
  for (const auto &device : tables::kDefaultDevices)
    rules.push_back(allow_char(device.major, device.minor));
  rules.push_back(allow_char(tables::kPtmx.major, tables::kPtmx.minor));
  rules.push_back(allow_char(tables::kPtsMajor, std::nullopt));
  rules.push_back(allow_char(tables::kTun.major, tables::kTun.minor));
  return rules;
}

} // namespace berth::cgroup
