#include "cli/config_mode.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <regex>
#include <sstream>

#include "cli/grammar.h"
#include "common/config/parser.h"
#include "ridgeline/v1/config.grpc.pb.h"

namespace ridgeline::cli {

namespace v1 = ridgeline::v1;

namespace {

bool is(const std::vector<std::string>& w, size_t i, const char* s) {
  return i < w.size() && w[i] == s;
}

// "candidate:41: unknown command: x" -> "unknown command: x": in config mode the line is the one
// just typed.
std::string without_location(const std::string& message) {
  static const std::regex location("^[^:]*:[0-9]+: ");
  return std::regex_replace(message, location, "");
}

}  // namespace

struct ConfigMode::Impl {
  explicit Impl(const ApiTarget& t) : target(t) {}

  struct Daemon {
    std::string name;
    std::unique_ptr<v1::ConfigService::Stub> stub;
  };
  ApiTarget target;
  Daemon daemons[2] = {{"bgpd", nullptr}, {"bfdd", nullptr}};
  bool active = false;
  bool transaction = false;
  std::vector<std::pair<std::string, std::string>> stack;  // (mode, the line that entered it)
  // A transaction: the running text it started from, the versions it expects, and its lines.
  std::string base;
  uint64_t base_versions[2] = {0, 0};
  std::string pending;

  v1::ConfigService::Stub& stub(Daemon& d) {
    if (!d.stub) d.stub = v1::ConfigService::NewStub(target.channel(d.name));
    return *d.stub;
  }

  static std::unique_ptr<grpc::ClientContext> context() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
    return c;
  }

  std::string failure(const Daemon& d, const grpc::Status& s) const {
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) return target.unavailable(d.name, s);
    return fmt::format("% {}: {}\n", d.name, without_location(s.error_message()));
  }

  // Both daemons' running parts, joined: the whole file.
  bool running(std::string& text, uint64_t versions[2], std::string* path, std::ostream& err) {
    text.clear();
    for (size_t i = 0; i < 2; ++i) {
      v1::RunningConfig r;
      auto ctx = context();
      auto s = stub(daemons[i]).GetRunningConfig(ctx.get(), {}, &r);
      if (!s.ok()) {
        err << failure(daemons[i], s);
        return false;
      }
      text += r.text();
      if (versions) versions[i] = r.version();
      if (path && i == 0) *path = r.path();
    }
    return true;
  }

  std::string context_lines() const {
    std::string out;
    for (const auto& [mode, line] : stack) out += line + "\n";
    return out;
  }

  // Parses locally first (the daemons parse the same way), then applies to bgpd and bfdd.
  int apply(const std::string& candidate, const uint64_t* versions, uint32_t confirm_within_s, bool quiet,
            std::ostream& out, std::ostream& err) {
    auto parsed = config::parse_config(candidate, "candidate");
    if (!parsed.ok()) {
      for (const auto& e : parsed.errors) err << "% " << without_location(e.to_string()) << "\n";
      return 1;
    }
    for (size_t i = 0; i < 2; ++i) {
      v1::ConfigCandidate req;
      req.set_text(candidate);
      req.set_name("candidate");
      if (versions) req.set_expected_version(versions[i]);
      req.set_confirm_within_seconds(confirm_within_s);
      v1::ApplyConfigResponse r;
      auto ctx = context();
      auto s = stub(daemons[i]).ApplyConfig(ctx.get(), req, &r);
      if (!s.ok()) {
        err << failure(daemons[i], s);
        if (s.error_code() == grpc::StatusCode::ABORTED)
          err << "% the running config changed meanwhile: abort, then start again\n";
        return 1;
      }
      if (!quiet && r.changed())
        out << fmt::format("% {}: {} (version {})\n", daemons[i].name, r.summary(), r.version());
    }
    return 0;
  }

  std::string mode() const { return active ? (stack.empty() ? "config" : stack.back().first) : ""; }

  void leave() {
    active = transaction = false;
    stack.clear();
    pending.clear();
    base.clear();
  }
};

ConfigMode::ConfigMode(const ApiTarget& target) : impl_(std::make_unique<Impl>(target)) {}
ConfigMode::~ConfigMode() = default;

bool ConfigMode::active() const {
  return impl_->active;
}

std::string ConfigMode::mode() const {
  return impl_->mode();
}

