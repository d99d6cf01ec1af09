#include "bgpd/server/bfd_client.h"

#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <set>

#include "ridgeline/v1/bfd.grpc.pb.h"

namespace ridgeline::bgp {

namespace v1 = ridgeline::v1;

namespace {

constexpr const char* kClientName = "bgpd";

v1::BfdSessionKey key_of(const BfdRequest& r) {
  v1::BfdSessionKey k;
  k.set_peer(r.peer.to_string());
  if (r.local) k.set_local_address(r.local->to_string());
  k.set_multihop(r.multihop);
  return k;
}

}  // namespace

struct BfdClient::Impl {
  Impl(BfdClient& owner, boost::asio::io_context& io, std::string run_dir, std::function<void(const BfdChange&)> cb)
      : owner(owner), io(io), path("unix:" + run_dir + "/bfdd.sock"), on_change(std::move(cb)) {}

  BfdClient& owner;
  boost::asio::io_context& io;
  std::string path;
  std::function<void(const BfdChange&)> on_change;

  std::mutex mutex;
  std::condition_variable wake;
  std::set<BfdRequest> wanted;
  std::deque<std::pair<bool, BfdRequest>> pending;  // (add, request) not yet sent
  bool resync = true;                               // send every wanted session again
  bool stopping = false;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::ClientContext> watch_context;
  std::thread requests, watcher;

  std::unique_ptr<v1::BfdService::Stub> stub() {
    std::lock_guard lock(mutex);
    if (!channel) channel = grpc::CreateChannel(path, grpc::InsecureChannelCredentials());
    return v1::BfdService::NewStub(channel);
  }

  // Sends requests as they come; after a reconnect, sends every wanted session again.
  void run_requests() {
    auto s = stub();
    std::unique_lock lock(mutex);
    while (!stopping) {
      // Nothing is sent until the watcher says bfdd is there.
      wake.wait(lock, [&] { return stopping || (owner.connected_ && (!pending.empty() || resync)); });
      if (stopping) break;
      std::deque<std::pair<bool, BfdRequest>> batch;
      if (resync) {
        for (const auto& r : wanted) batch.emplace_back(true, r);
        pending.clear();
        resync = false;
      } else {
        batch.swap(pending);
      }
      lock.unlock();
      bool failed = false;
      for (const auto& [add, r] : batch) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        grpc::Status status;
        if (add) {
          v1::AddBfdSessionRequest req;
          req.set_client(kClientName);
          *req.mutable_key() = key_of(r);
          req.set_profile(r.profile);
          v1::AddBfdSessionResponse resp;
          status = s->AddSession(&ctx, req, &resp);
        } else {
          v1::RemoveBfdSessionRequest req;
          req.set_client(kClientName);
          *req.mutable_key() = key_of(r);
          v1::RemoveBfdSessionResponse resp;
          status = s->RemoveSession(&ctx, req, &resp);
        }
        if (!status.ok()) {
          if (status.error_code() == grpc::StatusCode::UNAVAILABLE) failed = true;
          spdlog::warn("bfd: {} session for {}: {}", add ? "adding" : "removing", r.peer.to_string(),
                       status.error_message());
        }
      }
      lock.lock();
      if (failed) resync = true;  // bfdd went away meanwhile: everything again when it is back
    }
  }

  // Holds the stream; on any break waits a little and reconnects (bounded by stop()).
  void run_watcher() {
    auto s = stub();
    auto backoff = std::chrono::milliseconds(200);
    bool warned = false;
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (stopping) return;
        watch_context = std::make_unique<grpc::ClientContext>();
      }
      v1::WatchBfdSessionsRequest req;
      req.set_client(kClientName);
      auto reader = s->WatchSessions(watch_context.get(), req);
      v1::BfdSessionEvent ev;
      bool first = true;
      while (reader->Read(&ev)) {
        if (first) {
          first = false;
          backoff = std::chrono::milliseconds(200);
          warned = false;
          spdlog::info("bfd: connected to bfdd");
          std::lock_guard lock(mutex);
          owner.connected_ = true;
          resync = true;
          wake.notify_all();
        }
        if (!ev.has_session()) continue;  // the marker that the stream is live
        BfdChange c;
        auto peer = IpAddress::parse(ev.session().key().peer());
        if (!peer) continue;
        c.peer = *peer;
        c.multihop = ev.session().key().multihop();
        c.state = ev.session().state();
        c.previous = ev.previous_state();
        c.diag = ev.session().local_diag();
        c.remote_admin_down = ev.remote_admin_down();
        c.remote_cpi = ev.session().remote_control_plane_independent();
        boost::asio::post(io, [this, c] { on_change(c); });
      }
      reader->Finish();
      bool was_connected = false;
      {
        std::lock_guard lock(mutex);
        was_connected = owner.connected_.exchange(false);
      }
      if (was_connected) spdlog::warn("bfd: lost bfdd; BGP sessions stay as they are, retrying");
      if (!first && !warned) warned = true;
      if (first && !warned) {
        spdlog::info("bfd: bfdd is not reachable at {} yet; retrying", path);
        warned = true;
      }
      // The stream reads without a deadline: on the first attempt it may have returned at once
      // for lack of a server. Wait before the next, without holding up stop().
      std::unique_lock lock(mutex);
      wake.wait_for(lock, backoff, [&] { return stopping; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
  }
};

BfdClient::BfdClient(boost::asio::io_context& io, std::string run_dir, std::function<void(const BfdChange&)> on_change)
    : impl_(std::make_unique<Impl>(*this, io, std::move(run_dir), std::move(on_change))) {}

BfdClient::~BfdClient() {
  stop();
}

void BfdClient::start() {
  impl_->requests = std::thread([this] {
    pthread_setname_np(pthread_self(), "bfd-requests");
    impl_->run_requests();
  });
  impl_->watcher = std::thread([this] {
    pthread_setname_np(pthread_self(), "bfd-watcher");
    impl_->run_watcher();
  });
}

void BfdClient::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
    if (impl_->watch_context) impl_->watch_context->TryCancel();
  }
  impl_->wake.notify_all();
  if (impl_->requests.joinable()) impl_->requests.join();
  if (impl_->watcher.joinable()) impl_->watcher.join();
}

void BfdClient::want(const BfdRequest& r) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->wanted.insert(r).second) return;
  impl_->pending.emplace_back(true, r);
  impl_->wake.notify_all();
}

void BfdClient::unwant(const BfdRequest& r) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->wanted.erase(r)) return;
  impl_->pending.emplace_back(false, r);
  impl_->wake.notify_all();
}

}  // namespace ridgeline::bgp
