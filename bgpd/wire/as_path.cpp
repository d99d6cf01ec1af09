// AS_PATH helpers (RFC 4271 §9.1.2.2, RFC 5065) and 2-octet/4-octet reconciliation (RFC 6793).
#include <algorithm>

#include "bgpd/wire/messages.h"

namespace ridgeline::bgp {

size_t AsPath::path_length() const {
  size_t n = 0;
  for (const auto& s : segments) {
    if (s.type == SegmentType::Sequence) n += s.asns.size();
    if (s.type == SegmentType::Set) n += 1;
  }
  return n;
}

bool AsPath::contains(uint32_t asn) const {
  return std::any_of(segments.begin(), segments.end(), [asn](const AsPathSegment& s) {
    return std::find(s.asns.begin(), s.asns.end(), asn) != s.asns.end();
  });
}

std::optional<uint32_t> AsPath::first_as() const {
  if (segments.empty() || segments[0].type != SegmentType::Sequence || segments[0].asns.empty()) return std::nullopt;
  return segments[0].asns[0];
}

std::string AsPath::to_string() const {
  std::string out;
  for (const auto& s : segments) {
    const char* open = s.type == SegmentType::Set              ? "{"
                       : s.type == SegmentType::ConfedSequence ? "("
                       : s.type == SegmentType::ConfedSet      ? "["
                                                               : "";
    const char* close = s.type == SegmentType::Set              ? "}"
                        : s.type == SegmentType::ConfedSequence ? ")"
                        : s.type == SegmentType::ConfedSet      ? "]"
                                                                : "";
    if (!out.empty()) out += ' ';
    out += open;
    for (size_t i = 0; i < s.asns.size(); ++i) {
      if (i) out += s.type == SegmentType::Set || s.type == SegmentType::ConfedSet ? "," : " ";
      out += std::to_string(s.asns[i]);
    }
    out += close;
  }
  return out;
}

namespace {

// Keeps the first `count` path-length units of `path` (sets count one; confed segments zero).
AsPath leading(const AsPath& path, size_t count) {
  AsPath out;
  for (const auto& s : path.segments) {
    if (count == 0) {
      if (s.type == SegmentType::ConfedSequence || s.type == SegmentType::ConfedSet) continue;
      break;
    }
    if (s.type == SegmentType::Sequence) {
      const size_t take = std::min(count, s.asns.size());
      out.segments.push_back({s.type, {s.asns.begin(), s.asns.begin() + static_cast<long>(take)}});
      count -= take;
    } else {
      out.segments.push_back(s);
      if (s.type == SegmentType::Set) --count;
    }
  }
  return out;
}

}  // namespace

void reconcile_as4(PathAttributes& attrs, bool peer_four_octet_as) {
  if (peer_four_octet_as) {  // RFC 6793 §6: a NEW speaker must not send them
    attrs.as4_path.reset();
    attrs.as4_aggregator.reset();
    return;
  }
  // §4.2.3: an AGGREGATOR whose AS is not AS_TRANS means whoever aggregated was an OLD speaker,
  // so AS4_PATH and AS4_AGGREGATOR are stale and ignored.
  bool use_as4 = true;
  if (attrs.aggregator && attrs.as4_aggregator) {
    if (attrs.aggregator->asn == kAsTrans) {
      attrs.aggregator = attrs.as4_aggregator;
    } else {
      use_as4 = false;
    }
  }
  if (use_as4 && attrs.as4_path && attrs.as_path) {
    const size_t n = attrs.as_path->path_length();
    const size_t n4 = attrs.as4_path->path_length();
    if (n >= n4) {  // otherwise AS4_PATH is ignored
      AsPath merged = leading(*attrs.as_path, n - n4);
      for (const auto& s : attrs.as4_path->segments) merged.segments.push_back(s);
      // Join adjacent sequences the split may have produced.
      AsPath joined;
      for (auto& s : merged.segments) {
        if (!joined.segments.empty() && s.type == SegmentType::Sequence &&
            joined.segments.back().type == SegmentType::Sequence &&
            joined.segments.back().asns.size() + s.asns.size() <= 255) {
          auto& back = joined.segments.back().asns;
          back.insert(back.end(), s.asns.begin(), s.asns.end());
        } else {
          joined.segments.push_back(std::move(s));
        }
      }
      attrs.as_path = std::move(joined);
    }
  }
  attrs.as4_path.reset();
  attrs.as4_aggregator.reset();
}

}  // namespace ridgeline::bgp
