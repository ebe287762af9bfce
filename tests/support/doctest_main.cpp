#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "shared/util/log.hpp"

int main(int argc, char** argv) {
  // Server logs go to stderr; PARLEY_TEST_LOG=debug shows them while hunting a failure.
  const char* level = std::getenv("PARLEY_TEST_LOG");
  parley::init_logging("test", level ? level : "off");
  doctest::Context context(argc, argv);
  return context.run();
}