bool ConfigMode::exec_command(const std::vector<std::string>& w, std::ostream& out, std::ostream& err, int& status) {
  Impl& m = *impl_;
  if (is(w, 0, "configure") && w.size() == 2 &&
      (is(w, 1, "terminal") || is(w, 1, "transaction") || is(w, 1, "private"))) {
    m.leave();
    m.transaction = !is(w, 1, "terminal");
    if (m.transaction && !m.running(m.base, m.base_versions, nullptr, err)) {
      status = 1;
      return true;
    }
    m.active = true;
    status = 0;
    return true;
  }
  if (is(w, 0, "show") && is(w, 1, "running-config") && (w.size() == 2 || (w.size() == 3 && is(w, 2, "json")))) {
    if (w.size() == 3) {
      // Each daemon's RunningConfig message: its part, version, id, file, pending confirmation.
      out << "[";
      for (size_t i = 0; i < 2; ++i) {
        v1::RunningConfig r;
        auto ctx = Impl::context();
        auto s = m.stub(m.daemons[i]).GetRunningConfig(ctx.get(), {}, &r);
        if (!s.ok()) {
          err << m.failure(m.daemons[i], s);
          status = 1;
          return true;
        }
        std::string json;
        google::protobuf::util::JsonPrintOptions o;
        o.add_whitespace = true;
        (void)google::protobuf::util::MessageToJsonString(r, &json, o);
        out << (i ? ",\n" : "\n") << json;
      }
      out << "\n]\n";
      status = 0;
      return true;
    }
    std::string text;
    status = m.running(text, nullptr, nullptr, err) ? 0 : 1;
    if (!status) out << text;
    return true;
  }
  if ((is(w, 0, "write") && (w.size() == 1 || (w.size() == 2 && is(w, 1, "memory")))) ||
      (is(w, 0, "copy") && is(w, 1, "running-config") && is(w, 2, "startup-config") && w.size() == 3)) {
    std::string text, path;
    if (!m.running(text, nullptr, &path, err)) {
      status = 1;
      return true;
    }
    v1::SaveConfigRequest req;
    req.set_text(text);
    v1::SaveConfigResponse r;
    auto ctx = Impl::context();
    auto s = m.stub(m.daemons[0]).SaveConfig(ctx.get(), req, &r);
    if (!s.ok()) {
      err << m.failure(m.daemons[0], s);
      status = 1;
      return true;
    }
    out << "Configuration saved to " << r.path() << "\n";
    status = 0;
    return true;
  }
  return false;
}

int ConfigMode::line(const std::string& text, std::ostream& out, std::ostream& err) {
  Impl& m = *impl_;
  std::istringstream in(text);
  std::vector<std::string> w;
  for (std::string x; in >> x;) w.push_back(x);
  if (w.empty() || w[0][0] == '!') return 0;

  if (is(w, 0, "end") && w.size() == 1) {
    if (m.transaction && !m.pending.empty()) {
      err << "% uncommitted changes: commit or abort first\n";
      return 1;
    }
    m.leave();
    return 0;
  }
  if ((is(w, 0, "exit") || is(w, 0, "quit") || is(w, 0, "exit-address-family")) && w.size() == 1) {
    if (!m.stack.empty()) {
      m.stack.pop_back();
      return 0;
    }
    if (is(w, 0, "exit-address-family")) return 0;
    return line("end", out, err);
  }
  if (m.transaction) {
    if (is(w, 0, "abort") && w.size() == 1) {
      m.leave();
      out << "% changes discarded\n";
      return 0;
    }
    if (is(w, 0, "show") && is(w, 1, "configuration") && is(w, 2, "diff") && w.size() == 3) {
      const auto before = config::parse_config(m.base, "running");
      const auto after = config::parse_config(m.base + m.pending, "candidate");
      out << diff_lines(config::print_config(before.config), config::print_config(after.config));
      return 0;
    }
    if (is(w, 0, "confirm") && w.size() == 1) {
      for (auto& d : m.daemons) {
        v1::ConfirmConfigResponse r;
        auto ctx = Impl::context();
        auto s = m.stub(d).ConfirmConfig(ctx.get(), {}, &r);
        if (!s.ok()) {
          err << m.failure(d, s);
          return 1;
        }
      }
      out << "% confirmed\n";
      return 0;
    }
    if (is(w, 0, "commit") && (w.size() == 1 || (w.size() == 3 && is(w, 1, "confirmed")))) {
      uint32_t seconds = 0;
      if (w.size() == 3) {
        double minutes = 0;
        try {
          minutes = std::stod(w[2]);
        } catch (...) {
        }
        if (minutes <= 0 || minutes > 1440) {
          err << "% commit confirmed MINUTES: from 0.1 to 1440\n";
          return 1;
        }
        seconds = static_cast<uint32_t>(minutes * 60 + 0.5);
      }
      if (int s = m.apply(m.base + m.pending, m.base_versions, seconds, false, out, err)) return s;
      if (seconds) out << fmt::format("% committed; rolled back in {} s unless confirmed (`confirm`)\n", seconds);
      // Later lines build on what is running now.
      m.pending.clear();
      if (!m.running(m.base, m.base_versions, nullptr, err)) return 1;
      return 0;
    }
  }

  // A configuration line, in the context of the current mode (or an ancestor's, as FRR).
  std::optional<std::string> entered;
  size_t depth = m.stack.size();
  for (;; --depth) {
    const std::string mode = depth == 0 ? "config" : m.stack[depth - 1].first;
    entered = mode_entered(mode, w);
    if (entered || depth == 0) break;
  }
  if (!entered) depth = m.stack.size();
  auto context = m.stack;
  context.resize(depth);
  std::string lines;
  for (const auto& [mode, header] : context) lines += header + "\n";
  lines += text + "\n";
  int status = 0;
  if (m.transaction) {
    const std::string candidate = m.base + m.pending + lines;
    const auto parsed = config::parse_config(candidate, "candidate");
    if (!parsed.ok()) {
      for (const auto& e : parsed.errors) err << "% " << without_location(e.to_string()) << "\n";
      return 1;
    }
    // Each block ends back at the top, so the next line's context is its own.
    m.pending += lines + "end\n";
  } else {
    std::string running;
    if (!m.running(running, nullptr, nullptr, err)) return 1;
    status = m.apply(running + lines + "end\n", nullptr, 0, true, out, err);
  }
  if (status == 0) {
    m.stack = std::move(context);
    if (entered) m.stack.emplace_back(*entered, text);
  }
  return status;
}

}  // namespace ridgeline::cli
