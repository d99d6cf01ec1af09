#pragma once
// The gRPC API of bgpd (ridgeline.v1.BgpService, FibService, SystemService). gRPC runs on its own
// threads; BGP calls are carried out on the speaker's io_context thread, FIB calls on the fib
// writer's thread, and each waits for the answer.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "bgpd/server/speaker.h"
#include "common/daemon_options.h"
#include "fib/writer.h"

namespace ridgeline::bgp {

// What the API shows of the FIB; writer is null with --no-fib.
struct FibView {
  fib::FibWriter* writer = nullptr;
  uint32_t table = 254;
  uint32_t metric = 20;
};

class ApiServer {
 public:
  ApiServer(boost::asio::io_context& io, Speaker& speaker, FibView fib);
  ~ApiServer();
  // Listens on unix:RUN_DIR/bgpd.sock (mode 0660) and, if given, on TCP host:port.
  // `config`: the daemon's ConfigService, served beside its own.
  bool start(const std::string& run_dir, const GrpcTcpOptions& tcp, grpc::Service* config, std::string& error);
  void stop();

 private:
  struct Services;
  FibView fib_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace ridgeline::bgp
