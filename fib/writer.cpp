#include "fib/writer.h"

#include <poll.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <future>
#include <utility>

namespace ridgeline::fib {
namespace {
constexpr std::chrono::milliseconds kHoldRecheck{50};
}  // namespace

FibWriter::FibWriter(Kernel& kernel, LinkSource* links, ProgrammerOptions programmer, WriterOptions options,
                     std::string mode)
    : kernel_(kernel), links_(links), programmer_(kernel, programmer), options_(options), retry_(options.first_retry) {
  counters_.mode = std::move(mode);
  status_ = counters_;
}

FibWriter::~FibWriter() {
  if (thread_.joinable()) stop(true);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::set<IpAddress> FibWriter::begin(Clock::time_point now) {
  if (links_) {
    connected_.reset(links_->dump());
    programmer_.set_connected_prefixes(connected_.usable());
  }
  const size_t adopted = programmer_.adopt();
  converged_ = adopted == 0;
  convergence_deadline_ = now + options_.convergence_timeout;
  next_reconcile_ = now + options_.reconcile_interval;
  if (adopted > 0) {
    spdlog::info(
        "fib: adopted {} routes left by a previous run; the rest of ours goes once the RIB has converged "
        "(at most {} s)",
        adopted, options_.convergence_timeout.count());
  }
  counters_.stats = programmer_.stats();
  counters_.converged = converged_;
  std::lock_guard lock(mutex_);
  status_ = counters_;
  return programmer_.adopted_gateways();
}

void FibWriter::start() {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "fib-writer");  // for top -H and perf
    run();
  });
}

void FibWriter::wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

void FibWriter::submit(std::vector<RouteChange> changes) {
  if (changes.empty()) return;
  submitted_ += changes.size();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(changes));
  }
  wake();
}

void FibWriter::rib_converged() {
  {
    std::lock_guard lock(mutex_);
    converge_requested_ = true;
  }
  wake();
}

void FibWriter::set_initial_tables(bool arriving) {
  {
    std::lock_guard lock(mutex_);
    initial_tables_ = arriving;
  }
  wake();
}

void FibWriter::set_gateway_down(const IpAddress& gateway, bool down) {
  {
    std::lock_guard lock(mutex_);
    gateways_.emplace_back(gateway, down);
  }
  wake();
}

void FibWriter::request_reconcile() {
  {
    std::lock_guard lock(mutex_);
    reconcile_requested_ = true;
  }
  wake();
}

