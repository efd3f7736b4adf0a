#include "seccomp/filter.hpp"
