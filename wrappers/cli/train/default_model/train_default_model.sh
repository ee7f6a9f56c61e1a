#!/usr/bin/env bash
# Reproduce the default model, wrappers/python/openmmaffinity/models/default_model.pt:
#   1. dock the ligands of make_docked_set.py with AutoDock Vina (cached under
#      ${XDG_CACHE_HOME:-~/.cache}/openmm-affinity/default-model-data/);
#   2. export a small SchNetAffinity (delta strategy, energies in kcal/mol) from the source
#      tree's openmmaffinity.models;
#   3. train it with affinity-train on Vina's best score per ligand, with the pocket that
#      affinity-rescore uses by default (1.0 nm = 10 Å), so the tool's defaults fit the model;
#   4. plot the run, print the validation figures beside the mean-target baseline, and copy
#      the model, training.png, train_log.csv, predictions.csv and metrics.json into place.
# Run after .ci/setup.sh (it needs affinity-train and the Python environment):
#   bash wrappers/cli/train/default_model/train_default_model.sh [WORK_DIR]
# Training runs on one CPU thread (OMP_NUM_THREADS, default 1), which also keeps its floating-point
# sums in one order: the same inputs give the same model. About 10 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/openmm-affinity-default-model}"
python="${AFFINITY_PYTHON:-${AFFINITY_ENV:+$AFFINITY_ENV/bin/python}}"
python="${python:-python3}"
train="${AFFINITY_TRAIN:-${AFFINITY_BUILD:-$root/build}/wrappers/cli/train/affinity-train}"
[ -x "$train" ] || train="$(command -v affinity-train || true)"
[ -n "$train" ] || { echo "default model: affinity-train not found; run .ci/setup.sh or set AFFINITY_TRAIN" >&2; exit 1; }
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
mkdir -p "$work"

# openmmaffinity.models from this source tree, without the compiled openmmaffinity module (the
# package's __init__ imports it): a stand-in package folder that holds only the models.
if [ -n "${AFFINITY_MODELS_PYTHONPATH:-}" ]; then
    export PYTHONPATH="$AFFINITY_MODELS_PYTHONPATH${PYTHONPATH:+:$PYTHONPATH}"
else
    rm -rf "$work/python" && mkdir -p "$work/python/openmmaffinity"
    : >"$work/python/openmmaffinity/__init__.py"
    ln -s "$root/wrappers/python/openmmaffinity/models" "$work/python/openmmaffinity/models"
    export PYTHONPATH="$work/python${PYTHONPATH:+:$PYTHONPATH}"
fi

data="$("$python" "$here/make_docked_set.py" | tail -n 1)"
echo "default model: docked set in $data"

"$python" -m openmmaffinity.models.export "$work/initial.pt" --hidden-channels 32 --num-filters 32 \
    --num-interactions 3 --num-gaussians 25 --cutoff 0.6 --max-num-neighbors 24 --strategy delta \
    --energy-unit kcal/mol --seed 0

rm -f "$work/train.ckpt"
"$train" --model "$work/initial.pt" --poses "$data/poses" --receptor "$data/receptor.pdbqt" \
    --targets "$data/targets.csv" --target-kind dg --combination boltzmann --strategy two-pass \
    --pocket-cutoff 10 --epochs 30 --learning-rate 3e-3 --ligands-per-step 4 --validation-fraction 0.25 --seed 0 \
    --log "$work/train_log.csv" --predictions "$work/predictions.csv" --checkpoint "$work/train.ckpt" \
    --output "$work/default_model.pt"

"$python" "$root/wrappers/cli/train/plot_training.py" --log "$work/train_log.csv" \
    --predictions "$work/predictions.csv" --output "$here/training.png" --summary "$work/metrics.json"
cp "$work/train_log.csv" "$work/predictions.csv" "$work/metrics.json" "$here/"
cp "$work/default_model.pt" "$root/wrappers/python/openmmaffinity/models/default_model.pt"
echo "default model: wrote wrappers/python/openmmaffinity/models/default_model.pt and $here/training.png"
