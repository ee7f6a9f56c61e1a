#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reproduce the default model, wrappers/python/openmmaffinity/models/default_model.pt, and its
# held-out figures, from a clone (after .ci/setup.sh):
#   1. export an untrained ContactAffinity (python -m openmmaffinity.models.export --architecture
#      contact, seed 0, its constant term at the mean training ΔG) from the source tree;
#   2. train it with affinity-train on the training proteins of the shipped measured-affinity
#      set (wrappers/cli/train/measured_affinities, manifest.csv, split = train): each step is
#      8 ligands of one congeneric series, the loss is the squared error after removing the
#      step's mean (relative affinities within a series) plus 0.1 times the plain squared error
#      (keeps the absolute scale), Boltzmann combination of each ligand's poses, Adam;
#      10% of the training proteins (whole proteins) are held out to watch the run;
#   3. choose the epoch by the mean per-series Pearson r on the validation proteins (never the
#      test proteins) and copy that model into place with its log and predictions;
#   4. run the held-out benchmark (benchmarks/affinity/evaluate_heldout.py) on the test proteins,
#      which training never sees, beside AutoDock Vina and the heavy-atom count, and append the
#      figures to benchmarks/RESULTS.md.
#   bash wrappers/cli/train/default_model/train_default_model.sh [WORK_DIR]
# Training runs on one CPU thread (OMP_NUM_THREADS, default 1), which also keeps its sums in one
# order: the same inputs give the same model. --epochs and the other settings are below.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/openmm-affinity-default-model}"
python="${AFFINITY_PYTHON:-${AFFINITY_ENV:+$AFFINITY_ENV/bin/python}}"
python="${python:-python3}"
build="${AFFINITY_BUILD:-$root/build}"
train="${AFFINITY_TRAIN:-$build/wrappers/cli/train/affinity-train}"
[ -x "$train" ] || { echo "default model: $train not found; run .ci/setup.sh or set AFFINITY_TRAIN" >&2; exit 1; }
data="$root/wrappers/cli/train/measured_affinities"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
epochs="${AFFINITY_DEFAULT_MODEL_EPOCHS:-5}"
mkdir -p "$work"

# openmmaffinity.models from this source tree, without the compiled openmmaffinity module (the
# package's __init__ imports it): a stand-in package folder that holds only the models.
rm -rf "$work/python" && mkdir -p "$work/python/openmmaffinity"
: >"$work/python/openmmaffinity/__init__.py"
ln -s "$root/wrappers/python/openmmaffinity/models" "$work/python/openmmaffinity/models"
# The prior: ΔG = b0 + s × heavy atoms, with s = -0.25 kcal/mol per atom and b0 such that the
# mean training ligand gets the mean training ΔG; the pair terms start near zero.
offset="$("$python" -c 'import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["split"] == "train"]
print("%.4f" % (sum(float(r["target"]) + 0.25 * float(r["heavy_atoms"]) for r in rows) / len(rows)))' "$data/manifest.csv")"
PYTHONPATH="$work/python${PYTHONPATH:+:$PYTHONPATH}" "$python" -m openmmaffinity.models.export "$work/initial.pt" \
    --architecture contact --seed 0 --initial-offset "$offset" --initial-size-term -0.25

# One epoch per call (resuming from the checkpoint), so that every epoch's model can be scored
# on the validation proteins; the epoch with the best mean per-series Pearson r there (epoch 0:
# the prior itself) becomes the default model.
rm -f "$work/train.ckpt" "$work/train_log.csv"
start=$(date +%s)
settings=(--model "$work/initial.pt" --manifest "$data/manifest.csv" --subset train --cache "$work/complexes"
    --validation-by protein --validation-fraction 0.1 --group-by series --ligands-per-step 8
    --loss centred-mse --mse-weight 0.1 --combination boltzmann --strategy two-pass --pocket-cutoff 1.0
    --seed 0)
learning=(--learning-rate "${AFFINITY_DEFAULT_MODEL_LR:-0.003}" --log "$work/train_log.csv" --checkpoint "$work/train.ckpt")
best=0
"$train" "${settings[@]}" --epochs 1 --learning-rate 1e-12 --output "$work/epoch0.pt" --predictions "$work/predictions0.csv" \
    --log "$work/prior_log.csv" --checkpoint "$work/prior.ckpt" --quiet
best_r="$("$python" "$here/validation_accuracy.py" "$work/predictions0.csv" | cut -d' ' -f2)"
echo "default model: epoch 0 (the prior): validation mean per-series r $best_r" | tee "$work/selection.txt"
for epoch in $(seq 1 "$epochs"); do
    resume=()
    [ "$epoch" -gt 1 ] && resume=(--resume "$work/train.ckpt")
    "$train" "${settings[@]}" "${learning[@]}" "${resume[@]}" --epochs "$epoch" --output "$work/epoch$epoch.pt" \
        --predictions "$work/predictions$epoch.csv"
    r="$("$python" "$here/validation_accuracy.py" "$work/predictions$epoch.csv" | cut -d' ' -f2)"
    echo "default model: epoch $epoch: validation mean per-series r $r" | tee -a "$work/selection.txt"
    if "$python" -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$r" "$best_r"; then
        best=$epoch best_r=$r
    fi
done
echo "default model: trained in $(($(date +%s) - start)) s on $(nproc) cores ($OMP_NUM_THREADS thread); chose epoch $best" \
    | tee -a "$work/selection.txt"

cp "$work/train_log.csv" "$work/selection.txt" "$here/"
cp "$work/predictions$best.csv" "$here/predictions.csv"
cp "$work/epoch$best.pt" "$root/wrappers/python/openmmaffinity/models/default_model.pt"
echo "default model: wrote wrappers/python/openmmaffinity/models/default_model.pt"

"$python" "$root/benchmarks/affinity/evaluate_heldout.py" --manifest "$data/manifest.csv" --split test \
    --model "$root/wrappers/python/openmmaffinity/models/default_model.pt" --combination boltzmann \
    --rescore "$build/wrappers/cli/rescore/affinity-rescore" --out-dir "$work/heldout" \
    --label "default model (ContactAffinity), held-out proteins" ${AFFINITY_HELDOUT_RESULTS:+--results "$AFFINITY_HELDOUT_RESULTS"}
cp "$work/heldout/per_series.csv" "$here/heldout_per_series.csv"
cp "$work/heldout/summary.json" "$here/heldout_summary.json"
