// The compiled-program cache of cache.hpp.
//
// Trust: a cache file is loaded into every container that uses its profile,
// so it is read only from directories and files that belong to berth's euid
// and that nobody else can write, and never through a symlink; anything else
// is ignored and, where possible, replaced. The file holds its whole key and a
// checksum: a hash collision, a truncated or a damaged file is a miss, never a
// wrong program.
//
// File layout (integers little-endian):
//   "BSECCOMP"  u64 key length, key  u64 flags  u64 count, count x
//   (u16 code, u8 jt, u8 jf, u32 k)  u64 FNV-1a of everything before it
#include "seccomp/cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "berth_config.h"
#include "sys/log.hpp"
#include "sys/syscalls.hpp"

namespace berth::seccomp {
namespace cache_detail {
namespace {

// Bump when the key or the file layout changes meaning. The binary's identity
// in the key already tells builds apart; this keeps a layout change safe even
// without relying on that.
// 2: the key says whether calls newer than the profile get ENOSYS.
constexpr std::uint32_t kFormatVersion = 2;

constexpr std::string_view kMagic{"BSECCOMP", 8};
constexpr std::size_t kInstructionBytes = 8;

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// Length-prefixed, fixed-width fields: two different inputs can never give the
// same bytes (no separator a name could contain).
class Writer {
public:
  void raw(std::string_view bytes) { out_.append(bytes); }
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { little_endian(v, 2); }
  void u32(std::uint32_t v) { little_endian(v, 4); }
  void u64(std::uint64_t v) { little_endian(v, 8); }
  void text(std::string_view s) {
    u64(s.size());
    raw(s);
  }
  void texts(const std::vector<std::string> &list) {
    u64(list.size());
    for (const auto &s : list)
      text(s);
  }
  template <class T> void optional(const std::optional<T> &v) {
    u8(v ? 1 : 0);
    if (v)
      u64(*v);
  }
  std::string &bytes() { return out_; }

private:
  void little_endian(std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i)
      out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

class Reader {
public:
  explicit Reader(std::string_view bytes) : in_(bytes) {}
  bool take(std::size_t n, std::string_view &out) {
    if (in_.size() - pos_ < n)
      return false;
    out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool u64(std::uint64_t &v) { return little_endian(v, 8); }
  bool u32(std::uint32_t &v) { return narrow(v, 4); }
  bool u16(std::uint16_t &v) { return narrow(v, 2); }
  bool u8(std::uint8_t &v) { return narrow(v, 1); }
  std::size_t left() const { return in_.size() - pos_; }

private:
  template <class T> bool narrow(T &v, int width) {
    std::uint64_t wide = 0;
    if (!little_endian(wide, width))
      return false;
    v = static_cast<T>(wide);
    return true;
  }
  bool little_endian(std::uint64_t &v, int width) {
    std::string_view bytes;
    if (!take(static_cast<std::size_t>(width), bytes))
      return false;
    v = 0;
    for (int i = 0; i < width; ++i)
      v |= std::uint64_t{static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)])} << (8 * i);
    return true;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
};

// The fixed part of a file around the key and the instructions.
constexpr std::size_t kFileOverhead =
    kMagic.size() + 8 /* key length */ + 8 /* flags */ + 8 /* count */ + 8 /* checksum */;

} // namespace

std::optional<std::string> key_of(const spec::Seccomp &seccomp, bool enosys_for_newer) {
  Writer key;
  key.text("berth seccomp cache");
  key.u32(kFormatVersion);
  key.u8(enosys_for_newer ? 1 : 0);

  // The compiler is berth's own code (compile.cpp, the tables) plus a static
  // libseccomp: a rebuilt or upgraded binary may compile the same profile
  // differently, even under the same version string, so the key names the
  // very file that runs. Without it, a stale program could outlive an upgrade.
  // ctime as well as mtime: installers may keep a package's mtime, but the
  // kernel sets ctime whenever the file is written or replaced.
  // A copy without a name (the sealed memfd an unprivileged berth runs from,
  // sys/unwritable_exe.hpp) is a new inode every time: it would never hit,
  // only evict the entries of the named binary.
  struct stat exe {};
  if (::stat("/proc/self/exe", &exe) < 0 || exe.st_nlink == 0)
    return std::nullopt;
  key.text(BERTH_VERSION);
  key.u64(exe.st_dev);
  key.u64(exe.st_ino);
  key.u64(static_cast<std::uint64_t>(exe.st_size));
  key.u64(static_cast<std::uint64_t>(exe.st_mtim.tv_sec));
  key.u64(static_cast<std::uint64_t>(exe.st_mtim.tv_nsec));
  key.u64(static_cast<std::uint64_t>(exe.st_ctim.tv_sec));
  key.u64(static_cast<std::uint64_t>(exe.st_ctim.tv_nsec));
  // Linked statically (the default), libseccomp is part of the binary above;
  // a shared one is known here only by its version.
  const scmp_version *version = seccomp_version();
  key.u32(version->major);
  key.u32(version->minor);
  key.u32(version->micro);

  // libseccomp asks the kernel which actions and flags it has, and the
  // system call numbers are the machine's.
  struct utsname host {};
  if (::uname(&host) < 0)
    return std::nullopt;
  key.text(host.release);
  key.text(host.version);
  key.text(host.machine);

  // The profile, field by field in spec::Seccomp's order.
  key.text(seccomp.default_action);
  key.optional(seccomp.default_errno_ret);
  key.texts(seccomp.architectures);
  key.texts(seccomp.flags);
  // Only whether there is a listener reaches the program (compile() refuses
  // SCMP_ACT_NOTIFY without one). The path and the metadata are per
  // container; keying on them would give every container its own file.
  key.u8(seccomp.listener_path ? 1 : 0);
  key.u64(seccomp.syscalls.size());
  for (const auto &syscall : seccomp.syscalls) {
    key.texts(syscall.names);
    key.text(syscall.action);
    key.optional(syscall.errno_ret);
    key.u64(syscall.args.size());
    for (const auto &arg : syscall.args) {
      key.u32(arg.index);
      key.u64(arg.value);
      key.optional(arg.value_two);
      key.text(arg.op);
    }
  }
  return std::move(key.bytes());
}

std::string file_name(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t hash = fnv1a(key);
  std::string name(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4)
    name[static_cast<std::size_t>(i)] = kHex[hash & 0xf];
  return name;
}

std::string encode(std::string_view key, const Program &program) {
  Writer file;
  file.raw(kMagic);
  file.text(key);
  file.u64(program.flags);
  file.u64(program.instructions.size());
  for (const sock_filter &insn : program.instructions) {
    file.u16(insn.code);
    file.u8(insn.jt);
    file.u8(insn.jf);
    file.u32(insn.k);
  }
  file.u64(fnv1a(file.bytes()));
  return std::move(file.bytes());
}

std::optional<Program> decode(std::string_view bytes, std::string_view key) {
  if (bytes.size() < kFileOverhead)
    return std::nullopt;
  std::string_view body = bytes.substr(0, bytes.size() - 8);
  Reader trailer(bytes.substr(body.size()));
  std::uint64_t checksum = 0;
  if (!trailer.u64(checksum) || checksum != fnv1a(body))
    return std::nullopt;

  Reader in(body);
  std::string_view magic, stored_key;
  std::uint64_t key_size = 0, flags = 0, count = 0;
  if (!in.take(kMagic.size(), magic) || magic != kMagic || !in.u64(key_size) ||
      key_size != key.size() || !in.take(key.size(), stored_key) || stored_key != key ||
      !in.u64(flags) || !in.u64(count))
    return std::nullopt;
  // The kernel's limits, and exactly the instructions and nothing after them.
  if (count == 0 || count > BPF_MAXINSNS || in.left() != count * kInstructionBytes)
    return std::nullopt;
  Program program;
  program.flags = static_cast<unsigned long>(flags);
  program.instructions.resize(count);
  for (sock_filter &insn : program.instructions)
    if (!in.u16(insn.code) || !in.u8(insn.jt) || !in.u8(insn.jf) || !in.u32(insn.k))
      return std::nullopt;
  return program;
}

} // namespace cache_detail

namespace {

using cache_detail::kMaxCacheFiles;

bool is_private(const struct stat &st) {
  return st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

// `name` under `parent`, created 0700 when missing, and only if it is a real
// directory (not a symlink) that is berth's alone.
Result<UniqueFd> open_private_dir(int parent, const char *name) {
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(parent, name, kFlags);
  if (fd < 0 && errno == ENOENT) {
    if (::mkdirat(parent, name, 0700) < 0 && errno != EEXIST)
      return fail_errno(std::string("create ") + name);
    fd = ::openat(parent, name, kFlags);
  }
  if (fd < 0)
    return fail_errno(std::string("open ") + name);
  UniqueFd dir(fd);
  struct stat st {};
  if (::fstat(dir.get(), &st) < 0)
    return fail_errno(std::string("stat ") + name);
  if (!is_private(st))
    return fail(std::string(name) + " is not owned by uid " + std::to_string(::geteuid()) +
                " or is writable by others");
  return dir;
}

// <state_root>/@cache/seccomp. The state root itself is the state store's to
// create, with its own modes: until a first create made it, nothing is cached.
Result<UniqueFd> open_cache_dir(const std::string &state_root) {
  if (state_root.empty() || state_root[0] != '/')
    return fail("the state root is not an absolute path");
  BERTH_TRY_ASSIGN(UniqueFd root, sys::open_path(state_root, O_RDONLY | O_DIRECTORY));
  BERTH_TRY_ASSIGN(UniqueFd cache, open_private_dir(root.get(), "@cache"));
  return open_private_dir(cache.get(), "seccomp");
}

// The program in dir/name if that file is trustworthy and is for `key`.
std::optional<Program> read_program(int dir, const std::string &name, std::string_view key) {
  // O_NONBLOCK: a fifo planted here must not hang the create (fstat rejects it).
  int fd = ::openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    int saved = errno;
    if (saved != ENOENT)
      log::debug("seccomp cache: " + name + ": " + Error::from_errno("open", saved).message());
    return std::nullopt;
  }
  UniqueFd file(fd);
  struct stat st {};
  if (::fstat(file.get(), &st) < 0 || !S_ISREG(st.st_mode) || !is_private(st)) {
    log::debug("seccomp cache: " + name + ": not a regular file of uid " +
               std::to_string(::geteuid()) + " that only it can write; ignored");
    return std::nullopt;
  }
  auto size = static_cast<std::size_t>(st.st_size);
  if (size >
      cache_detail::kFileOverhead + key.size() + BPF_MAXINSNS * cache_detail::kInstructionBytes) {
    log::debug("seccomp cache: " + name + ": too large for its key; recompiling");
    return std::nullopt;
  }
  std::string bytes(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(file.get(), bytes.data() + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      log::debug("seccomp cache: " + name + ": short read; recompiling");
      return std::nullopt;
    }
    done += static_cast<std::size_t>(n);
  }
  auto program = cache_detail::decode(bytes, key);
  if (!program)
    log::debug("seccomp cache: " + name + ": for another profile, or damaged; recompiling");
  return program;
}

// Keeps the directory at kMaxCacheFiles entries by removing the oldest
// (by the time they were written) other than `keep`. A profile evicted while
// still in use costs one compilation on its next create. Races with another
// create pruning at the same time only remove a file twice (ENOENT).
void prune(int dir, const std::string &keep) {
  int dup_fd = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0)
    return;
  std::unique_ptr<DIR, int (*)(DIR *)> stream(::fdopendir(dup_fd), ::closedir);
  if (!stream) {
    ::close(dup_fd);
    return;
  }
  struct Entry {
    struct timespec written;
    std::string name;
  };
  std::vector<Entry> others;
  std::size_t total = 0;
  while (auto *entry = ::readdir(stream.get())) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    ++total;
    struct stat st {};
    if (name == keep || ::fstatat(dir, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    others.push_back(Entry{st.st_mtim, std::string(name)});
  }
  if (total <= kMaxCacheFiles)
    return;
  std::sort(others.begin(), others.end(), [](const Entry &a, const Entry &b) {
    if (a.written.tv_sec != b.written.tv_sec)
      return a.written.tv_sec < b.written.tv_sec;
    if (a.written.tv_nsec != b.written.tv_nsec)
      return a.written.tv_nsec < b.written.tv_nsec;
    return a.name < b.name;
  });
  for (const Entry &old : others) {
    if (total <= kMaxCacheFiles)
      break;
    if (::unlinkat(dir, old.name.c_str(), 0) == 0 || errno == ENOENT)
      --total;
  }
}

} // namespace

Result<Program> compile_cached(const spec::Seccomp &seccomp, const std::string &state_root,
                               bool enosys_for_newer) {
  auto compile_it = [&] {
    return compile(seccomp, "/linux/seccomp", kCompileDeadline, enosys_for_newer);
  };
  auto key = cache_detail::key_of(seccomp, enosys_for_newer);
  if (!key) {
    log::debug("seccomp cache: not used: cannot identify the berth binary or the kernel");
    return compile_it();
  }
  std::string name = cache_detail::file_name(*key);
  std::string path = state_root + "/@cache/seccomp/" + name;
  auto dir = open_cache_dir(state_root);
  if (!dir) {
    log::debug("seccomp cache: not used: " + state_root +
               "/@cache/seccomp: " + dir.error().message());
  } else if (auto program = read_program(dir->get(), name, *key)) {
    // compile() logged the skipped syscall names when this was compiled.
    if (log::debug_enabled())
      log::debug("seccomp: program from the cache: " + path);
    return std::move(*program);
  }

  BERTH_TRY_ASSIGN(Program program, compile_it());
  if (dir) {
    // Atomic (temp + rename): a create racing this one reads the old file, the
    // new one or none, never half of one.
    auto written = sys::write_file_atomic(dir->get(), name, cache_detail::encode(*key, program));
    if (written)
      prune(dir->get(), name);
    else
      log::debug("seccomp cache: not kept: " + path + ": " + written.error().message());
  }
  return program;
}

bool enosys_for_newer(const std::map<std::string, std::string> &annotations) {
  auto found = annotations.find(std::string(kEnosysAnnotation));
  return found == annotations.end() || found->second != "false";
}

} // namespace berth::seccomp
