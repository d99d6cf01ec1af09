// rlsh: the vtysh-style shell, a thin gRPC client. Until the CLI issue lands it knows its
// options and version only.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "ridgeline/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Ridgeline shell"};
  std::string run_dir = "/run/ridgeline";
  std::vector<std::string> commands;
  app.add_option("--run-dir", run_dir, "directory of the daemons' gRPC sockets")->capture_default_str();
  app.add_option("-c", commands, "run COMMAND and exit (repeatable)");
  app.set_version_flag("--version", std::string("rlsh (ridgeline) ") + ridgeline::kVersion);
  CLI11_PARSE(app, argc, argv);
  std::cerr << "rlsh " << ridgeline::kVersion << ": the command set is not built yet\n";
  return 1;
}
