#pragma once
// SIGHUP, in both daemons: the config file is read again. With any error, each is logged as
// FILE:LINE: message and the running config stays; otherwise `apply` gets the new config (and
// may still refuse it, saying why). Counted for the metrics.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/config/parser.h"

namespace ridgeline {

struct ReloadCounters {
  uint64_t succeeded = 0;
  uint64_t failed = 0;
};

using ApplyConfig = std::function<bool(config::Config next, std::string& error)>;

inline bool reload_config_file(const std::string& path, const ApplyConfig& apply, ReloadCounters& counters) {
  config::ParseResult parsed = config::load_config_file(path);
  for (const auto& w : parsed.warnings) spdlog::warn("reload: {}", w.to_string());
  for (const auto& e : parsed.errors) spdlog::error("reload: {}", e.to_string());
  std::string error;
  if (!parsed.ok()) {
    error = std::to_string(parsed.errors.size()) + " error(s) in " + path;
  } else if (apply(std::move(parsed.config), error)) {
    ++counters.succeeded;
    return true;
  }
  ++counters.failed;
  spdlog::error("reload rejected ({}); the running config stays", error);
  return false;
}

}  // namespace ridgeline
