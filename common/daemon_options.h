#pragma once
// Options shared by bgpd and bfdd (DESIGN.md, "Daemon options"), and logging setup.
#include <string>

namespace CLI {
class App;
}

namespace ridgeline {

struct DaemonOptions {
  std::string config_file = "/etc/ridgeline/ridgeline.conf";
  std::string run_dir = "/run/ridgeline";
  bool check_only = false;
  std::string grpc_listen;     // HOST:PORT, empty = unix socket only
  std::string metrics_listen;  // HOST:PORT, empty = off
  std::string log_level = "info";
  std::string log_file;  // empty = stderr
};

void add_daemon_options(CLI::App& app, DaemonOptions& options);
// Sets the default spdlog logger from the options. Returns false (with a message on stderr) for
// an unknown level or a log file that cannot be opened.
bool setup_logging(const DaemonOptions& options, const std::string& program);

}  // namespace ridgeline
