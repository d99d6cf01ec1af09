// rlsh: the vtysh-style shell, a thin gRPC client of bgpd (and later bfdd) over the unix
// sockets in the run dir. `rlsh -c "show bgp summary"` runs commands and exits; with no -c it
// reads commands interactively (libedit).
#include <editline/readline.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "ridgeline/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Ridgeline shell"};
  std::string run_dir = "/run/ridgeline";
  std::vector<std::string> commands;
  app.add_option("--run-dir", run_dir, "directory of the daemons' gRPC sockets")->capture_default_str();
  app.add_option("-c", commands, "run COMMAND and exit (repeatable)");
  app.set_version_flag("--version", std::string("rlsh (ridgeline) ") + ridgeline::kVersion);
  CLI11_PARSE(app, argc, argv);

  ridgeline::cli::Shell shell(run_dir);
  if (!commands.empty()) {
    int status = 0;
    for (const auto& c : commands) status |= shell.run(c, std::cout, std::cerr);
    return status;
  }
  char host[256] = "ridgeline";
  gethostname(host, sizeof(host) - 1);
  const std::string prompt = std::string(host) + "# ";
  while (char* line = readline(prompt.c_str())) {
    std::string text(line);
    free(line);
    if (text == "exit" || text == "quit") break;
    if (text.find_first_not_of(' ') == std::string::npos) continue;
    add_history(text.c_str());
    shell.run(text, std::cout, std::cout);
  }
  return 0;
}
