# SPDX-License-Identifier: MIT
"""The mean per-series Pearson r of affinity-train's validation ligands (its --predictions CSV),
which train_default_model.sh uses to choose the epoch of the default model. The validation
ligands are whole training proteins held out of the optimisation (--validation-by protein);
the test proteins are never looked at here.

    python validation_accuracy.py predictions.csv      # prints: series mean_r
"""
import collections
import csv
import importlib.util
import sys
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "metrics", Path(__file__).resolve().parents[4] / "wrappers" / "python" / "openmmaffinity" / "metrics.py")
metrics = importlib.util.module_from_spec(spec)
spec.loader.exec_module(metrics)


def main(path):
    rows = []
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["split"] == "validation":  # names are SERIES/LIGAND
                rows.append({"series": row["ligand"].rsplit("/", 1)[0], "target": float(row["target"]),
                             "model": float(row["predicted"])})
    result = metrics.series_metrics(rows, ["model"])
    values = result.values("model", "pearson")
    print(len(values), sum(values) / len(values) if values else float("nan"))


if __name__ == "__main__":
    main(sys.argv[1])
