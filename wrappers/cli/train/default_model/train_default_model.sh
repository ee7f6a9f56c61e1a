#!/usr/bin/env bash
# Reproduce the default model, wrappers/python/openmmaffinity/models/default_model.pt:
#   1. dock the ligands of make_docked_set.py with AutoDock Vina (cached under
#      ${XDG_CACHE_HOME:-~/.cache}/openmm-affinity/default-model-data/);
#   2. export a small SchNetAffinity (delta strategy, energies in kcal/mol);
#   3. train it with affinity-train on Vina's best score per ligand;
#   4. plot the run and install the model next to the models package.
# Run after .ci/setup.sh (it needs affinity-train and the Python environment):
#   bash wrappers/cli/train/default_model/train_default_model.sh [WORK_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/openmm-affinity-default-model}"
python="${AFFINITY_PYTHON:-${AFFINITY_ENV:+$AFFINITY_ENV/bin/python}}"
python="${python:-python3}"
train="${AFFINITY_TRAIN:-$(command -v affinity-train || echo "${AFFINITY_BUILD:-$root/build}/wrappers/cli/train/affinity-train")}"
export PYTHONPATH="${AFFINITY_MODELS_PYTHONPATH:-$root/wrappers/python}${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$work"

data="$("$python" "$here/make_docked_set.py" | tail -n 1)"
echo "default model: docked set in $data"

"$python" -m openmmaffinity.models.export "$work/initial.pt" --hidden-channels 32 --num-filters 32 \
    --num-interactions 3 --num-gaussians 25 --cutoff 0.6 --max-num-neighbors 24 --strategy delta \
    --energy-unit kcal/mol --seed 0

"$train" --model "$work/initial.pt" --poses "$data/poses" --receptor "$data/receptor.pdbqt" \
    --targets "$data/targets.csv" --target-kind dg --combination boltzmann --strategy two-pass \
    --pocket-cutoff 6 --epochs 30 --learning-rate 3e-3 --ligands-per-step 4 --validation-fraction 0.25 --seed 0 \
    --log "$work/train_log.csv" --predictions "$work/predictions.csv" --checkpoint "$work/train.ckpt" \
    --output "$work/default_model.pt"

"$python" "$root/wrappers/cli/train/plot_training.py" --log "$work/train_log.csv" \
    --predictions "$work/predictions.csv" --output "$here/training.png"
cp "$work/train_log.csv" "$work/predictions.csv" "$here/"
cp "$work/default_model.pt" "$root/wrappers/python/openmmaffinity/models/default_model.pt"
echo "default model: wrote wrappers/python/openmmaffinity/models/default_model.pt and $here/training.png"
