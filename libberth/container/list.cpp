#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <memory>

#include "container/lifecycle.hpp"

namespace berth::container {

Result<std::vector<State>> list(const GlobalOptions &global) {
  std::vector<State> states;
  auto root = open_state_root(global.root, false);
  if (!root) {
    if (root.error().errno_value() == ENOENT)
      return states; // nothing was ever created under this root
    return fail(std::move(root.error()));
  }
  std::unique_ptr<DIR, int (*)(DIR *)> dir(::fdopendir(root->release()), ::closedir);
  if (!dir)
    return fail_errno("read " + global.root);
  while (auto *entry = ::readdir(dir.get())) {
    std::string name = entry->d_name;
    if (!validate_id(name) || entry->d_type != DT_DIR)
      continue;
    // A container deleted or still being created while we look is skipped;
    // one whose state another user could have forged fails the list.
    auto opened = StateDir::open(global.root, name, LockMode::SharedIfFree);
    if (!opened && is_untrusted_state(opened.error()))
      return fail(std::move(opened.error()));
    if (!opened)
      continue;
    auto stored = opened->read();
    if (!stored && is_untrusted_state(stored.error()))
      return fail(std::move(stored.error()));
    if (stored)
      states.push_back(public_state(*stored));
  }
  std::sort(states.begin(), states.end(),
            [](const State &a, const State &b) { return a.id < b.id; });
  return states;
}

} // namespace berth::container
