#pragma once
// Where rlsh reaches the daemons' APIs: their unix sockets in the run dir, or TCP (TLS unless
// --insecure, as the daemons' --grpc-listen).
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace ridgeline::cli {

struct ApiTarget {
  std::string run_dir = "/run/ridgeline";
  std::string bgpd_address;     // HOST:PORT: TCP instead of RUN_DIR/bgpd.sock
  std::string bfdd_address;     // HOST:PORT: TCP instead of RUN_DIR/bfdd.sock
  std::string tls_ca;           // PEM CA that signed the daemons' certificates (else the system's)
  std::string tls_cert;         // PEM client certificate, for daemons that ask for one
  std::string tls_key;          // its private key
  std::string tls_server_name;  // the name to check in the certificate, if not the host's
  bool insecure = false;        // plaintext TCP

  // "bgpd" or "bfdd".
  std::shared_ptr<grpc::Channel> channel(const std::string& daemon) const;
  // What an error names: "DIR/bgpd.sock" or "HOST:PORT".
  std::string where(const std::string& daemon) const;
  // The line for an UNAVAILABLE answer: the daemon is not running, or (TCP) why it cannot be reached.
  std::string unavailable(const std::string& daemon, const grpc::Status& status) const;
};

}  // namespace ridgeline::cli
