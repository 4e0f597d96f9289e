// fuzz_dataset_json: parse_json_dataset turns any input into a dataset or an error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ml/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto d = mf::ml::parse_json_dataset(std::string_view(reinterpret_cast<const char*>(data), size));
  if (d && d->features.size() != d->rows() * d->n_features)
    __builtin_trap();  // invariant of a parsed dataset
  return 0;
}
