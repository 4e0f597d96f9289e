// ml: the public API of the ModelFleet ML core (train, predict, artifacts, datasets).
// See each included header for its thread-safety contract.
#pragma once

#include "ml/artifact.hpp"
#include "ml/dataset.hpp"
#include "ml/model.hpp"
#include "ml/train.hpp"
