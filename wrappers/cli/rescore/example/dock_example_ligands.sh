#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Dock the example ligands into the Abl kinase receptor that Debian's autodock-vina package
# ships (/usr/share/doc/autodock-vina/test-data: protein.pdbqt.gz, the imatinib ligand.pdbqt
# and the search box in conf.txt), plus the ligands of ligands.smi (made 3D by Open Babel).
#
# The docking output is cached under ${XDG_CACHE_HOME:-~/.cache}/openmm-affinity/docking-KEY,
# KEY a hash of every input (this script, ligands.smi, the test data, the Vina and Open Babel
# versions and the settings below), so a second run only prints the folder. It holds
#   receptor.pdbqt          the receptor
#   docked/NAME.pdbqt       Vina's multi-model output, one file per ligand
#   vina.log                what Vina printed
# The folder is made under a temporary name and renamed when complete, so an interrupted run
# leaves no half-filled cache behind. The last line printed is the folder.
#
# usage: dock_example_ligands.sh [--help]
# environment: VINA_EXHAUSTIVENESS (default 4), VINA_NUM_MODES (default 9), VINA_SEED (1)
set -euo pipefail

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
test_data="${VINA_TEST_DATA:-/usr/share/doc/autodock-vina/test-data}"
exhaustiveness="${VINA_EXHAUSTIVENESS:-4}"
num_modes="${VINA_NUM_MODES:-9}"
seed="${VINA_SEED:-1}"
cpus="$(nproc)"

for tool in vina obabel; do
    command -v "$tool" >/dev/null || { echo "dock_example_ligands: '$tool' not found; install autodock-vina and openbabel" >&2; exit 1; }
done
for f in conf.txt ligand.pdbqt protein.pdbqt.gz; do
    [ -f "$test_data/$f" ] || { echo "dock_example_ligands: $test_data/$f is missing; expected Vina's test data there" >&2; exit 1; }
done

key="$( {
    cat "$0" "$here/ligands.smi" "$test_data/conf.txt" "$test_data/ligand.pdbqt" "$test_data/protein.pdbqt.gz"
    vina --version 2>&1
    obabel -V 2>&1
    echo "$exhaustiveness $num_modes $seed"
} | sha256sum | cut -c1-12)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/openmm-affinity"
out="$cache/docking-$key"
if [ -f "$out/.complete" ]; then
    echo "dock_example_ligands: using the cached docking output" >&2
    echo "$out"
    exit 0
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/.docking-$key.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ligands" "$work/docked"
gunzip -c "$test_data/protein.pdbqt.gz" >"$work/receptor.pdbqt"
cp "$test_data/ligand.pdbqt" "$work/ligands/imatinib.pdbqt"
while read -r smiles name; do
    [ -z "$smiles" ] && continue
    obabel -:"$smiles $name" --gen3d -p 7.4 -O "$work/ligands/$name.pdbqt" 2>>"$work/obabel.log" >/dev/null
done <"$here/ligands.smi"

# The search box of conf.txt; receptor and ligand are given on the command line instead.
box=()
for k in center_x center_y center_z size_x size_y size_z; do
    box+=("--$k" "$(awk -v k="$k" '$1 == k { print $3 }' "$test_data/conf.txt")")
done

for ligand in "$work"/ligands/*.pdbqt; do
    name="$(basename "$ligand" .pdbqt)"
    echo "dock_example_ligands: docking $name (exhaustiveness $exhaustiveness, $num_modes modes, $cpus CPUs)" >&2
    vina --receptor "$work/receptor.pdbqt" --ligand "$ligand" "${box[@]}" --exhaustiveness "$exhaustiveness" \
        --num_modes "$num_modes" --seed "$seed" --cpu "$cpus" --out "$work/docked/$name.pdbqt" >>"$work/vina.log" 2>&1 \
        || { cat "$work/vina.log" >&2; exit 1; }
done

touch "$work/.complete"
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
echo "$out"
