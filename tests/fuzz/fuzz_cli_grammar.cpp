// rlsh's command grammar on arbitrary input: the words of a line in every mode (completion and
// `?` help), the modes a line enters, and the diff of two texts. Never a crash; every choice
// offered is a word (no spaces, not empty).
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/grammar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ridgeline::cli;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w && words.size() < 64;) words.push_back(w);
  Names names;
  names.neighbors = {"10.0.1.11", "NODES"};
  names.route_maps = {"RM"};
  for (const char* mode : {"", "config", "config-router", "config-router-af", "config-route-map", "config-bfd",
                           "config-bfd-profile", "config-bfd-peer", "config-fib"}) {
    for (size_t n = 0; n <= words.size(); ++n) {
      const std::vector<std::string> typed(words.begin(), words.begin() + static_cast<long>(n));
      for (const auto& c : next_words(mode, typed, names)) {
        if (c.word.empty() || c.word.find(' ') != std::string::npos) std::abort();
      }
      (void)mode_entered(mode, typed);
    }
  }
  const size_t half = text.size() / 2;
  (void)diff_lines(text.substr(0, std::min<size_t>(half, 2048)), text.substr(half, 2048));
  return 0;
}
