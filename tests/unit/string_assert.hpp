// String equality for Criterion tests that compare temporaries: the values are
// copied first, because cr_assert_str_eq keeps the pointers it is given past
// the end of the expression that made them.
#pragma once

#include <criterion/criterion.h>

#include <string>

#define BERTH_ASSERT_STR_EQ(actual, expected, ...)                                                 \
  do {                                                                                             \
    std::string berth_actual_ = (actual);                                                          \
    std::string berth_expected_ = (expected);                                                      \
    cr_assert(berth_actual_ == berth_expected_, "expected `%s`, got `%s`",                         \
              berth_expected_.c_str(), berth_actual_.c_str());                                     \
  } while (0)
