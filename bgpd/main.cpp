// bgpd: the BGP daemon. Until the session layer lands (issue "bgpd: sessions ..."), this binary
// parses the fixed daemon options and reports its version; it does not yet speak BGP.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <iostream>

#include "common/daemon_options.h"
#include "ridgeline/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Ridgeline BGP daemon"};
  ridgeline::DaemonOptions options;
  ridgeline::add_daemon_options(app, options);
  uint16_t bgp_port = 179;
  bool no_fib = false;
  app.add_option("--bgp-port", bgp_port, "TCP port to listen on; 0 = do not listen")->capture_default_str();
  app.add_flag("--no-fib", no_fib, "do not touch the kernel");
  app.set_version_flag("--version", std::string("bgpd (ridgeline) ") + ridgeline::kVersion);
  CLI11_PARSE(app, argc, argv);
  if (!ridgeline::setup_logging(options, "bgpd")) return 2;
  std::cerr << "bgpd " << ridgeline::kVersion << ": the BGP session layer is not built yet\n";
  return 1;
}
