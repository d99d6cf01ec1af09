#pragma once
// What both daemons' API servers share: serving services on RUN_DIR/NAME.sock (mode 0660, and
// TCP only where asked), and carrying a call out on the daemon's core thread.
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/daemon_options.h"

namespace ridgeline::api {

inline bool read_pem(const std::string& path, std::string& pem, std::string& error) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  pem = text.str();
  if (!in || pem.find("-----BEGIN") == std::string::npos) {
    error = "cannot read a PEM file from " + path;
    return false;
  }
  return true;
}

// TLS credentials of the TCP API: server certificate, and client certificates when a CA is given.
inline std::shared_ptr<grpc::ServerCredentials> tcp_credentials(const GrpcTcpOptions& tcp, std::string& error) {
  if (tcp.insecure) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  if (!read_pem(tcp.tls_key, pair.private_key, error) || !read_pem(tcp.tls_cert, pair.cert_chain, error))
    return nullptr;
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tcp.client_ca.empty()) {
    if (!read_pem(tcp.client_ca, ssl.pem_root_certs, error)) return nullptr;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

inline std::unique_ptr<grpc::Server> serve(const std::string& socket_path, const GrpcTcpOptions& tcp,
                                           const std::vector<grpc::Service*>& services, std::string& error) {
  ::unlink(socket_path.c_str());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
  int tcp_port = 0;
  if (!tcp.listen.empty()) {
    auto credentials = tcp_credentials(tcp, error);
    if (!credentials) return nullptr;
    builder.AddListeningPort(tcp.listen, credentials, &tcp_port);
  }
  for (auto* s : services) {
    if (s) builder.RegisterService(s);
  }
  auto server = builder.BuildAndStart();
  if (!server) {
    error = "cannot serve the API on " + socket_path + (tcp.listen.empty() ? "" : " and " + tcp.listen);
    return nullptr;
  }
  ::chmod(socket_path.c_str(), 0660);
  return server;
}

inline void shut_down(std::unique_ptr<grpc::Server>& server) {
  if (!server) return;
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server.reset();
}

// Runs `fn` (returning a grpc::Status) on the core's io_context thread and waits for it;
// UNAVAILABLE if the core does not answer within 10 s.
template <typename F>
grpc::Status on_core(boost::asio::io_context& io, const char* daemon, F&& fn) {
  auto done = std::make_shared<std::promise<grpc::Status>>();
  auto result = done->get_future();
  boost::asio::post(io, [done, fn = std::forward<F>(fn)]() mutable { done->set_value(fn()); });
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(daemon) + " core did not answer");
  }
  return result.get();
}

// Events for one watch stream, from the core thread to the gRPC thread. Bounded: a client that
// does not keep up loses its stream (RESOURCE_EXHAUSTED), not the daemon its memory.
template <typename Event>
struct EventQueue {
  static constexpr size_t kMax = 200000;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Event> events;
  bool overflowed = false;
  void push(Event e) {
    {
      std::lock_guard lock(mutex);
      if (events.size() >= kMax) {
        overflowed = true;
      } else {
        events.push_back(std::move(e));
      }
    }
    ready.notify_one();
  }
};

// A server stream of events: `subscribe(queue)` runs on the core, pushes the snapshot and
// returns the watcher's id; events are written until the client goes or falls behind; then
// `unsubscribe(id)` runs on the core.
template <typename Event, typename Subscribe, typename Unsubscribe>
grpc::Status stream_events(boost::asio::io_context& io, const char* daemon, grpc::ServerContext* ctx,
                           grpc::ServerWriter<Event>* writer, Subscribe subscribe, Unsubscribe unsubscribe) {
  auto queue = std::make_shared<EventQueue<Event>>();
  int id = 0;
  auto s = on_core(io, daemon, [&] {
    id = subscribe(queue);
    return grpc::Status::OK;
  });
  if (!s.ok()) return s;
  grpc::Status result = grpc::Status::OK;
  while (!ctx->IsCancelled()) {
    std::unique_lock lock(queue->mutex);
    queue->ready.wait_for(lock, std::chrono::milliseconds(200),
                          [&] { return !queue->events.empty() || queue->overflowed; });
    std::deque<Event> batch;
    batch.swap(queue->events);
    const bool overflowed = queue->overflowed;
    lock.unlock();
    bool ok = true;
    for (const auto& e : batch) ok = ok && writer->Write(e);
    if (!ok) break;
    if (overflowed) {
      result = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "the watcher fell behind; watch again");
      break;
    }
  }
  boost::asio::post(io, [unsubscribe, id] { unsubscribe(id); });
  return result;
}

}  // namespace ridgeline::api
