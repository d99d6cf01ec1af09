#pragma once
// bfdd's gRPC API (ridgeline.v1.BfdService, SystemService) on RUN_DIR/bfdd.sock. gRPC runs on its
// own threads; each call is carried out on the BFD thread and waits for the answer.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "bfdd/server/bfd_server.h"
#include "common/daemon_options.h"

namespace ridgeline::bfd {

class ApiServer {
 public:
  ApiServer(boost::asio::io_context& io, BfdServer& server);
  ~ApiServer();
  // `config`: the daemon's ConfigService, served beside its own.
  bool start(const std::string& run_dir, const GrpcTcpOptions& tcp, grpc::Service* config, std::string& error);
  void stop();

 private:
  struct Services;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace ridgeline::bfd
