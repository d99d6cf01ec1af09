#pragma once
// ridgeline.v1.ConfigService over a daemon's ConfigManager, the same in bgpd and bfdd. Calls run
// on the daemon's core thread; the confirmed-commit rollback is a timer there too.
#include <grpcpp/grpcpp.h>

#include <memory>

#include "common/asio.h"
#include "common/config/manager.h"
#include "ridgeline/v1/config.grpc.pb.h"

namespace ridgeline::api {

class ConfigService final : public ridgeline::v1::ConfigService::Service {
 public:
  ConfigService(boost::asio::io_context& io, config::ConfigManager& manager);

  // SIGHUP (on the core thread): the file again, through the manager.
  void reload_file();

  grpc::Status GetRunningConfig(grpc::ServerContext*, const v1::GetRunningConfigRequest*,
                                v1::RunningConfig* out) override;
  grpc::Status ValidateConfig(grpc::ServerContext*, const v1::ConfigCandidate* req,
                              v1::ValidateConfigResponse* out) override;
  grpc::Status ApplyConfig(grpc::ServerContext*, const v1::ConfigCandidate* req,
                           v1::ApplyConfigResponse* out) override;
  grpc::Status ConfirmConfig(grpc::ServerContext*, const v1::ConfirmConfigRequest*,
                             v1::ConfirmConfigResponse* out) override;
  grpc::Status SaveConfig(grpc::ServerContext*, const v1::SaveConfigRequest* req, v1::SaveConfigResponse* out) override;

 private:
  void arm_rollback();

  boost::asio::io_context& io_;
  config::ConfigManager& manager_;
  boost::asio::steady_timer rollback_timer_;
};

}  // namespace ridgeline::api
