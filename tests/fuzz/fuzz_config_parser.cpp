// The config parser and printer on arbitrary text: never a crash, and what parses prints to
// canonical text that parses back to the same config and prints the same again (the round trip
// every golden test checks, on inputs nobody wrote by hand).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/config/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ridgeline::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ParseResult first = parse_config(text, "fuzz.conf");
  if (!first.ok()) return 0;
  const std::string canonical = print_config(first.config);
  const ParseResult second = parse_config(canonical, "canonical.conf");
  if (!second.ok() || print_config(second.config) != canonical) std::abort();
  return 0;
}
