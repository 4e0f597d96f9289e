// bench_session: one complete bench run — scrape metrics, run the load, scrape again, build
// the JSON report. Blocking; call from one thread at a time.
#pragma once

#include <nlohmann/json.hpp>

#include "common/expected.hpp"
#include "nodes/bench/bench_options.hpp"

namespace mf::bench {

mf::expected<nlohmann::json> run_bench(const bench_options& options);

}  // namespace mf::bench
