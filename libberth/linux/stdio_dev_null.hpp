// The init's stdio when the caller passed /dev/null (Docker without -i, a
// detached run): the host's node, opened however the caller opened it.
#pragma once

namespace berth::linux {

// Replaces each of fds 0-2 that is the null device (char 1:3) with the
// container's own /dev/null, opened read-write after pivot_root, as runc does:
// the program then holds no file of the host's mounts, and can write to an
// fd 0 that the caller opened read-only. A /dev/null of the image that is not
// the null device (a symlink, a regular file) is never opened: the fd is
// left as it is.
void reopen_dev_null_stdio();

} // namespace berth::linux
