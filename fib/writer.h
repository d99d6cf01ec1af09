#pragma once
// The FIB writer: the Programmer on a thread of its own, behind a queue, so that a slow kernel
// never delays the protocol thread. It coalesces changes for a short window (a prefix that
// changes several times is written once), follows links and addresses, adopts what a previous
// run left in the kernel, sweeps it once the RIB has converged, and reconciles with the kernel
// periodically, on demand, and with backoff after a failed write.
//
// step() is the whole logic with time passed in; the thread only waits for the next deadline,
// for a wake-up, or for link notifications, and calls it. Unit tests call step() directly.
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "common/metrics.h"
#include "common/route_change.h"
#include "fib/connected.h"
#include "fib/programmer.h"

namespace ridgeline::fib {

struct WriterOptions {
  std::chrono::milliseconds coalesce_window{5};
  // A bulk load (a peer sending its whole table): once this many changes wait for a flush, the
  // window slides while more keep coming (or while the RIB says initial tables are arriving, see
  // set_initial_tables), up to bulk_hold after the first. The kernel then takes
  // the table in one batch in its best order (spread_key), about 1.5 times faster for 1M new /32s
  // than in the ~100k batches they would otherwise arrive in (see bench/RESULTS.md).
  size_t bulk_changes = 4096;
  std::chrono::milliseconds bulk_gap{50};       // more within this: still arriving (bgpd decodes in bursts)
  std::chrono::milliseconds bulk_hold{3000};    // 0: off
  std::chrono::seconds reconcile_interval{60};  // 0: only on demand and after failures
  std::chrono::seconds convergence_timeout{120};
  std::chrono::milliseconds first_retry{100};
  std::chrono::milliseconds max_retry{30000};
};

struct FibStatus {
  FibStats stats;
  std::string mode;        // "nexthop-objects" or "multipath-routes"
  bool converged = false;  // adopted routes have been confirmed or swept
  size_t queued = 0;       // change batches not yet taken by the writer
  uint64_t changes = 0, flushes = 0, reconciles = 0, resyncs = 0;
  uint64_t last_reconcile_drift = 0;
  metrics::Histogram write_latency;  // seconds per flush (one batch of kernel writes)
};

class FibWriter {
 public:
  using Clock = std::chrono::steady_clock;

  // `links` may be null (no connected-prefix tracking: then set them on the programmer).
  FibWriter(Kernel& kernel, LinkSource* links, ProgrammerOptions programmer, WriterOptions options,
            std::string mode = "nexthop-objects");
  ~FibWriter();
  FibWriter(const FibWriter&) = delete;
  FibWriter& operator=(const FibWriter&) = delete;

  // Before start(): reads links, addresses and the kernel, and adopts what matches. Returns the
  // gateways of the adopted routes: the peers the RIB should hear from before it has converged.
  std::set<IpAddress> begin(Clock::time_point now);
  void start();
  // Stops the thread. Pending changes are written first; then, unless keep_routes (graceful
  // restart), every route and object of ours is removed.
  void stop(bool keep_routes);

  // Any thread.
  void submit(std::vector<RouteChange> changes);
  void rib_converged();
  // Peers are sending their initial tables (until End-of-RIB): a bulk load is held until they are
  // done (at most bulk_hold), then written at once.
  void set_initial_tables(bool arriving);
  // A next hop died (BFD) or is back: see Programmer::set_gateway_down. Written at once.
  void set_gateway_down(const IpAddress& gateway, bool down);
  void request_reconcile();
  FibStatus status() const;
  // Route changes submitted and not yet written to the kernel (any thread).
  uint64_t backlog() const { return submitted_.load() - written_.load(); }
  // Route changes submitted and not yet taken into the programmer: what the queue holds (any
  // thread). The programmer holds every route anyway; the queue is memory on top of it.
  uint64_t queued() const { return submitted_.load() - taken_.load(); }
  // Runs `fn` on the writer's thread (at once when it is not running) and waits for it: the way
  // to read the programmer's state from another thread. False if the writer did not answer.
  bool call(std::function<void(const Programmer&)> fn, std::chrono::milliseconds timeout);

  // The logic: does what is due at `now` and returns when it next has something to do.
  Clock::time_point step(Clock::time_point now, bool links_readable);
  // Writes what is pending and times it; returns the seconds it took (without `wait`: to hand
  // the last chunk to the kernel). `hold`: see Programmer::holding().
  double timed_flush(bool wait = true, bool hold = false);
  Programmer& programmer() { return programmer_; }

 private:
  void run();
  void wake();
  void sweep(const char* why);
  // Slides a due flush while a bulk load is still arriving (WriterOptions::bulk_*); `tables` is
  // the latest set_initial_tables() value, if one came since the last step.
  void hold_bulk_load(Clock::time_point now, std::optional<bool> tables);

  Kernel& kernel_;
  LinkSource* links_;
  Programmer programmer_;
  WriterOptions options_;
  ConnectedTable connected_;

  // Shared with other threads.
  mutable std::mutex mutex_;
  std::vector<std::vector<RouteChange>> queue_;
  std::vector<std::function<void()>> calls_;
  std::vector<std::pair<IpAddress, bool>> gateways_;
  bool converge_requested_ = false, reconcile_requested_ = false, stopping_ = false;
  std::optional<bool> initial_tables_;  // set_initial_tables() not yet seen by step()
  FibStatus status_;
  std::atomic<uint64_t> submitted_{0}, written_{0}, taken_{0};  // taken_: from the queue

  // The writer's own.
  std::optional<Clock::time_point> flush_due_, repair_due_;
  Clock::time_point window_start_{}, last_taken_{};  // the first and the last change since the last flush
  size_t unflushed_ = 0;                             // changes taken since the last flush
  bool tables_arriving_ = false;  // believed for bulk_hold after it was set: a peer may never send End-of-RIB
  Clock::time_point tables_since_{};
  bool settling_ = false;                           // a flush was handed to the kernel; its acks are not all in
  std::optional<Clock::time_point> unacked_since_;  // the first such flush began
  Clock::time_point next_reconcile_{}, convergence_deadline_{};
  std::chrono::milliseconds retry_;
  bool converged_ = true;
  FibStatus counters_;
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace ridgeline::fib
