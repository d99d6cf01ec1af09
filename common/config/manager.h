#pragma once
// A daemon's running config and its lifecycle: validate a candidate, apply it (all or nothing),
// count versions, and a confirmed commit that rolls back unless confirmed in time. Pure: the
// daemon applies through `Apply`, and drives the rollback deadline with a timer of its own.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/parser.h"

namespace ridgeline::config {

enum class Daemon { Bgpd, Bfdd };

// The part of a config a daemon runs: bgpd everything but the `bfd` block, bfdd that block alone.
// Printed one after the other, the two parts are the whole file.
Config part_of(const Config& config, Daemon daemon);

// Writes `text` to `path` atomically: a temporary file in the same directory, fsync, rename; the
// old file's mode and group are kept.
bool save_file(const std::string& path, const std::string& text, std::string& error);

class ConfigManager {
 public:
  using Clock = std::chrono::steady_clock;
  // Applies `next` to the daemon; on success `message` says what changed, else why not.
  using Apply = std::function<bool(const Config& next, std::string& message)>;

  ConfigManager(Daemon daemon, std::string path, Config running, Apply apply);

  Daemon daemon() const { return daemon_; }
  const std::string& path() const { return path_; }
  const Config& running() const { return running_; }
  // The canonical text of this daemon's part.
  std::string running_text() const;
  uint64_t version() const { return version_; }  // 1 at start, +1 for each change applied
  std::string id() const;                        // a hash of the canonical text

  struct Outcome {
    enum Kind { Applied, Unchanged, Invalid, Refused, Conflict } kind = Unchanged;
    std::string message;
    std::vector<Diagnostic> errors;
    bool ok() const { return kind == Applied || kind == Unchanged; }
  };
  ParseResult validate(std::string_view text, const std::string& name) const;
  // expected_version (if set) must be the running version (optimistic locking). With
  // confirm_within, the change is rolled back at that deadline unless confirm() comes first.
  Outcome apply_text(std::string_view text, const std::string& name, std::optional<uint64_t> expected_version,
                     std::optional<Clock::duration> confirm_within, Clock::time_point now);
  // SIGHUP: the file again.
  Outcome apply_file(Clock::time_point now);
  bool confirm();  // false: nothing was waiting for a confirmation
  std::optional<Clock::time_point> rollback_deadline() const;
  // At or after the deadline: back to the config from before the unconfirmed commit.
  std::optional<Outcome> rollback_if_due(Clock::time_point now);

  uint64_t reloads_succeeded() const { return reloads_ok_; }
  uint64_t reloads_failed() const { return reloads_failed_; }

 private:
  Outcome apply_parsed(ParseResult parsed, std::optional<uint64_t> expected_version,
                       std::optional<Clock::duration> confirm_within, Clock::time_point now);

  Daemon daemon_;
  std::string path_;
  Config running_;
  Apply apply_;
  uint64_t version_ = 1;
  struct Pending {
    Config previous;
    Clock::time_point deadline;
  };
  std::optional<Pending> pending_;
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
};

}  // namespace ridgeline::config
