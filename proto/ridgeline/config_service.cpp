#include "proto/ridgeline/config_service.h"

#include <spdlog/spdlog.h>

#include "proto/ridgeline/serve.h"

namespace ridgeline::api {

namespace {

const char* name_of(config::Daemon d) {
  return d == config::Daemon::Bgpd ? "bgpd" : "bfdd";
}

void fill(const std::vector<config::Diagnostic>& in,
          google::protobuf::RepeatedPtrField<v1::ConfigDiagnostic>* out) {
  for (const auto& d : in) {
    auto* x = out->Add();
    x->set_file(d.file);
    x->set_line(static_cast<uint32_t>(d.line));
    x->set_message(d.message);
  }
}

grpc::Status status_of(const config::ConfigManager::Outcome& o) {
  switch (o.kind) {
    case config::ConfigManager::Outcome::Applied:
    case config::ConfigManager::Outcome::Unchanged: return grpc::Status::OK;
    case config::ConfigManager::Outcome::Invalid: return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, o.message);
    case config::ConfigManager::Outcome::Refused:
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, o.message);
    case config::ConfigManager::Outcome::Conflict: return grpc::Status(grpc::StatusCode::ABORTED, o.message);
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, o.message);
}

std::string candidate_name(const v1::ConfigCandidate& c) {
  return c.name().empty() ? "candidate" : c.name();
}

}  // namespace

ConfigService::ConfigService(boost::asio::io_context& io, config::ConfigManager& manager)
    : io_(io), manager_(manager), rollback_timer_(io) {}

void ConfigService::reload_file() {
  const auto o = manager_.apply_file(config::ConfigManager::Clock::now());
  if (o.ok()) {
    spdlog::info("reload: {}", o.message);
    return;
  }
  for (const auto& e : o.errors) spdlog::error("reload: {}", e.to_string());
  spdlog::error("reload rejected ({}); the running config stays", o.message);
}

void ConfigService::arm_rollback() {
  auto deadline = manager_.rollback_deadline();
  rollback_timer_.cancel();
  if (!deadline) return;
  rollback_timer_.expires_at(*deadline);
  rollback_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto o = manager_.rollback_if_due(config::ConfigManager::Clock::now())) {
      if (o->ok()) {
        spdlog::warn("commit not confirmed in time: rolled back ({})", o->message);
      } else {
        spdlog::error("commit not confirmed in time, and the rollback failed: {}", o->message);
      }
    }
  });
}

grpc::Status ConfigService::GetRunningConfig(grpc::ServerContext*, const v1::GetRunningConfigRequest*,
                                             v1::RunningConfig* out) {
  return on_core(io_, name_of(manager_.daemon()), [&] {
    out->set_daemon(name_of(manager_.daemon()));
    out->set_text(manager_.running_text());
    out->set_version(manager_.version());
    out->set_id(manager_.id());
    out->set_path(manager_.path());
    if (auto d = manager_.rollback_deadline()) {
      out->set_confirm_pending(true);
      out->set_rollback_in_seconds(
          std::chrono::duration_cast<std::chrono::seconds>(*d - config::ConfigManager::Clock::now()).count());
    }
    out->set_reloads_succeeded(manager_.reloads_succeeded());
    out->set_reloads_failed(manager_.reloads_failed());
    return grpc::Status::OK;
  });
}

grpc::Status ConfigService::ValidateConfig(grpc::ServerContext*, const v1::ConfigCandidate* req,
                                           v1::ValidateConfigResponse* out) {
  const auto parsed = manager_.validate(req->text(), candidate_name(*req));  // pure: any thread
  out->set_valid(parsed.ok());
  fill(parsed.errors, out->mutable_errors());
  fill(parsed.warnings, out->mutable_warnings());
  return grpc::Status::OK;
}

grpc::Status ConfigService::ApplyConfig(grpc::ServerContext*, const v1::ConfigCandidate* req,
                                        v1::ApplyConfigResponse* out) {
  return on_core(io_, name_of(manager_.daemon()), [&] {
    std::optional<uint64_t> expected;
    if (req->expected_version()) expected = req->expected_version();
    std::optional<config::ConfigManager::Clock::duration> confirm;
    if (req->confirm_within_seconds()) confirm = std::chrono::seconds(req->confirm_within_seconds());
    const auto o =
        manager_.apply_text(req->text(), candidate_name(*req), expected, confirm, config::ConfigManager::Clock::now());
    if (!o.ok()) return status_of(o);
    spdlog::info("config applied (version {}): {}", manager_.version(), o.message);
    arm_rollback();
    out->set_changed(o.kind == config::ConfigManager::Outcome::Applied);
    out->set_version(manager_.version());
    out->set_id(manager_.id());
    out->set_summary(o.message);
    return grpc::Status::OK;
  });
}

grpc::Status ConfigService::ConfirmConfig(grpc::ServerContext*, const v1::ConfirmConfigRequest*,
                                          v1::ConfirmConfigResponse* out) {
  return on_core(io_, name_of(manager_.daemon()), [&] {
    out->set_confirmed(manager_.confirm());
    arm_rollback();
    return grpc::Status::OK;
  });
}

grpc::Status ConfigService::SaveConfig(grpc::ServerContext*, const v1::SaveConfigRequest* req,
                                       v1::SaveConfigResponse* out) {
  const auto parsed = manager_.validate(req->text(), "candidate");
  if (!parsed.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, parsed.errors.front().to_string());
  std::string error;
  if (!config::save_file(manager_.path(), req->text(), error))
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, error);
  spdlog::info("config saved to {}", manager_.path());
  out->set_path(manager_.path());
  return grpc::Status::OK;
}

}  // namespace ridgeline::api
