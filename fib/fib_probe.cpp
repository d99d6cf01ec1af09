// fib_probe: drives fib::Programmer over the real kernel from stdin, for namespace tests.
//   fib_probe [--multipath] [--resilient-v4 BUCKETS]
//   connected PREFIX DEV | route PREFIX [NH,NH,...] | flush | reconcile | stats
//   adopt              take over what the kernel holds (as bgpd does at start)
//   sweep              the RIB has converged: adopted routes not confirmed go at the next flush
//   bulk N NH,NH,...   install N /32s from 10.128.0.0 through the next hops, timed (batched)
//   baseline N NH      the same, one route per sendmsg with a blocking ack each (for comparison)
//   floor N NH,... [B,...[ ORDER]] the kernel's share alone: N pre-built route ops through the
//                      batched sender, in spread order (in runs of B routes, as batches arrive; a
//                      list gives each run's size, the last repeating; default all at once).
//                      ORDER: spread (default) or ascending, for each run
// Each command prints one line: "ok ...", or "error ...".
#include <net/if.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>

#include "fib/netlink_kernel.h"
#include "fib/programmer.h"

using namespace ridgeline;

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("fib_probe"));  // stdout carries the answers
  bool multipath = false;
  fib::ProgrammerOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--multipath") multipath = true;
    if (arg == "--resilient-v4" && i + 1 < argc)
      options.resilient_v4 = fib::ResilientOptions{static_cast<uint16_t>(std::stoul(argv[++i])), 60};
  }
  fib::NetlinkKernel kernel;
  std::string error;
  if (!kernel.open(error, multipath)) {
    std::cout << "error " << error << std::endl;
    return 1;
  }
  fib::Programmer programmer(kernel, options);
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream in(line);
    std::string cmd, a, b;
    in >> cmd >> a >> b;
    if (cmd == "connected") {
      auto p = Prefix::parse(a);
      const unsigned ifindex = if_nametoindex(b.c_str());
      if (!p || !ifindex) {
        std::cout << "error bad connected line" << std::endl;
        continue;
      }
      programmer.set_connected(*p, static_cast<int>(ifindex));
      std::cout << "ok" << std::endl;
    } else if (cmd == "route") {
      auto p = Prefix::parse(a);
      std::vector<IpAddress> hops;
      std::istringstream list(b);
      for (std::string h; std::getline(list, h, ',');) {
        if (auto ip = IpAddress::parse(h)) hops.push_back(*ip);
      }
      if (!p) {
        std::cout << "error bad prefix" << std::endl;
        continue;
      }
      programmer.update(*p, hops);
      std::cout << "ok" << std::endl;
    } else if (cmd == "flush") {
      auto ops = programmer.flush();
      size_t replaces = 0;
      for (const auto& o : ops) replaces += o.kind == fib::Op::ReplaceGroup;
      std::cout << "ok ops=" << ops.size() << " group_replaces=" << replaces
                << " kernel_errors=" << programmer.stats().kernel_errors << std::endl;
    } else if (cmd == "adopt") {
      std::cout << "ok adopted=" << programmer.adopt() << std::endl;
    } else if (cmd == "sweep") {
      std::cout << "ok swept=" << programmer.sweep_adopted() << std::endl;
    } else if (cmd == "reconcile") {
      std::cout << "ok drift=" << programmer.reconcile() << std::endl;
    } else if (cmd == "bulk" || cmd == "baseline" || cmd == "floor") {
      const uint32_t n = static_cast<uint32_t>(std::stoul(a));
      std::vector<IpAddress> hops;
      std::istringstream list(b);
      for (std::string h; std::getline(list, h, ',');) {
        if (auto ip = IpAddress::parse(h)) hops.push_back(*ip);
      }
      std::vector<fib::Op> prebuilt;
      if (cmd == "floor") {
        programmer.update(Prefix(IpAddress::v4(0x0a7f0000u), 32), hops);
        programmer.flush();
        const auto nhid = *programmer.installed(Prefix(IpAddress::v4(0x0a7f0000u), 32));
        prebuilt.reserve(n);
        for (uint32_t i = 0; i < n; ++i)
          prebuilt.push_back({fib::Op::ReplaceRoute, nhid, {}, {}, Prefix(IpAddress::v4(0x0a800000u + i), 32)});
        // In the kernel's best order, as the programmer writes large batches.
        std::string runs_text, order = "spread";
        in >> runs_text >> order;
        std::vector<size_t> runs;
        for (std::istringstream list(runs_text); std::getline(list, runs_text, ',');)
          runs.push_back(std::stoul(runs_text));
        size_t run = prebuilt.size();
        for (size_t from = 0, k = 0; from < prebuilt.size(); from += run, ++k) {
          if (k < runs.size() && runs[k] > 0) run = runs[k];
          const auto end = prebuilt.begin() + static_cast<std::ptrdiff_t>(std::min(prebuilt.size(), from + run));
          if (order == "ascending") continue;  // as built
          std::sort(prebuilt.begin() + static_cast<std::ptrdiff_t>(from), end, [](const fib::Op& x, const fib::Op& y) {
            return fib::spread_key(x.prefix) < fib::spread_key(y.prefix);
          });
        }
      }
      const auto start = std::chrono::steady_clock::now();
      auto updated = start;
      if (cmd == "floor") {
        kernel.apply(prebuilt);
      } else if (cmd == "bulk") {
        programmer.reserve_more(n);  // as the writer does for a large batch
        for (uint32_t i = 0; i < n; ++i) programmer.update(Prefix(IpAddress::v4(0x0a800000u + i), 32), hops);
        updated = std::chrono::steady_clock::now();
        programmer.flush(nullptr);
      } else {
        // One RTM_NEWROUTE per sendmsg, waiting for its ack before the next: the usual naive loop.
        programmer.update(Prefix(IpAddress::v4(0x0a7f0000u), 32), hops);
        programmer.flush();
        const auto nhid = *programmer.installed(Prefix(IpAddress::v4(0x0a7f0000u), 32));
        for (uint32_t i = 0; i < n; ++i) {
          kernel.apply({{fib::Op::ReplaceRoute, nhid, {}, {}, Prefix(IpAddress::v4(0x0a900000u + i), 32)}});
        }
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cout << "ok seconds=" << s << " routes_per_second=" << static_cast<uint64_t>(n / s)
                << " update_seconds=" << std::chrono::duration<double>(updated - start).count() << std::endl;
    } else if (cmd == "stats") {
      auto s = programmer.stats();
      std::cout << "ok routes=" << s.routes << " groups=" << s.groups << " nexthops=" << s.nexthops << std::endl;
    } else if (!cmd.empty()) {
      std::cout << "error unknown command " << cmd << std::endl;
    }
  }
  return 0;
}
