#include "cli/api_target.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace ridgeline::cli {
namespace {

std::string read_file(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) std::cerr << "% cannot read " << path << "\n";
  return text.str();
}

}  // namespace

std::string ApiTarget::where(const std::string& daemon) const {
  const std::string& address = daemon == "bgpd" ? bgpd_address : bfdd_address;
  return address.empty() ? run_dir + "/" + daemon + ".sock" : address;
}

std::string ApiTarget::unavailable(const std::string& daemon, const grpc::Status& status) const {
  const std::string& address = daemon == "bgpd" ? bgpd_address : bfdd_address;
  if (address.empty()) return "% " + daemon + " is not running (no answer on " + where(daemon) + ")\n";
  return "% cannot reach " + daemon + " on " + address + ": " + status.error_message() + "\n";
}

std::shared_ptr<grpc::Channel> ApiTarget::channel(const std::string& daemon) const {
  const std::string& address = daemon == "bgpd" ? bgpd_address : bfdd_address;
  if (address.empty()) return grpc::CreateChannel("unix:" + where(daemon), grpc::InsecureChannelCredentials());
  if (insecure) return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read_file(tls_ca);
  ssl.pem_cert_chain = read_file(tls_cert);
  ssl.pem_private_key = read_file(tls_key);
  grpc::ChannelArguments args;
  if (!tls_server_name.empty()) args.SetSslTargetNameOverride(tls_server_name);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

}  // namespace ridgeline::cli
