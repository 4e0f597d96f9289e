#!/usr/bin/env python3
"""Writes ops/demo/churn.csv and ops/demo/rows.csv: a small, deterministic, synthetic binary
classification set (200 rows, 4 numeric features, label `churned`) that ./ops/up trains the demo
model on. Generated (not real customers) so it can ship in the repo with no licence question;
re-running this script reproduces the committed files byte for byte."""
import math
import os
import random

here = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20240601)
header = ["tenure_months", "monthly_spend", "support_calls", "usage_hours"]


def row():
    tenure = round(rng.uniform(1, 72), 1)
    spend = round(rng.gauss(60, 20), 2)
    calls = rng.randint(0, 9)
    usage = round(max(0.0, rng.gauss(30, 12)), 1)
    # Churn is likelier for short tenure, many support calls, high spend and low usage.
    score = -0.06 * tenure + 0.45 * calls + 0.02 * (spend - 60) - 0.05 * (usage - 30) + 0.8
    p = 1 / (1 + math.exp(-score))
    label = 1 if rng.random() < p else 0
    return [tenure, spend, calls, usage], label


with open(os.path.join(here, "churn.csv"), "w") as f:
    f.write(",".join(header + ["churned"]) + "\n")
    for _ in range(200):
        features, label = row()
        f.write(",".join(str(v) for v in features) + f",{label}\n")

with open(os.path.join(here, "rows.csv"), "w") as f:
    f.write(",".join(header) + "\n")
    for _ in range(3):
        features, _ = row()
        f.write(",".join(str(v) for v in features) + "\n")
