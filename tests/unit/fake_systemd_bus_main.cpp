// The fake system bus as a program, for tests that run berth itself:
//   fake_systemd_bus SOCKET LOG BEHAVIOUR
// serves connections on SOCKET one after the other until killed, appending
// fake_bus::describe() of each to LOG once it closes. BEHAVIOUR: "done",
// "failed" (JobRemoved says "failed"), "error" (StartTransientUnit fails).
#include <cstdio>
#include <fstream>
#include <string>

#include "fake_systemd_bus.hpp"

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: fake_systemd_bus SOCKET LOG done|failed|error\n");
    return 2;
  }
  int listener = fake_bus::listen_at(argv[1]);
  if (listener < 0) {
    std::perror(argv[1]);
    return 1;
  }
  auto behaviour = fake_bus::behaviour_from_name(argv[3]);
  // Ready: the socket is there. The test waits for this line.
  std::printf("listening\n");
  std::fflush(stdout);
  for (;;) {
    fake_bus::Log log;
    fake_bus::serve_connection(listener, behaviour, log);
    std::ofstream(argv[2], std::ios::app) << fake_bus::describe(log) << "--\n";
  }
}
