#include "bfdd/server/api.h"

#include <sys/stat.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>

#include "proto/ridgeline/serve.h"
#include "ridgeline/v1/bfd.grpc.pb.h"
#include "ridgeline/v1/system.grpc.pb.h"
#include "ridgeline/version.h"

namespace ridgeline::bfd {

namespace v1 = ridgeline::v1;

namespace {

std::optional<SessionKey> key_of(const v1::BfdSessionKey& k, std::string& error) {
  SessionKey key;
  auto peer = IpAddress::parse(k.peer());
  if (!peer) {
    error = "'" + k.peer() + "' is not an address";
    return std::nullopt;
  }
  key.peer = *peer;
  if (!k.local_address().empty()) {
    auto local = IpAddress::parse(k.local_address());
    if (!local || local->family() != peer->family()) {
      error = "local address '" + k.local_address() + "' is not an address of the peer's family";
      return std::nullopt;
    }
    key.local = *local;
  }
  key.interface = k.interface();
  key.multihop = k.multihop();
  return key;
}

void fill(const SessionView& s, v1::BfdSession& out) {
  auto* k = out.mutable_key();
  k->set_peer(s.key.peer.to_string());
  if (s.key.local) k->set_local_address(s.key.local->to_string());
  k->set_interface(s.key.interface);
  k->set_multihop(s.key.multihop);
  out.set_state(std::string(to_string(s.state)));
  out.set_remote_state(std::string(to_string(s.remote_state)));
  out.set_local_diag(std::string(to_string(s.local_diag)));
  out.set_remote_diag(std::string(to_string(s.remote_diag)));
  out.set_local_discriminator(s.local_discriminator);
  out.set_remote_discriminator(s.remote_discriminator);
  out.set_transmit_interval_ms(s.config.desired_min_tx_us / 1000);
  out.set_receive_interval_ms(s.config.required_min_rx_us / 1000);
  out.set_detect_multiplier(s.config.detect_mult);
  out.set_remote_transmit_interval_ms(s.remote_tx_us / 1000);
  out.set_remote_receive_interval_ms(s.remote_rx_us / 1000);
  out.set_remote_detect_multiplier(s.remote_mult);
  out.set_detection_time_us(static_cast<uint64_t>(s.detection_time.count()));
  out.set_negotiated_transmit_us(static_cast<uint64_t>(s.transmit_interval.count()));
  out.set_state_seconds(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - s.since).count()));
  out.set_packets_in(s.counters.packets_in);
  out.set_packets_out(s.counters.packets_out);
  out.set_up_count(s.counters.up);
  out.set_down_count(s.counters.down);
  out.set_profile(s.profile);
  for (const auto& o : s.owners) out.add_clients(o);
  out.set_remote_control_plane_independent(s.remote_cpi);
  out.set_passive(s.config.passive);
}

v1::BfdSessionEvent to_proto(const SessionEvent& e) {
  v1::BfdSessionEvent out;
  fill(e.session, *out.mutable_session());
  if (e.previous) out.set_previous_state(std::string(to_string(*e.previous)));
  out.set_remote_admin_down(e.remote_admin_down);
  return out;
}

}  // namespace

struct ApiServer::Services {
  Services(boost::asio::io_context& io, BfdServer& server) : bfd(io, server) {}

  class Bfd final : public v1::BfdService::Service {
   public:
    Bfd(boost::asio::io_context& io, BfdServer& server) : io_(io), server_(server) {}

    grpc::Status AddSession(grpc::ServerContext*, const v1::AddBfdSessionRequest* req,
                            v1::AddBfdSessionResponse* out) override {
      std::string error;
      auto key = key_of(req->key(), error);
      if (!key) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, error);
      if (req->client().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no client name");
      return api::on_core(io_, "bfdd", [&] {
        std::string why;
        auto s = server_.add(req->client(), *key, req->profile(), why);
        if (!s) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, why);
        fill(*s, *out->mutable_session());
        return grpc::Status::OK;
      });
    }

    grpc::Status RemoveSession(grpc::ServerContext*, const v1::RemoveBfdSessionRequest* req,
                               v1::RemoveBfdSessionResponse*) override {
      std::string error;
      auto key = key_of(req->key(), error);
      if (!key) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, error);
      return api::on_core(io_, "bfdd", [&] {
        server_.remove(req->client(), *key);
        return grpc::Status::OK;
      });
    }

    grpc::Status ListSessions(grpc::ServerContext*, const v1::ListBfdSessionsRequest* req,
                              v1::ListBfdSessionsResponse* out) override {
      return api::on_core(io_, "bfdd", [&] {
        for (const auto& s : server_.sessions()) {
          if (!req->peer().empty() && s.key.peer.to_string() != req->peer()) continue;
          fill(s, *out->add_sessions());
        }
        for (size_t i = 0; i < server_.discarded().size(); ++i) {
          if (server_.discarded()[i])
            (*out->mutable_discarded())[std::string(to_string(static_cast<Discard>(i)))] = server_.discarded()[i];
        }
        return grpc::Status::OK;
      });
    }

    grpc::Status WatchSessions(grpc::ServerContext* ctx, const v1::WatchBfdSessionsRequest* req,
                               grpc::ServerWriter<v1::BfdSessionEvent>* writer) override {
      // The client is gone when the stream ends: so are its references (it registers again when
      // it comes back).
      const std::string client = req->client();
      return api::stream_events(
          io_, "bfdd", ctx, writer,
          [this](const std::shared_ptr<api::EventQueue<v1::BfdSessionEvent>>& queue) {
            queue->push(v1::BfdSessionEvent{});  // first, an event without a session: the stream is live
            for (const auto& view : server_.sessions()) queue->push(to_proto({view, std::nullopt, false}));
            return server_.watch([queue](const SessionEvent& e) { queue->push(to_proto(e)); });
          },
          [this, client](int id) {
            server_.unwatch(id);
            if (!client.empty()) server_.remove_owner(client);
          });
    }

   private:
    boost::asio::io_context& io_;
    BfdServer& server_;
  };

  class System final : public v1::SystemService::Service {
   public:
    grpc::Status GetVersion(grpc::ServerContext*, const v1::GetVersionRequest*, v1::GetVersionResponse* out) override {
      out->set_daemon("bfdd");
      out->set_version(kVersion);
      return grpc::Status::OK;
    }
  };

  Bfd bfd;
  System system;
};

ApiServer::ApiServer(boost::asio::io_context& io, BfdServer& server)
    : services_(std::make_unique<Services>(io, server)) {}

ApiServer::~ApiServer() {
  stop();
}

bool ApiServer::start(const std::string& run_dir, const GrpcTcpOptions& tcp, grpc::Service* config,
                      std::string& error) {
  server_ = api::serve(run_dir + "/bfdd.sock", tcp, {&services_->bfd, &services_->system, config}, error);
  return server_ != nullptr;
}

void ApiServer::stop() {
  api::shut_down(server_);
}

}  // namespace ridgeline::bfd
