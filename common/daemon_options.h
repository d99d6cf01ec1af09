#pragma once
// Options shared by bgpd and bfdd (DESIGN.md, "Daemon options"), and logging setup.
#include <string>

namespace CLI {
class App;
}

namespace ridgeline {

// The API on TCP (DESIGN.md: optional). Off unless --grpc-listen; then TLS unless --grpc-insecure.
struct GrpcTcpOptions {
  std::string listen;     // HOST:PORT, empty = unix socket only
  std::string tls_cert;   // PEM server certificate (chain)
  std::string tls_key;    // PEM private key
  std::string client_ca;  // PEM CA: when set, clients must present a certificate it signed
  bool insecure = false;  // plaintext TCP, by explicit choice only
};

struct DaemonOptions {
  std::string config_file = "/etc/ridgeline/ridgeline.conf";
  std::string run_dir = "/run/ridgeline";
  bool check_only = false;
  GrpcTcpOptions grpc;
  std::string metrics_listen;  // HOST:PORT, empty = off
  std::string log_level = "info";
  std::string log_file;  // empty = stderr
};

void add_daemon_options(CLI::App& app, DaemonOptions& options);
// Sets the default spdlog logger from the options. Returns false (with a message on stderr) for
// an unknown level or a log file that cannot be opened.
// The --grpc-* options make sense together: an empty string, or what is wrong with them.
std::string check_grpc_options(const GrpcTcpOptions& grpc);

bool setup_logging(const DaemonOptions& options, const std::string& program);

}  // namespace ridgeline
