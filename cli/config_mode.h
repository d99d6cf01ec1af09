#pragma once
// rlsh's configuration commands: `show running-config`, `write memory`, and config mode with FRR's
// nested modes, either applied line by line (`configure terminal`) or collected and committed
// (`configure transaction`, with `commit confirmed`, `abort` and `show configuration diff`).
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ridgeline::cli {

// Which mode a line enters, given the mode it is typed in: FRR's names ("config-router", ...).
// Empty if the line enters none.
std::optional<std::string> mode_entered(const std::string& mode, const std::vector<std::string>& words);

// A line-by-line diff of two texts: "-" for lines only in `before`, "+" for lines only in `after`.
std::string diff_lines(const std::string& before, const std::string& after);

class ConfigMode {
 public:
  explicit ConfigMode(const std::string& run_dir);
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
