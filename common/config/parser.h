#pragma once
// ridgeline.conf: parse (with FILE:LINE errors), canonical print, and the checks that need the
// whole file. The syntax is a compatible subset of FRR's frr.conf (DESIGN.md "Config file").
#include <string>
#include <string_view>
#include <vector>

#include "common/config/model.h"

namespace ridgeline::config {

struct Diagnostic {
  std::string file;
  size_t line = 0;  // 1-based; 0 when the problem is not one line's
  std::string message;
  bool warning = false;
  std::string to_string() const;  // "FILE:LINE: message" (or "FILE: message"), "warning: " for warnings
};

struct ParseResult {
  Config config;
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  bool ok() const { return errors.empty(); }
};

ParseResult parse_config(std::string_view text, const std::string& file_name);
// Reads and parses a file; an unreadable file is one error.
ParseResult load_config_file(const std::string& path);

// Canonical text: parse_config(print_config(c)) == c, and printing is stable.
std::string print_config(const Config& config);

// Community text: "64500:100" or a well-known name (no-export, ...).
std::optional<uint32_t> parse_community(std::string_view text);
std::string format_community(uint32_t community);
std::optional<LargeCommunity> parse_large_community(std::string_view text);
std::string format_large_community(const LargeCommunity& c);

}  // namespace ridgeline::config
