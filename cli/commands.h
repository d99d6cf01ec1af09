#pragma once
// rlsh's commands: parse a line, call the API, render a table or JSON.
#include <memory>
#include <ostream>
#include <string>

namespace ridgeline::cli {

class Shell {
 public:
  explicit Shell(std::string run_dir);
  ~Shell();
  // Runs one command line. Returns 0 on success, 1 on error (printed to `err`).
  int run(const std::string& line, std::ostream& out, std::ostream& err);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ridgeline::cli
