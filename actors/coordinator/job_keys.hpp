// job_keys: where a job's artifact and training request live in the blob store / registry.
// Pure functions (load_train_payload does I/O through the given store); thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "cluster/blob_store.hpp"
#include "common/expected.hpp"

namespace mf::coordinator {

// A job reserves its version id at its first assignment (kept in job_record::version) and
// every attempt writes the artifact at that version's key; the metadata is published only on
// success. Retried or resumed attempts reuse the id, so versions of succeeded jobs have no
// gaps and no duplicates.
inline cluster::artifact_key job_artifact(const std::string& tenant, const std::string& model,
                                          std::int64_t version) {
  return cluster::artifact_key{tenant, model, version};
}

// The training request of a job: job_record::request_ref either holds the request JSON inline
// (it starts with '{') or names a blob "<tenant>/_datasets/<id>" under an fs store's root.
mf::expected<std::string> load_train_payload(const std::string& request_ref,
                                             const std::string& store_spec);

}  // namespace mf::coordinator
