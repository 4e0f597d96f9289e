// fuzz_dataset_csv: parse_csv_dataset turns any input into a dataset or an error. The first
// line of the input (up to '\n') names the label column; the rest is the CSV text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ml/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view label =
      nl == std::string_view::npos ? std::string_view{} : in.substr(0, nl);
  const std::string_view csv = nl == std::string_view::npos ? in : in.substr(nl + 1);
  auto d = mf::ml::parse_csv_dataset(csv, label);
  if (d) {
    if (d->features.size() != d->rows() * d->n_features) __builtin_trap();
    if (!label.empty() && d->labels.size() != d->rows()) __builtin_trap();
  }
  return 0;
}
