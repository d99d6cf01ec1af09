#pragma once
// Prometheus text exposition (version 0.0.4): a builder that writes each family's HELP and TYPE
// once, escapes label values, and a fixed-bucket histogram. Pure; the HTTP side is metrics_http.h.
#include <array>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace ridgeline::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Seconds: 0.5 ms to 5 s, for kernel write batches.
struct Histogram {
  static constexpr std::array<double, 10> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1, 5};
  std::array<uint64_t, kBounds.size()> buckets{};  // cumulative counts are computed when written
  uint64_t count = 0;
  double sum = 0;
  void observe(double seconds) {
    for (size_t i = 0; i < kBounds.size(); ++i) {
      if (seconds <= kBounds[i]) {
        ++buckets[i];
        break;
      }
    }
    ++count;
    sum += seconds;
  }
};

class Text {
 public:
  void gauge(const std::string& name, const std::string& help, const Labels& labels, double value) {
    family(name, help, "gauge");
    sample(name, labels, value);
  }
  void counter(const std::string& name, const std::string& help, const Labels& labels, double value) {
    family(name, help, "counter");
    sample(name, labels, value);
  }
  void histogram(const std::string& name, const std::string& help, const Labels& labels, const Histogram& h) {
    family(name, help, "histogram");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < Histogram::kBounds.size(); ++i) {
      cumulative += h.buckets[i];
      Labels l = labels;
      l.emplace_back("le", number(Histogram::kBounds[i]));
      sample(name + "_bucket", l, static_cast<double>(cumulative));
    }
    Labels inf = labels;
    inf.emplace_back("le", "+Inf");
    sample(name + "_bucket", inf, static_cast<double>(h.count));
    sample(name + "_sum", labels, h.sum);
    sample(name + "_count", labels, static_cast<double>(h.count));
  }
  std::string str() const { return out_.str(); }

 private:
  void family(const std::string& name, const std::string& help, const char* type) {
    if (!seen_.insert(name).second) return;
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  static std::string number(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  }
  void sample(const std::string& name, const Labels& labels, double value) {
    out_ << name;
    if (!labels.empty()) {
      out_ << "{";
      for (size_t i = 0; i < labels.size(); ++i) {
        out_ << (i ? "," : "") << labels[i].first << "=\"";
        for (char c : labels[i].second) {
          if (c == '\\' || c == '"')
            out_ << '\\' << c;
          else if (c == '\n')
            out_ << "\\n";
          else
            out_ << c;
        }
        out_ << "\"";
      }
      out_ << "}";
    }
    out_ << " " << number(value) << "\n";
  }

  std::ostringstream out_;
  std::set<std::string> seen_;
};

}  // namespace ridgeline::metrics
