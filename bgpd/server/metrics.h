#pragma once
// bgpd's Prometheus page (`--metrics-listen`): neighbors, prefixes, the FIB, config reloads.
// Built on the speaker's thread.
#include <string>

#include "bgpd/server/speaker.h"
#include "common/config/manager.h"
#include "fib/writer.h"

namespace ridgeline::bgp {

std::string metrics_page(const Speaker& speaker, const fib::FibWriter* writer, const config::ConfigManager& config);

}  // namespace ridgeline::bgp