bool FibWriter::call(std::function<void(const Programmer&)> fn, std::chrono::milliseconds timeout) {
  if (!thread_.joinable()) {
    fn(programmer_);
    return true;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto ready = done->get_future();
  {
    std::lock_guard lock(mutex_);
    calls_.push_back([this, done, fn = std::move(fn)] {
      fn(programmer_);
      done->set_value();
    });
  }
  wake();
  return ready.wait_for(timeout) == std::future_status::ready;
}

double FibWriter::timed_flush(bool wait, bool hold) {
  const auto start = Clock::now();
  const size_t ops = programmer_.flush(nullptr, wait, hold);
  unflushed_ = 0;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  spdlog::debug("fib: flush: {} kernel operations {} in {:.1f} ms", ops, wait ? "written" : "handed over",
                seconds * 1000);
  ++counters_.flushes;
  if (wait) {
    counters_.write_latency.observe(seconds);
  } else if (!unacked_since_) {
    unacked_since_ = start;  // observed once the kernel has acked it all
  }
  return seconds;
}

FibStatus FibWriter::status() const {
  std::lock_guard lock(mutex_);
  FibStatus s = status_;
  s.queued = queue_.size();
  return s;
}

void FibWriter::hold_bulk_load(Clock::time_point now, std::optional<bool> tables) {
  const bool tables_done = tables && !*tables && tables_arriving_;
  if (tables) {
    if (*tables && !tables_arriving_) tables_since_ = now;
    tables_arriving_ = *tables;
  }
  if (tables_done) {
    if (flush_due_) flush_due_ = now;  // the last End-of-RIB: write the load now
    return;
  }
  if (!flush_due_ || now < *flush_due_ || unflushed_ < options_.bulk_changes) return;
  if (now - window_start_ >= options_.bulk_hold) return;
  const bool tables_believed = tables_arriving_ && now - tables_since_ < options_.bulk_hold;
  if (!tables_believed && now - last_taken_ >= options_.bulk_gap) return;  // a pause: write
  // Still arriving: wait for the last End-of-RIB, a pause, or the longest hold.
  const auto hold_end = window_start_ + options_.bulk_hold;
  flush_due_ = tables_believed ? hold_end : std::min(last_taken_ + options_.bulk_gap, hold_end);
}

void FibWriter::sweep(const char* why) {
  const size_t n = programmer_.sweep_adopted();
  converged_ = true;
  spdlog::info("fib: {}: {} adopted routes not confirmed by the RIB are removed", why, n);
}

FibWriter::Clock::time_point FibWriter::step(Clock::time_point now, bool links_readable) {
  std::vector<std::vector<RouteChange>> batches;
  std::vector<std::function<void()>> calls;
  std::vector<std::pair<IpAddress, bool>> gateways;
  bool converge = false, reconcile = false;
  std::optional<bool> tables;
  {
    std::lock_guard lock(mutex_);
    tables = std::exchange(initial_tables_, std::nullopt);
    batches.swap(queue_);
    calls.swap(calls_);
    gateways.swap(gateways_);
    converge = std::exchange(converge_requested_, false);
    reconcile = std::exchange(reconcile_requested_, false);
  }
  // A dead next hop first, and written at once: one group replace each, before any route.
  for (const auto& [gateway, down] : gateways) {
    programmer_.set_gateway_down(gateway, down);
    if (!down) continue;
    const uint64_t before = programmer_.stats().group_replaces;
    const double seconds = timed_flush();
    spdlog::info("fib: next hop {} is down: {} groups shrunk in place in {:.1f} ms", gateway.to_string(),
                 programmer_.stats().group_replaces - before, seconds * 1000);
  }
  size_t incoming = 0;
  for (const auto& batch : batches) incoming += batch.size();
  if (incoming > 1024) programmer_.reserve_more(incoming);
  for (auto& batch : batches) {
    for (auto& change : batch) programmer_.update(change.prefix, change.next_hops);
    counters_.changes += batch.size();
    taken_ += batch.size();
    unflushed_ += batch.size();
    last_taken_ = now;
    if (!flush_due_) {
      flush_due_ = now + options_.coalesce_window;
      window_start_ = now;
    }
  }
  hold_bulk_load(now, tables);

  if (links_ && links_readable) {
    bool overflowed = false;
    bool changed = false;
    for (const LinkEvent& e : links_->read(overflowed)) changed |= connected_.apply(e);
    if (overflowed) {
      // Notifications were lost: start over from a dump, and check the kernel too.
      spdlog::warn("fib: link notifications overflowed (ENOBUFS); resynchronizing");
      changed |= connected_.reset(links_->dump());
      ++counters_.resyncs;
      reconcile = true;
    }
    if (changed) {
      programmer_.set_connected_prefixes(connected_.usable());
      flush_due_ = now;  // a link down removes its next hops at once
    }
  }

  if (!converged_ && (converge || now >= convergence_deadline_)) {
    sweep(converge ? "the RIB has converged" : "no End-of-RIB from every peer in time");
    flush_due_ = now;
  }

  if (flush_due_ && now >= *flush_due_) {
    // Async acks: the kernel works through the last chunks while the next changes are taken.
    if (unflushed_ >= options_.bulk_changes && now - window_start_ > 2 * options_.coalesce_window) {
      spdlog::debug("fib: bulk load: {} changes of {:.0f} ms in one flush", unflushed_,
                    std::chrono::duration<double, std::milli>(now - window_start_).count());
    }
    timed_flush(/*wait=*/false, /*hold=*/true);
    written_ = taken_.load();
    flush_due_.reset();
    settling_ = true;
    // Routes held for a group replace: look again once more of the move may have come.
    if (programmer_.holding()) {
      flush_due_ = now + std::max(options_.coalesce_window, kHoldRecheck);
      window_start_ = now;
    }
  }
  if (settling_ && !programmer_.writing()) {
    programmer_.settle();
    settling_ = false;
    counters_.write_latency.observe(std::chrono::duration<double>(Clock::now() - *unacked_since_).count());
    unacked_since_.reset();
  }
  if (!settling_ && programmer_.stats().needs_repair && !repair_due_) repair_due_ = now + retry_;

  const bool periodic = options_.reconcile_interval.count() > 0 && now >= next_reconcile_;
  const bool retry = repair_due_ && now >= *repair_due_;
  if (reconcile || periodic || retry) {
    const bool retrying = retry && !reconcile && !periodic;
    const auto started = Clock::now();
    const size_t drift = programmer_.reconcile(retrying);
    spdlog::debug("fib: reconcile: {} drift in {:.1f} ms", drift,
                  std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    ++counters_.reconciles;
    counters_.last_reconcile_drift = retrying ? 0 : drift;
    if (drift > 0 && retrying) spdlog::info("fib: retried {} failed kernel writes", drift);
    if (drift > 0 && !retrying)
      spdlog::warn("fib: reconcile repaired {} kernel objects changed outside Ridgeline", drift);
    next_reconcile_ = now + options_.reconcile_interval;
    if (programmer_.stats().needs_repair) {
      retry_ = std::min(retry_ * 2, options_.max_retry);
      repair_due_ = now + retry_;
      spdlog::warn("fib: kernel writes still failing; retrying in {} ms", retry_.count());
    } else {
      retry_ = options_.first_retry;
      repair_due_.reset();
    }
  }

  counters_.stats = programmer_.stats();
  counters_.converged = converged_;
  {
    std::lock_guard lock(mutex_);
    status_ = counters_;
  }
  for (auto& c : calls) c();

  Clock::time_point next = now + std::chrono::hours(1);
  if (flush_due_) next = std::min(next, *flush_due_);
  if (settling_) next = std::min(next, now + std::chrono::milliseconds(1));  // polls the last acks
  if (repair_due_) next = std::min(next, *repair_due_);
  if (options_.reconcile_interval.count() > 0) next = std::min(next, next_reconcile_);
  if (!converged_) next = std::min(next, convergence_deadline_);
  return next;
}

void FibWriter::run() {
  bool links_readable = false;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    const auto now = Clock::now();
    const auto next = step(now, links_readable);
    const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(next - Clock::now());
    timespec timeout{};
    if (wait.count() > 0) {
      timeout.tv_sec = static_cast<time_t>(wait.count() / 1000000000);
      timeout.tv_nsec = static_cast<long>(wait.count() % 1000000000);
    }
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {links_ ? links_->fd() : -1, POLLIN, 0}};
    ppoll(fds, 2, &timeout, nullptr);
    if (fds[0].revents & POLLIN) {
      uint64_t n;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &n, sizeof(n));
    }
    links_readable = (fds[1].revents & POLLIN) != 0;
  }
}

void FibWriter::stop(bool keep_routes) {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake();
    thread_.join();
  }
  // What the RIB last said reaches the kernel before we go.
  std::vector<std::vector<RouteChange>> batches;
  {
    std::lock_guard lock(mutex_);
    batches.swap(queue_);
  }
  for (auto& batch : batches) {
    for (auto& change : batch) programmer_.update(change.prefix, change.next_hops);
  }
  if (keep_routes) {
    programmer_.flush();
    spdlog::info("fib: stopping with graceful restart: {} routes stay in the kernel", programmer_.stats().routes);
  } else {
    const size_t n = programmer_.stats().routes;
    programmer_.withdraw_all();
    programmer_.flush();
    spdlog::info("fib: stopping: {} routes removed from the kernel", n);
  }
}

}  // namespace ridgeline::fib
