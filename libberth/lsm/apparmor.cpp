#include "lsm/apparmor.hpp"
