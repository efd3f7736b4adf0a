#include "lsm/selinux.hpp"
