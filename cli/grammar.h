#pragma once
// What rlsh accepts, as data: the command templates of each mode, for `?` help and tab
// completion. A template is words: literals, and placeholders in angle brackets (<neighbor>,
// <route-map>, ...) that match any word and complete from the names the daemons know.
#include <optional>
#include <string>
#include <vector>

namespace ridgeline::cli {

// The names placeholders complete from.
struct Names {
  std::vector<std::string> neighbors, peer_groups, route_maps, prefix_lists, profiles;
};

struct Choice {
  std::string word;  // what Tab inserts; a placeholder ("<prefix>") when there is nothing to insert
  std::string help;
};

// The words that may come next after `typed` (complete words) in `mode` ("" is exec mode,
// "config", "config-router", ...), each once, in template order.
std::vector<Choice> next_words(const std::string& mode, const std::vector<std::string>& typed, const Names& names);

// Which mode a line enters, given the mode it is typed in: FRR's names ("config-router", ...).
// Empty if the line enters none.
std::optional<std::string> mode_entered(const std::string& mode, const std::vector<std::string>& words);

// A line-by-line diff of two texts: "-" for lines only in `before`, "+" for lines only in `after`.
std::string diff_lines(const std::string& before, const std::string& after);

}  // namespace ridgeline::cli
