// bfdd: the BFD daemon. Until the BFD issue lands, this binary parses the fixed daemon options
// and reports its version; it does not yet run BFD sessions.
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/daemon_options.h"
#include "ridgeline/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Ridgeline BFD daemon"};
  ridgeline::DaemonOptions options;
  ridgeline::add_daemon_options(app, options);
  app.set_version_flag("--version", std::string("bfdd (ridgeline) ") + ridgeline::kVersion);
  CLI11_PARSE(app, argc, argv);
  if (!ridgeline::setup_logging(options, "bfdd")) return 2;
  std::cerr << "bfdd " << ridgeline::kVersion << ": BFD sessions are not built yet\n";
  return 1;
}
