#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Make the inputs of the affinity-rescore tests in OUTDIR:
#   receptor.pdbqt       Vina's test receptor (Abl kinase, from the autodock-vina package)
#   imatinib.pdbqt       Vina's multi-model output of a tiny, seeded, single-threaded docking
#                        of the package's imatinib ligand
#   caffeine.pdbqt.gz    the same for caffeine (data/caffeine.pdbqt), gzipped
#   both.sdf             the poses of both ligands as one SDF (titles separate the ligands)
#   imatinib.mol2        the imatinib poses as MOL2
#   empty.sdf            an empty file
#   malformed.sdf        a caffeine pose (titled "malformed") whose atom block is cut short
#   mismatch.sdf         two records titled "mismatch": an imatinib pose and a caffeine pose
#   reordered.sdf        two records titled "reordered": a caffeine pose, then the same pose
#                        with its atoms in canonical order (same count, other element order)
#   bromobenzene.sdf     bromobenzene in the pocket (data/; an element the test models reject)
# Docking is kept tiny (seeded, one thread, a few thousand evaluations) so this takes seconds;
# the tests compare the tool with independent references on whatever poses come out. The 3D
# structures of caffeine and bromobenzene are checked in (data/, made once with
# `obabel -:SMILES -h --gen3d`; bromobenzene then moved to the box centre), because Open Babel's
# 3D builder is randomised and its run time varies from a second to a minute.
# usage: make_rescore_fixtures.sh OUTDIR
set -euo pipefail
out="$1"
data="$(cd "$(dirname "${BASH_SOURCE[0]}")/data" && pwd)"
test_data="${VINA_TEST_DATA:-/usr/share/doc/autodock-vina/test-data}"
mkdir -p "$out"
cd "$out"

gunzip -c "$test_data/protein.pdbqt.gz" >receptor.pdbqt
box=()
for k in center_x center_y center_z size_x size_y size_z; do
    box+=("--$k" "$(awk -v k="$k" '$1 == k { print $3 }' "$test_data/conf.txt")")
done
dock() { # ligand.pdbqt output.pdbqt
    vina --receptor receptor.pdbqt --ligand "$1" "${box[@]}" --exhaustiveness 4 --max_evals 3000 --num_modes 6 \
        --energy_range 100 --seed 7 --cpu 1 --verbosity 0 --out "$2" >/dev/null
}

dock "$test_data/ligand.pdbqt" imatinib.pdbqt
dock "$data/caffeine.pdbqt" caffeine.pdbqt
gzip -c caffeine.pdbqt >caffeine.pdbqt.gz

obabel imatinib.pdbqt -O imatinib.sdf 2>/dev/null
obabel caffeine.pdbqt -O caffeine.sdf 2>/dev/null
cat imatinib.sdf caffeine.sdf >both.sdf
obabel imatinib.pdbqt -O imatinib.mol2 2>/dev/null

: >empty.sdf

# The first caffeine record, titled "malformed", cut in the middle of its atom block.
awk 'NR == 1 { print "malformed"; next } NR <= 10' caffeine.sdf >malformed.sdf

first_record() { # file.sdf title
    awk -v t="$2" 'NR == 1 { print t; next } { print } /^\$\$\$\$/ { exit }' "$1"
}
{ first_record imatinib.sdf mismatch; first_record caffeine.sdf mismatch; } >mismatch.sdf
obabel caffeine.sdf -l 1 -O canonical.sdf --canonical 2>/dev/null
{ first_record caffeine.sdf reordered; first_record canonical.sdf reordered; } >reordered.sdf

cp "$data/bromobenzene.sdf" bromobenzene.sdf
rm -f canonical.sdf
