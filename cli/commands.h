#pragma once
// rlsh's commands: parse a line, call the API, render a table or JSON.
#include <memory>
#include <ostream>
#include <string>

#include "cli/api_target.h"
#include "cli/grammar.h"

namespace ridgeline::cli {

class Shell {
 public:
  explicit Shell(ApiTarget target);
  ~Shell();
  // Runs one command line. Returns 0 on success, 1 on error (printed to `err`).
  int run(const std::string& line, std::ostream& out, std::ostream& err);
  // The config mode the shell is in ("config", "config-router", ...), empty in exec mode.
  std::string mode() const;
  // What completion offers for placeholders: neighbors from bgpd, names from the running config.
  Names names();
  // The prompt's name: the config's `hostname`, else the machine's.
  std::string hostname();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ridgeline::cli
