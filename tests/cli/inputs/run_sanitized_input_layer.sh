#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the docking-input layer with AddressSanitizer and UndefinedBehaviorSanitizer (the
# project in sanitized/, through ccache), then run its pocket selector test and the seeded
# input fuzzing through its reader driver: any sanitizer report fails.
# usage: run_sanitized_input_layer.sh BUILD_DIR FIXTURES_DIR PYTHON [fuzz options...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$1" fixtures="$2" python="$3"
shift 3
if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$here/sanitized" -B "$build" -G Ninja >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
fi
# One compile at a time: the sanitizers make each translation unit large, and CI machines are small.
cmake --build "$build" -j "${AFFINITY_SANITIZE_JOBS:-1}"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
"$build/TestPocketSelector"
"$python" "$here/fuzz_docking_inputs.py" --fixtures "$fixtures" --work "$build/fuzz" \
    --reader "$build/affinity-read-inputs" "$@"
