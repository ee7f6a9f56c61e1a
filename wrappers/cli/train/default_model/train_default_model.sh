#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reproduce the default model, wrappers/python/openmmaffinity/models/default_model.pt, and its
# held-out figures, from a clone (after .ci/setup.sh):
#   1. export untrained ContactAffinity models (python -m openmmaffinity.models.export --architecture
#      contact, its constant term at the mean training ΔG, one embedding seed per ensemble member)
#      from the source tree;
#   2. train each with affinity-train on the training proteins of the shipped measured-affinity
#      set (wrappers/cli/train/measured_affinities, manifest.csv, split = train): each step is
#      8 ligands of one congeneric series, the loss is the squared error after removing the
#      step's mean (relative affinities within a series) plus 0.1 times the plain squared error
#      (keeps the absolute scale), Boltzmann combination of each ligand's poses, Adam;
#      10% of the training proteins (whole proteins) are held out to watch the run;
#   3. average the members, each after its last epoch, into one model (exactly their mean ΔG) and
#      copy it into place with its log and predictions. Cross-validation over folds of the
#      training proteins (architecture_sweep.py --folds 5, benchmarks/RESULTS.md) found the mean
#      of three seeds better than a single one in every setting tried, and 2 epochs at lr 0.003
#      best; the 30 series of the validation proteins are too few to choose between members, so
#      their r is logged, not used. AFFINITY_DEFAULT_MODEL_CHOICE=validation restores the earlier
#      rule (each member's best epoch there, and one member alone if it beats the average there);
#   4. run the held-out benchmark (benchmarks/affinity/evaluate_heldout.py) on the test proteins,
#      which training never sees, beside AutoDock Vina and the heavy-atom count, and append the
#      figures to benchmarks/RESULTS.md.
#   bash wrappers/cli/train/default_model/train_default_model.sh [WORK_DIR]
# Training runs on one CPU thread (OMP_NUM_THREADS, default 1), which also keeps its sums in one
# order: the same inputs give the same model. AFFINITY_DEFAULT_MODEL_MEMBERS (3), _EPOCHS (2 per
# member), _LR (0.003), _JOBS (members trained at once, 1) and _CHOICE (average) set the run; the
# rest is below.
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
epochs="${AFFINITY_DEFAULT_MODEL_EPOCHS:-2}"
members="${AFFINITY_DEFAULT_MODEL_MEMBERS:-3}"
choice="${AFFINITY_DEFAULT_MODEL_CHOICE:-average}"
case "$choice" in average|validation) ;; *) echo "default model: AFFINITY_DEFAULT_MODEL_CHOICE must be average or validation" >&2; exit 2;; esac
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

# Each member of the ensemble starts from the prior with its own random type embeddings (export
# --seed m; the split and the step order stay those of --seed 0) and is trained one epoch per call
# (resuming from its checkpoint), so that every epoch's model is scored on the validation
# proteins (logged in selection.txt). Each member keeps its last epoch (with _CHOICE=validation:
# its epoch with the best mean per-series Pearson r there; epoch 0 is the prior itself, the same
# for every member since its pair terms start at zero). The members are then averaged into one
# ContactAffinity (export --average: exactly the mean ΔG, at one model's cost), the default model
# (with _CHOICE=validation: unless a single member scores better on the validation proteins).
# Members train in parallel when AFFINITY_DEFAULT_MODEL_JOBS > 1.
settings=(--manifest "$data/manifest.csv" --subset train --cache "$work/complexes"
    --validation-by protein --validation-fraction 0.1 --group-by series --ligands-per-step 8
    --loss centred-mse --mse-weight 0.1 --combination boltzmann --strategy two-pass --pocket-cutoff 1.0
    --seed 0)
