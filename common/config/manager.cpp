#include "common/config/manager.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ridgeline::config {

Config part_of(const Config& config, Daemon daemon) {
  if (daemon == Daemon::Bgpd) {
    Config c = config;
    c.bfd.reset();
    return c;
  }
  Config c;
  c.bfd = config.bfd;
  return c;
}

bool save_file(const std::string& path, const std::string& text, std::string& error) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  struct stat old {};
  const bool had = ::stat(path.c_str(), &old) == 0;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, had ? (old.st_mode & 07777) : 0640);
  if (fd < 0) {
    error = fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
    return false;
  }
  bool ok = true;
  for (size_t done = 0; ok && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  if (ok && had) {
    (void)::fchmod(fd, old.st_mode & 07777);
    (void)::fchown(fd, static_cast<uid_t>(-1), old.st_gid);  // the group may write it (rlsh write memory)
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    error = fmt::format("cannot write {}: {}", path, std::strerror(errno));
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

ConfigManager::ConfigManager(Daemon daemon, std::string path, Config running, Apply apply)
    : daemon_(daemon), path_(std::move(path)), running_(std::move(running)), apply_(std::move(apply)) {}

std::string ConfigManager::running_text() const {
  return print_config(part_of(running_, daemon_));
}

std::string ConfigManager::id() const {
  uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : running_text()) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

ParseResult ConfigManager::validate(std::string_view text, const std::string& name) const {
  return parse_config(text, name);
}

ConfigManager::Outcome ConfigManager::apply_parsed(ParseResult parsed, std::optional<uint64_t> expected_version,
                                                   std::optional<Clock::duration> confirm_within,
                                                   Clock::time_point now) {
  Outcome o;
  if (!parsed.ok()) {
    o.kind = Outcome::Invalid;
    o.errors = std::move(parsed.errors);
    o.message = o.errors.front().to_string();
    if (o.errors.size() > 1) o.message += fmt::format(" (and {} more)", o.errors.size() - 1);
    return o;
  }
  if (expected_version && *expected_version != version_) {
    o.kind = Outcome::Conflict;
    o.message = fmt::format("the running config is at version {}, not {}", version_, *expected_version);
    return o;
  }
  if (part_of(parsed.config, daemon_) == part_of(running_, daemon_)) {
    running_ = std::move(parsed.config);  // the other daemon's part, kept for the record
    o.message = "no change";
    return o;
  }
  if (!apply_(parsed.config, o.message)) {
    o.kind = Outcome::Refused;
    return o;
  }
  if (confirm_within) {
    // A second unconfirmed commit keeps the oldest rollback point.
    if (!pending_) pending_ = Pending{running_, now + *confirm_within};
    pending_->deadline = now + *confirm_within;
  }
  running_ = std::move(parsed.config);
  ++version_;
  o.kind = Outcome::Applied;
  return o;
}

ConfigManager::Outcome ConfigManager::apply_text(std::string_view text, const std::string& name,
                                                 std::optional<uint64_t> expected_version,
                                                 std::optional<Clock::duration> confirm_within, Clock::time_point now) {
  return apply_parsed(parse_config(text, name), expected_version, confirm_within, now);
}

ConfigManager::Outcome ConfigManager::apply_file(Clock::time_point now) {
  Outcome o = apply_parsed(load_config_file(path_), std::nullopt, std::nullopt, now);
  (o.ok() ? reloads_ok_ : reloads_failed_)++;
  return o;
}

bool ConfigManager::confirm() {
  const bool had = pending_.has_value();
  pending_.reset();
  return had;
}

std::optional<ConfigManager::Clock::time_point> ConfigManager::rollback_deadline() const {
  return pending_ ? std::optional(pending_->deadline) : std::nullopt;
}

std::optional<ConfigManager::Outcome> ConfigManager::rollback_if_due(Clock::time_point now) {
  if (!pending_ || now < pending_->deadline) return std::nullopt;
  Config previous = std::move(pending_->previous);
  pending_.reset();
  Outcome o;
  if (!apply_(previous, o.message)) {
    o.kind = Outcome::Refused;
    return o;
  }
  running_ = std::move(previous);
  ++version_;
  o.kind = Outcome::Applied;
  return o;
}

}  // namespace ridgeline::config
