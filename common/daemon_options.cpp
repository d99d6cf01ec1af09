#include "common/daemon_options.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

namespace ridgeline {

void add_daemon_options(CLI::App& app, DaemonOptions& o) {
  app.add_option("-f,--config", o.config_file, "config file")->capture_default_str();
  app.add_option("--run-dir", o.run_dir, "directory of the gRPC unix sockets")->capture_default_str();
  app.add_flag("--check", o.check_only, "parse and validate the config, then exit");
  app.add_option("--grpc-listen", o.grpc.listen, "also serve the API on HOST:PORT (TLS unless --grpc-insecure)");
  app.add_option("--grpc-tls-cert", o.grpc.tls_cert, "PEM certificate of the TCP API")->check(CLI::ExistingFile);
  app.add_option("--grpc-tls-key", o.grpc.tls_key, "PEM private key of the TCP API")->check(CLI::ExistingFile);
  app.add_option("--grpc-tls-client-ca", o.grpc.client_ca, "require client certificates signed by this PEM CA")
      ->check(CLI::ExistingFile);
  app.add_flag("--grpc-insecure", o.grpc.insecure, "serve the TCP API in plaintext (no TLS)");
  app.callback([&o] {
    if (auto problem = check_grpc_options(o.grpc); !problem.empty()) throw CLI::ValidationError(problem);
  });
  app.add_option("--metrics-listen", o.metrics_listen, "serve Prometheus metrics on HOST:PORT");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error, critical, off")->capture_default_str();
  app.add_option("--log-file", o.log_file, "log to FILE instead of stderr");
}

std::string check_grpc_options(const GrpcTcpOptions& g) {
  const bool tls = !g.tls_cert.empty() || !g.tls_key.empty() || !g.client_ca.empty();
  if (g.listen.empty()) return tls || g.insecure ? "--grpc-tls-* and --grpc-insecure need --grpc-listen" : "";
  if (g.insecure && tls) return "--grpc-insecure and --grpc-tls-* exclude each other";
  if (g.insecure) return "";
  if (g.tls_cert.empty() || g.tls_key.empty())
    return "--grpc-listen needs --grpc-tls-cert and --grpc-tls-key (or --grpc-insecure for plaintext)";
  return "";
}

bool setup_logging(const DaemonOptions& o, const std::string& program) {
  const auto level = spdlog::level::from_str(o.log_level);
  if (level == spdlog::level::off && o.log_level != "off") {
    std::cerr << program << ": unknown log level '" << o.log_level << "'\n";
    return false;
  }
  try {
    std::shared_ptr<spdlog::logger> logger;
    if (o.log_file.empty()) {
      logger = spdlog::stderr_color_mt(program);
    } else {
      logger = spdlog::basic_logger_mt(program, o.log_file);
    }
    logger->set_level(level);
    spdlog::set_default_logger(logger);
  } catch (const spdlog::spdlog_ex& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return false;
  }
  return true;
}

}  // namespace ridgeline
