#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Everything a fresh Debian/Ubuntu machine needs, done only where it is missing:
#   1. Debian packages (compilers, CMake, Ninja, ccache, Catch2, Boost, nlohmann/json, SWIG, Open Babel,
#      Vina, Open MPI for the tools' multi-process runs);
#   2. a Python environment with the pinned torch and openmm wheels, kept in a per-user cache
#      keyed by the pinned versions, so a fresh clone reuses it instead of downloading again;
#   3. configure, build (through ccache) and install the plugin into that environment's
#      OpenMM, so that OpenMM finds it in its plugin folder.
# Source it, or run it; it prints the environment's location as AFFINITY_ENV.
set -euo pipefail

AFFINITY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AFFINITY_ROOT

packages="build-essential cmake ninja-build ccache catch2 libboost-dev libboost-program-options-dev nlohmann-json3-dev
          swig libopenbabel-dev openbabel autodock-vina python3-venv python3-dev clang-format
          libopenmpi-dev openmpi-bin"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing Debian packages:$missing"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $missing >/dev/null
fi

python="${AFFINITY_PYTHON:-python3}"
pyver="$("$python" -c 'import sys; print("py%d%d" % sys.version_info[:2])')"
requirements="$AFFINITY_ROOT/wrappers/python/requirements.txt"
key="$(sha256sum "$requirements" | cut -c1-12)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/openmm-affinity"
AFFINITY_ENV="${AFFINITY_ENV:-$cache/env-$pyver-$key}"
export AFFINITY_ENV
if [ ! -f "$AFFINITY_ENV/.complete" ]; then
    echo "setup: creating the Python environment $AFFINITY_ENV (torch, openmm; a few GB, once)"
    rm -rf "$AFFINITY_ENV"
    mkdir -p "$cache"
    "$python" -m venv "$AFFINITY_ENV"
    "$AFFINITY_ENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    touch "$AFFINITY_ENV/.complete"
fi

# mpi4py, for the Python module's MPI example and its test, where Open MPI is installed.
if command -v mpirun >/dev/null 2>&1 && ! "$AFFINITY_ENV/bin/python" -c "import mpi4py" >/dev/null 2>&1; then
    echo "setup: installing mpi4py into $AFFINITY_ENV"
    "$AFFINITY_ENV/bin/pip" install --quiet --disable-pip-version-check -r "$AFFINITY_ROOT/wrappers/python/requirements-mpi.txt"
fi

# ccache: paths under the checkout are hashed relative to it, so a fresh clone elsewhere
# hits the cache that an earlier clone filled.
export CCACHE_BASEDIR="$AFFINITY_ROOT"
export CCACHE_NOHASHDIR=1
export CCACHE_DIR="${CCACHE_DIR:-$cache/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

AFFINITY_BUILD="${AFFINITY_BUILD:-$AFFINITY_ROOT/build}"
export AFFINITY_BUILD
mkdir -p "$AFFINITY_BUILD"
if [ ! -f "$AFFINITY_BUILD/build.ninja" ]; then
    cmake -S "$AFFINITY_ROOT" -B "$AFFINITY_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DPython3_EXECUTABLE="$AFFINITY_ENV/bin/python" ${AFFINITY_CMAKE_ARGS:-} >"$AFFINITY_BUILD/configure.log" 2>&1 \
        || { cat "$AFFINITY_BUILD/configure.log"; exit 1; }
fi
cmake --build "$AFFINITY_BUILD"
cmake --install "$AFFINITY_BUILD" >/dev/null

# C++ programs find the plugins through OpenMM's default plugin folder, as OpenMM users expect.
# Importing openmm loads the installed plugins: a sanitized build's need what its CMake cache
# names as the sanitizer preload (empty in other builds).
preload="$(sed -n 's/^AFFINITY_SANITIZER_PRELOAD:INTERNAL=//p' "$AFFINITY_BUILD/CMakeCache.txt")"
OPENMM_PLUGIN_DIR="$(LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 "$AFFINITY_ENV/bin/python" -c 'import openmm.version as v, os; print(os.path.join(v.openmm_library_path, "plugins"))')"
export OPENMM_PLUGIN_DIR
if ! grep -q OPENMM_PLUGIN_DIR "$AFFINITY_ENV/bin/activate"; then
    echo "export OPENMM_PLUGIN_DIR=\"$OPENMM_PLUGIN_DIR\"" >>"$AFFINITY_ENV/bin/activate"
fi
export PATH="$AFFINITY_ENV/bin:$PATH"
echo "setup: ready (AFFINITY_ENV=$AFFINITY_ENV, build in $AFFINITY_BUILD)"
