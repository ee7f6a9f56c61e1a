#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build and run the GPU tests (and, with --benchmarks, the GPU benchmarks) on a bare GPU
# machine that has CUDA, CMake, Ninja and a Python with the CUDA torch wheel, but no network:
# the openmm and openmm-cuda wheels and Catch2's headers are carried in .device/ (made by
# `bash .ci/gpu.sh --prepare` on a machine with network). Logs go to $OUT (default ./gpu-out).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
carry="$root/.device"
if [ "${1:-}" = "--prepare" ]; then
    pyver="${2:-3.12}"
    mkdir -p "$carry/wheels" "$carry/catch2/lib/cmake/Catch2" "$carry/catch2/include"
    pip download --quiet --no-deps --python-version "$pyver" --only-binary=:all: --platform manylinux_2_34_x86_64 \
        -d "$carry/wheels" "$(grep '^openmm==' "$root/wrappers/python/requirements.txt")" \
        "$(grep '^openmm-cuda-13==' "$root/wrappers/python/requirements.txt")"
    cp -r /usr/include/catch2 "$carry/catch2/include/"
    cp -r /usr/lib/cmake/Catch2/* "$carry/catch2/lib/cmake/Catch2/"
    cp /usr/lib/libCatch2WithMain.a "$carry/catch2/lib/"
    echo "prepared $carry"
    exit 0
fi
out="${OUT:-$root/gpu-out}"
mkdir -p "$out"
python="${AFFINITY_PYTHON:-python3}"
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    "$python" -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda)'
} >"$out/machine.txt" 2>&1
"$python" -m pip install --quiet --no-deps --no-index "$carry"/wheels/*.whl >"$out/pip.log" 2>&1
build="${AFFINITY_BUILD:-$root/build-gpu}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$(command -v "$python")" \
    -DCatch2_DIR="$carry/catch2/lib/cmake/Catch2" -DTORCH_CUDA_ARCH_LIST=9.0 \
    -DAFFINITY_BUILD_CLI=OFF -DAFFINITY_BUILD_PYTHON=OFF >"$out/configure.log" 2>&1 || { tail -40 "$out/configure.log"; exit 1; }
targets="OpenMMAffinityReference OpenMMAffinityCPU OpenMMAffinityCUDA TestAffinityForce TestCudaPlatform TestGradientExport"
targets="$targets TestFilterConvolution TestFilterTables TestNearestNeighbors TestTorchForceModels"
mode="${1:-}"
[ "$mode" = "--benchmarks" ] || [ "$mode" = "--profile" ] || [ "$mode" = "--md" ] && targets="$targets affinity-pose-benchmark"
cmake --build "$build" --target $targets >"$out/build.log" 2>&1 || { tail -50 "$out/build.log"; exit 1; }
if [ "$mode" = "--benchmarks" ] || [ "$mode" = "--profile" ]; then
    # Python reference points (--benchmarks) and kernel profiles (--profile) first, with
    # OpenMM's own plugins only (before this build is installed). A model that calls the
    # plugin's operators finds them in this build's operator library.
    model="$(realpath "${2:?usage: gpu.sh --benchmarks|--profile MODEL.pt}")"
    export AFFINITY_OPS_LIBRARY="$build/libOpenMMAffinityOps.so"
    libs="$("$python" -c 'import openmm.version as v; print(v.openmm_library_path)')"
    rm -f "$libs"/libOpenMMAffinity*.so "$libs"/plugins/libOpenMMAffinity*.so
    for atoms in ${AFFINITY_PYTHON_REFERENCE_SIZES-600 2660}; do
        "$build/benchmarks/poses/affinity-pose-benchmark" --model "$model" --receptor-atoms "$atoms" --ligand-atoms 40 \
            --dump-poses "$out/poses-$atoms.bin" >/dev/null
        if [ "$mode" = "--profile" ]; then
            (cd "$root/benchmarks/poses" && for batch in ${AFFINITY_PROFILE_BATCHES:-64}; do
                "$python" profile_model.py --model "$model" --poses "$out/poses-$atoms.bin" --batch "$batch"; done) \
                >>"$out/profile.log" 2>&1 || tail -5 "$out/profile.log"
        else
            "$python" "$root/benchmarks/poses/python_reference.py" --model "$model" --poses "$out/poses-$atoms.bin" \
                --device cuda --results "$out/RESULTS-gpu.md" >>"$out/benchmark.log" 2>&1 || tail -5 "$out/benchmark.log"
        fi
        rm -f "$out/poses-$atoms.bin"
    done
fi
cmake --install "$build" >"$out/install.log" 2>&1 || true
"$python" -c "import openmm, torch; print('import openmm, torch with the plugin installed: fine')" >>"$out/benchmark.log" 2>&1 \
    || echo "import openmm, torch with the plugin installed: exit $?" >>"$out/benchmark.log"
export OPENMM_PLUGIN_DIR="$("$python" -c 'import openmm.version as v, os; print(os.path.join(v.openmm_library_path, "plugins"))')"
if [ "$mode" = "--md" ]; then
    # MD steps only, with a trace of 20 steps per variant; AFFINITY_MD_VARIANTS lists the variants,
    # separated by ';', each a list of OpenMM platform properties (NAME=VALUE, space-separated).
    model="$(realpath "${2:?usage: gpu.sh --md MODEL.pt}")"
    IFS=';' read -ra variants <<<"${AFFINITY_MD_VARIANTS:-Precision=single}"
    for i in "${!variants[@]}"; do
        properties=()
        for property in ${variants[$i]}; do properties+=(--platform-property "$property"); done
        echo "## MD variant $i: ${variants[$i]}" >>"$out/md.log"
        "$build/benchmarks/poses/affinity-pose-benchmark" --model "$model" --device cuda --receptor-atoms 600 \
            --ligand-atoms 40 --score-poses 0 --loop-poses 0 --gradient-poses "" --md-steps 300 \
            --md-trace "$out/md-trace-$i.json" "${properties[@]}" --no-record >>"$out/md.log" 2>&1 || tail -5 "$out/md.log"
        "$python" "$root/benchmarks/poses/summarize_trace.py" "$out/md-trace-$i.json" --steps 20 >>"$out/md.log" 2>&1
    done
    cat "$out/md.log"
    exit 0
fi
(cd "$build" && ctest -L "cuda|symbols" --output-on-failure -V >"$out/ctest-cuda.log" 2>&1) || true
grep "import openmm, torch" "$out/benchmark.log" | tail -1
grep -E "tests passed|Failed|Passed|Skipped" "$out/ctest-cuda.log" | tail -8
if [ "$mode" = "--benchmarks" ]; then
    # The SchNet-like benchmark model (python -m openmmaffinity.models.export, PyG's defaults).
    bench="$build/benchmarks/poses/affinity-pose-benchmark"
    for atoms in ${AFFINITY_BENCHMARK_SIZES:-600 2660}; do
        poses="1,32,256,1024"
        [ "$atoms" -gt 1000 ] && poses="1,32,256"
        "$bench" --model "$model" --device cuda --receptor-atoms "$atoms" --ligand-atoms 40 --gradient-poses "$poses" \
            --full-autograd-max 1024 --results "$out/RESULTS-gpu.md" >>"$out/benchmark.log" 2>&1 || tail -5 "$out/benchmark.log"
    done
    # The same programs' scoring and MD with a baseline model (e.g. the exact-filter SchNet), in
    # the same call, so that the two are timed on the same machine.
    if [ -n "${AFFINITY_BASELINE_MODEL:-}" ]; then
        for atoms in ${AFFINITY_BENCHMARK_SIZES:-600 2660}; do
            "$bench" --model "$(realpath "$AFFINITY_BASELINE_MODEL")" --device cuda --receptor-atoms "$atoms" \
                --ligand-atoms 40 --gradient-poses "" --results "$out/RESULTS-gpu.md" >>"$out/benchmark.log" 2>&1 \
                || tail -5 "$out/benchmark.log"
        done
    fi
    cat "$out/RESULTS-gpu.md"
fi