validation_r() { "$python" "$here/validation_accuracy.py" "$1" | cut -d' ' -f2; }
better() { "$python" -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$1" "$2"; }
start=$(date +%s)
# --epochs 0 evaluates a model without training it; this first call also builds every complex
# into the cache that the members then share.
"$train" --model "$work/initial.pt" "${settings[@]}" --epochs 0 --output "$work/prior.pt" \
    --predictions "$work/prior_predictions.csv" --quiet
prior_r="$(validation_r "$work/prior_predictions.csv")"
echo "default model: the prior (epoch 0): validation mean per-series r $prior_r" | tee "$work/selection.txt"

train_member() {
    local m=$1 dir="$work/member$m" best=0 best_r=$prior_r r epoch resume
    rm -rf "$dir" && mkdir -p "$dir"
    PYTHONPATH="$work/python${PYTHONPATH:+:$PYTHONPATH}" "$python" -m openmmaffinity.models.export "$dir/initial.pt" \
        --architecture contact --seed "$m" --initial-offset "$offset" --initial-size-term -0.25 >/dev/null
    cp "$work/prior.pt" "$dir/epoch0.pt"
    : >"$dir/selection.txt"
    for epoch in $(seq 1 "$epochs"); do
        resume=()
        [ "$epoch" -gt 1 ] && resume=(--resume "$dir/train.ckpt")
        "$train" --model "$dir/initial.pt" "${settings[@]}" "${resume[@]}" --epochs "$epoch" \
            --learning-rate "${AFFINITY_DEFAULT_MODEL_LR:-0.003}" --log "$dir/train_log.csv" \
            --checkpoint "$dir/train.ckpt" --output "$dir/epoch$epoch.pt" --predictions "$dir/predictions$epoch.csv" \
            >"$dir/train_output.txt"
        r="$(validation_r "$dir/predictions$epoch.csv")"
        echo "default model: member $m (embedding seed $m), epoch $epoch: validation mean per-series r $r" \
            >>"$dir/selection.txt"
        if better "$r" "$best_r"; then best=$epoch best_r=$r; fi
    done
    if [ "$choice" = average ]; then best=$epochs best_r=$r; fi
    echo "default model: member $m keeps epoch $best (validation r $best_r)" >>"$dir/selection.txt"
    cp "$dir/epoch$best.pt" "$dir/chosen.pt"
    if [ "$best" -eq 0 ]; then cp "$work/prior_predictions.csv" "$dir/chosen_predictions.csv"
    else cp "$dir/predictions$best.csv" "$dir/chosen_predictions.csv"; fi
    echo "$best_r" >"$dir/chosen_r"
}

jobs="${AFFINITY_DEFAULT_MODEL_JOBS:-1}"
for m in $(seq 0 $((members - 1))); do
    train_member "$m" &
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait
chosen=() best_member=0 best_member_r=""
for m in $(seq 0 $((members - 1))); do
    [ -s "$work/member$m/chosen_r" ] || { echo "default model: member $m did not finish" >&2; exit 1; }
    cat "$work/member$m/selection.txt" | tee -a "$work/selection.txt"
    chosen+=("$work/member$m/chosen.pt")
    r="$(cat "$work/member$m/chosen_r")"
    if [ -z "$best_member_r" ] || better "$r" "$best_member_r"; then best_member=$m best_member_r=$r; fi
done
PYTHONPATH="$work/python${PYTHONPATH:+:$PYTHONPATH}" "$python" -m openmmaffinity.models.export "$work/average.pt" \
    --average "${chosen[@]}"
"$train" --model "$work/average.pt" "${settings[@]}" --epochs 0 --output "$work/ensemble.pt" \
    --predictions "$work/ensemble_predictions.csv" --quiet
ensemble_r="$(validation_r "$work/ensemble_predictions.csv")"
echo "default model: the mean of the $members members: validation mean per-series r $ensemble_r" | tee -a "$work/selection.txt"
# Every member's log in one file, with a member column first.
for m in $(seq 0 $((members - 1))); do
    awk -v m="$m" -v first="$m" 'NR == 1 { if (first == 0) print "member," $0; next } { print m "," $0 }' \
        "$work/member$m/train_log.csv"
done >"$work/train_log.csv"
if [ "$choice" = validation ] && better "$best_member_r" "$ensemble_r"; then
    cp "$work/member$best_member/chosen.pt" "$work/default.pt"
    cp "$work/member$best_member/chosen_predictions.csv" "$work/default_predictions.csv"
    echo "default model: chose member $best_member alone" | tee -a "$work/selection.txt"
else
    cp "$work/ensemble.pt" "$work/default.pt"
    cp "$work/ensemble_predictions.csv" "$work/default_predictions.csv"
    echo "default model: chose the mean of the $members members" | tee -a "$work/selection.txt"
fi
echo "default model: trained in $(($(date +%s) - start)) s on $(getconf _NPROCESSORS_ONLN) cores ($OMP_NUM_THREADS thread per member, $jobs at a time)" \
    | tee -a "$work/selection.txt"

cp "$work/train_log.csv" "$work/selection.txt" "$here/"
cp "$work/default_predictions.csv" "$here/predictions.csv"
cp "$work/default.pt" "$root/wrappers/python/openmmaffinity/models/default_model.pt"
echo "default model: wrote wrappers/python/openmmaffinity/models/default_model.pt"

"$python" "$root/benchmarks/affinity/evaluate_heldout.py" --manifest "$data/manifest.csv" --split test \
    --model "$root/wrappers/python/openmmaffinity/models/default_model.pt" --combination boltzmann \
    --rescore "$build/wrappers/cli/rescore/affinity-rescore" --out-dir "$work/heldout" \
    --label "default model (ContactAffinity), held-out proteins" ${AFFINITY_HELDOUT_RESULTS:+--results "$AFFINITY_HELDOUT_RESULTS"}
cp "$work/heldout/per_series.csv" "$here/heldout_per_series.csv"
cp "$work/heldout/summary.json" "$here/heldout_summary.json"
