#pragma once
// The gRPC API of bgpd (ridgeline.v1.BgpService, SystemService). gRPC runs on its own threads;
// every call is carried out on the speaker's io_context thread and waits for the answer.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "bgpd/server/speaker.h"

namespace ridgeline::bgp {

class ApiServer {
 public:
  ApiServer(boost::asio::io_context& io, Speaker& speaker);
  ~ApiServer();
  // Listens on unix:RUN_DIR/bgpd.sock (mode 0660) and, if given, on TCP host:port.
  bool start(const std::string& run_dir, const std::string& tcp_listen, std::string& error);
  void stop();

 private:
  struct Services;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace ridgeline::bgp
