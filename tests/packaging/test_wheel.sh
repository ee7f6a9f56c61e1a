#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The wheel, as a user gets it: `pip wheel .` (scikit-build-core, through ccache), installed
# into a fresh virtual environment made with --system-site-packages from the environment's
# Python (so torch and openmm are not downloaded again; openmmaffinity must come from the
# wheel, which the test checks), then
#   - the package's self-test, python -m openmmaffinity.testInstallation;
#   - the console script affinity-rescore on the bundled example's receptor and imatinib pose
#     (Vina's test data, wrappers/cli/rescore/example), compared with the build's own tool;
#   - the wheel's metadata version against project(VERSION);
#   - the Python tests of copies, units, argument checks, the README example and the docking
#     readers, run against the installed wheel.
# OpenMM's plugin folder of the environment holds this build's plugins too (cmake --install);
# OpenMM is pointed at a copy of that folder without them, so that only the wheel's are loaded.
#
# usage: test_wheel.sh SOURCE_DIR WORK_DIR PYTHON BUILD_TREE_RESCORE CXX_COMPILER
set -euo pipefail
source_dir="$1" work="$2" python="$3" build_rescore="$4" cxx="$5"

rm -rf "$work/venv-build" "$work/venv" "$work/dist" "$work/plugins" "$work/out"
mkdir -p "$work/dist" "$work/out"
# The environment is itself a virtual environment, whose packages --system-site-packages does not
# reach (that names the base interpreter's); a .pth file adds them, after the venv's own.
env_site="$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
make_venv() {
    "$python" -m venv --system-site-packages "$1"
    echo "$env_site" >"$("$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/affinity_environment.pth"
}
# The build front end: scikit-build-core in a venv that sees the environment's torch and openmm.
make_venv "$work/venv-build"
"$work/venv-build/bin/pip" install --quiet --disable-pip-version-check "scikit-build-core>=0.10"
# The build folder is a sibling of the development build, at the same depth below the source, and
# the compiler is the development build's (ccache hashes its name), so that ccache
# (CCACHE_BASEDIR = the source) sees the same commands and reuses the development build's objects.
start=$(date +%s)
"$work/venv-build/bin/pip" wheel --quiet --disable-pip-version-check --no-build-isolation --no-deps \
    --config-settings=build-dir="$source_dir/build-wheel" --config-settings=cmake.define.CMAKE_CXX_COMPILER="$cxx" \
    -w "$work/dist" "$source_dir"
echo "test_wheel: built $(ls "$work/dist") in $(( $(date +%s) - start )) s"

make_venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "$work/dist"/openmm_affinity-*.whl
vpython="$work/venv/bin/python"

# OpenMM's own plugins, without this build's (see above).
openmm_plugins="$("$vpython" -c 'import openmm.version as v, os; print(os.path.join(v.openmm_library_path, "plugins"))')"
mkdir -p "$work/plugins"
for plugin in "$openmm_plugins"/*.so; do
    case "$(basename "$plugin")" in libOpenMMAffinity*) ;; *) cp "$plugin" "$work/plugins/" ;; esac
done
export OPENMM_PLUGIN_DIR="$work/plugins" PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1

cd "$work"
"$vpython" - "$work/venv" "$source_dir" <<'PY'
import importlib.metadata, os, re, sys
import openmmaffinity
venv, source = sys.argv[1:]
where = os.path.realpath(openmmaffinity.__file__)
assert where.startswith(os.path.realpath(venv) + os.sep), "openmmaffinity imported from %s, not the wheel" % where
assert os.path.realpath(openmmaffinity.plugin_directory()).startswith(os.path.realpath(venv)), \
    "plugins from %s" % openmmaffinity.plugin_directory()
version = re.search(r"project\(OpenMMAffinity VERSION ([0-9.]+)", open(os.path.join(source, "CMakeLists.txt")).read())
assert importlib.metadata.version("openmm-affinity") == version.group(1) == openmmaffinity.__version__
print("test_wheel: openmmaffinity %s from %s" % (openmmaffinity.__version__, where))
PY
"$vpython" -m openmmaffinity.testInstallation

# The console script, against the build tree's tool on the same input.
test_data=/usr/share/doc/autodock-vina/test-data
gunzip -c "$test_data/protein.pdbqt.gz" >"$work/out/receptor.pdbqt"
"$work/venv/bin/affinity-rescore" --receptor "$work/out/receptor.pdbqt" --poses "$test_data/ligand.pdbqt" \
    --out "$work/out/wheel.csv" --quiet
"$build_rescore" --receptor "$work/out/receptor.pdbqt" --poses "$test_data/ligand.pdbqt" --out "$work/out/build.csv" \
    --quiet
cmp "$work/out/wheel.csv" "$work/out/build.csv"
echo "test_wheel: affinity-rescore (console script) gives the build tree's scores: $(sed -n 2p "$work/out/wheel.csv")"
"$work/venv/bin/affinity-train" --help >/dev/null

cd "$source_dir/tests/python"
"$vpython" -m pytest -p no:cacheprovider -q test_force_copies.py test_energy_units.py test_scorer_arguments.py \
    test_readme_example.py test_docking_readers.py test_version.py
