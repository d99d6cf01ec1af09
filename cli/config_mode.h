#pragma once
// rlsh's configuration commands: `show running-config`, `write memory`, and config mode with FRR's
// nested modes, either applied line by line (`configure terminal`) or collected and committed
// (`configure transaction`, with `commit confirmed`, `abort` and `show configuration diff`).
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/api_target.h"

namespace ridgeline::cli {

class ConfigMode {
 public:
  explicit ConfigMode(const ApiTarget& target);
  ~ConfigMode();

  bool active() const;
  // The prompt's mode part: "config", "config-router", ... (empty outside config mode).
  std::string mode() const;

  // Exec-mode commands this class owns; false if `words` is none of them.
  bool exec_command(const std::vector<std::string>& words, std::ostream& out, std::ostream& err, int& status);
  // A line typed in config mode.
  int line(const std::string& text, std::ostream& out, std::ostream& err);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ridgeline::cli
