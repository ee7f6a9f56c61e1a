#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Roofline tables of a model's CUDA kernels (roofline.py) on a GPU machine with Nsight Compute:
# builds the plugin's operator library alone (torch.utils.cpp_extension from plugin/ops, no
# OpenMM needed), then profiles one scoring batch and one training batch per complex size.
#   bash benchmarks/poses/roofline.sh MODEL.pt POSES_DIR [OUT_DIR]
# POSES_DIR holds poses-600.bin and poses-2660.bin (affinity-pose-benchmark --dump-poses with
# --receptor-atoms 600 / 2660 --ligand-atoms 40: 640 and 2,700 atoms). AFFINITY_ROOFLINE_CASES
# lists "receptor-atoms:batch:forward|backward" items (default below); AFFINITY_OPS_SOURCE names
# another folder of the operators' sources (plugin/ops by default), to profile a variant.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
model="$(realpath "${1:?usage: roofline.sh MODEL.pt POSES_DIR [OUT_DIR]}")"
poses="$(realpath "${2:?usage: roofline.sh MODEL.pt POSES_DIR [OUT_DIR]}")"
out="$(mkdir -p "${3:-${OUT:-$root/gpu-out}}" && realpath "${3:-${OUT:-$root/gpu-out}}")"
python="${AFFINITY_PYTHON:-python3}"
"$python" - "$root" "$out/ops" "${AFFINITY_OPS_SOURCE:-$root/plugin/ops}" >"$out/roofline-build.log" 2>&1 <<'PY'
import sys
from torch.utils.cpp_extension import load
root, build, ops = sys.argv[1], sys.argv[2], sys.argv[3]
import os
os.makedirs(build, exist_ok=True)
load(name="OpenMMAffinityOps", sources=[f"{ops}/{name}" for name in (
         "FilterConvolution.cpp", "FilterConvolutionKernels.cu", "NearestNeighbors.cpp", "NearestNeighborsKernels.cu")],
     extra_include_paths=[ops, f"{root}/plugin/include"], build_directory=build,
     extra_cflags=["-O3", "-DAFFINITY_OPS_CUDA", "-DOPENMM_AFFINITY_BUILDING_SHARED_LIBRARY"],
     extra_cuda_cflags=["-O3", "-gencode=arch=compute_90,code=sm_90"], is_python_module=False, verbose=True)
PY
export AFFINITY_OPS_LIBRARY="$out/ops/OpenMMAffinityOps.so"
metrics="$(cd "$here" && "$python" roofline.py metrics)"
for case in ${AFFINITY_ROOFLINE_CASES:-600:64:forward 600:256:forward 600:64:backward 2660:64:forward}; do
    IFS=: read -r atoms batch pass <<<"$case"
    flag=()
    [ "$pass" = backward ] && flag=(--backward)
    csv="$out/kernels-$atoms-$batch-$pass.csv"
    (cd "$here" && timeout "${AFFINITY_ROOFLINE_TIMEOUT:-240}" ncu --clock-control none --profile-from-start off --csv --page raw --print-units base \
        --metrics "$metrics" "$python" roofline.py run --model "$model" --poses "$poses/poses-$atoms.bin" \
        --batch "$batch" "${flag[@]}") >"$csv" 2>>"$out/roofline-run.log" || { tail -5 "$out/roofline-run.log"; continue; }
    (cd "$here" && "$python" roofline.py report "$csv" \
        --title "$(basename "$model"), $pass, $batch poses of $((atoms + 40)) atoms") >>"$out/roofline.md"
done
cat "$out/roofline-run.log" "$out/roofline.md" 2>/dev/null || true
