#pragma once
// `--metrics-listen HOST:PORT`: GET /metrics over HTTP/1.0 on the daemon's io_context, so the
// page is built on the core thread with no locking. Requests are bounded (8 KiB, 5 s).
#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <string>

#include "common/asio.h"

namespace ridgeline::metrics {

class HttpServer {
 public:
  using Page = std::function<std::string()>;
  HttpServer(boost::asio::io_context& io, Page page) : io_(io), acceptor_(io), page_(std::move(page)) {}

  // HOST:PORT ("127.0.0.1:9642", "[::1]:9642", ":9642" for all addresses).
  bool start(const std::string& listen, std::string& error) {
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return error = "--metrics-listen wants HOST:PORT", false;
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    const auto address = host.empty() ? boost::asio::ip::address(boost::asio::ip::address_v6::any())
                                      : boost::asio::ip::make_address(host, ec);
    int port = 0;
    try {
      port = std::stoi(listen.substr(colon + 1));
    } catch (...) {
    }
    if (ec || port <= 0 || port > 65535) return error = "--metrics-listen: bad address " + listen, false;
    const boost::asio::ip::tcp::endpoint ep(address, static_cast<uint16_t>(port));
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(16, ec);
    if (ec) return error = "--metrics-listen " + listen + ": " + ec.message(), false;
    accept();
    return true;
  }

 private:
  struct Client {
    explicit Client(boost::asio::io_context& io) : socket(io), timer(io) {}
    boost::asio::ip::tcp::socket socket;
    boost::asio::steady_timer timer;
    std::string request, response;
  };

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket s) {
      if (ec == boost::asio::error::operation_aborted) return;
      if (!ec) serve(std::move(s));
      accept();
    });
  }

  void serve(boost::asio::ip::tcp::socket s) {
    auto c = std::make_shared<Client>(io_);
    c->socket = std::move(s);
    c->timer.expires_after(std::chrono::seconds(5));
    c->timer.async_wait([c](const boost::system::error_code& ec) {
      if (!ec) c->socket.close();
    });
    read(c);
  }

  void read(const std::shared_ptr<Client>& c) {
    auto buf = std::make_shared<std::array<char, 1024>>();
    c->socket.async_read_some(boost::asio::buffer(*buf), [this, c, buf](const boost::system::error_code& ec, size_t n) {
      if (ec) return;
      c->request.append(buf->data(), n);
      if (c->request.find("\r\n\r\n") == std::string::npos && c->request.find("\n\n") == std::string::npos) {
        if (c->request.size() < 8192) read(c);
        return;
      }
      const bool metrics = c->request.rfind("GET /metrics ", 0) == 0 || c->request.rfind("GET / ", 0) == 0;
      const std::string body = metrics ? page_() : "not found: GET /metrics\n";
      c->response =
          std::string(metrics ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.0 404 Not Found\r\n") +
          "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      boost::asio::async_write(c->socket, boost::asio::buffer(c->response),
                               [c](const boost::system::error_code&, size_t) {
                                 boost::system::error_code ignored;
                                 c->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
                                 c->socket.close(ignored);
                                 c->timer.cancel();
                               });
    });
  }

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Page page_;
};

}  // namespace ridgeline::metrics
