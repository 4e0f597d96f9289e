// predict_reply_json: the body of a successful predict answer, written straight into one string
// (why: building it as an nlohmann::json tree cost an allocation per number — 65+ per
// 64-row reply — on the router's HTTP thread). The output is the JSON nlohmann dumped for the
// same reply (key order, notation, ".0" on integral doubles, null for non-finite numbers); only
// a last digit may differ where nlohmann's Grisu2 is not the shortest, never the value.
#pragma once

#include <string>
#include <string_view>

#include "protocol/messages.hpp"

namespace mf::router {

// {"model":...,"version":...,"predictions":[...]} plus "probabilities" when the reply has
// them (a flat list for one column, a list of rows otherwise). `fallback_model` names the
// model when the reply does not.
std::string predict_reply_json(std::string_view fallback_model,
                               const mf::protocol::predict_reply& reply);

}  // namespace mf::router
