// berth's own binary, as the processes it starts see it. The container's init
// and the exec'd process are clones of berth until their execve, so
// /proc/<pid>/exe names berth's binary, and a program such as
// `#!/proc/self/exe` makes the kernel run that very file inside the container
// (CVE-2019-5736). Whatever berth runs from must therefore be a file that no
// process can open for writing.
#pragma once

#include "sys/error.hpp"

namespace berth::sys {

// Returns when berth already runs from a file nobody can write: one on a
// read-only mount (an installation on a read-only /usr, or the copy below) or
// a memfd sealed against writes. Otherwise re-executes berth, same argv and
// environment, from a read-only copy, and does not return: a detached
// read-only bind mount of the binary (open_tree + mount_setattr, about 50 us
// and no data copied, gone with the last process that runs from it), or,
// where berth may not mount (an unprivileged caller), a sealed memfd copy.
Result<void> run_from_unwritable_exe(char **argv);

} // namespace berth::sys
