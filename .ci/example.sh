#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's main job: set up what is missing and build, dock a handful of ligands into
# Vina's test receptor (AutoDock Vina from Debian; cached, so only the first run docks), then
# rescore every docked pose with affinity-rescore and its default model (the trained
# wrappers/python/openmmaffinity/models/default_model.pt; README, "The default model") and
# print the ranked ligands.
# Outputs go to $AFFINITY_EXAMPLE_OUT (default: <build>/example-output): results.csv (one row
# per pose), results.json (summary) and scored.sdf (the poses sorted per ligand, annotated).
# Extra arguments go to affinity-rescore (e.g. --combination max, --model M.pt).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

docking="$("$AFFINITY_ROOT/wrappers/cli/rescore/example/dock_example_ligands.sh" | tail -n 1)"
out="${AFFINITY_EXAMPLE_OUT:-$AFFINITY_BUILD/example-output}"
mkdir -p "$out"
"$AFFINITY_BUILD/wrappers/cli/rescore/affinity-rescore" \
    --receptor "$docking/receptor.pdbqt" --poses "$docking"/docked/*.pdbqt \
    --combination boltzmann --readout pki \
    --out "$out/results.csv" --json "$out/results.json" --out-sdf "$out/scored.sdf" "$@"
