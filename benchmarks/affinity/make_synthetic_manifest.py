#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a tiny synthetic manifest in the layout evaluate_heldout.py reads, to check the
benchmark's plumbing end to end without the real data set.

The figures it gives are meaningless: every ligand is caffeine (tests/cli/rescore/data),
some with methyl carbons removed so the heavy-atom count varies, rotated at random and put at
the centre of the pocket of AutoDock Vina's test receptor (Abl kinase, the autodock-vina
package's test data); each ligand has 2-3 poses (seeded jitter of one placement); the
targets and Vina scores are random numbers. The set exercises the benchmark's edge cases:

  S1, S2   test series of 6 and 5 ligands (one S2 ligand has no vina_score)
  S3       a test series of 2 ligands: too small, reported as excluded
  S4       a train series, left out with --split test
  S1_absent  in the manifest but not in S1's pose file: reported as missing
  S2_bromo   bromobenzene (tests/cli/rescore/data): a Br atom, which a model without Br
             in its elements skips (reported with the tool's reason) or scores

usage: make_synthetic_manifest.py OUTDIR [--receptor protein.pdbqt.gz] [--seed 1]
"""
import argparse
import gzip
import math
import os
import random
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "cli", "rescore", "data")
CENTRE = (11.0, 90.5, 57.5)  # Vina's test-data conf.txt box centre
HEADER = "ligand,series,protein,receptor,poses,target,split,source,heavy_atoms,num_poses,vina_score"


def caffeine_atoms():
    """[(element, x, y, z)] of caffeine's heavy atoms, from the checked-in PDBQT."""
    atoms = []
    with open(os.path.join(DATA, "caffeine.pdbqt")) as f:
        for line in f:
            if line.startswith(("ATOM", "HETATM")):
                element = line[77:79].strip()[0]  # AutoDock types C, A, N, NA, OA → C, C, N, N, O
                element = {"A": "C"}.get(element, element)
                atoms.append((element, float(line[30:38]), float(line[38:46]), float(line[46:54])))
    return atoms


def sdf_atoms(path):
    """[(element, x, y, z)] of the first record of an SDF."""
    with open(path) as f:
        lines = f.read().splitlines()
    count = int(lines[3][:3])
    return [(l[31:34].strip(), float(l[0:10]), float(l[10:20]), float(l[20:30])) for l in lines[4:4 + count]]


def rotation(rng):
    """A random rotation matrix (from a random unit quaternion)."""
    q = [rng.gauss(0.0, 1.0) for _ in range(4)]
    n = math.sqrt(sum(v * v for v in q))
    a, b, c, d = (v / n for v in q)
    return [[a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
            [2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)],
            [2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d]]


def placed(atoms, rng, centre=CENTRE):
    """The atoms rotated at random about their centroid and moved to centre (+ up to 1 A)."""
    m = rotation(rng)
    cx, cy, cz = (sum(a[k] for a in atoms) / len(atoms) for k in (1, 2, 3))
    shift = [centre[k] + rng.uniform(-1.0, 1.0) for k in range(3)]
    out = []
    for e, x, y, z in atoms:
        v = (x - cx, y - cy, z - cz)
        out.append((e, *(sum(m[i][j] * v[j] for j in range(3)) + shift[i] for i in range(3))))
    return out


def jittered(atoms, rng, sigma=0.15):
    return [(e, x + rng.gauss(0, sigma), y + rng.gauss(0, sigma), z + rng.gauss(0, sigma)) for e, x, y, z in atoms]


def bond_length(a, b):
    """Longest distance taken as a bond between elements a and b, in A."""
    return 1.45 if "H" in (a, b) else 2.0 if "Br" in (a, b) else 1.75


def sdf_record(title, atoms, vina):
    """One V2000 record; bonds by distance (order 1: enough for a reader)."""
    bonds = [(i + 1, j + 1) for i in range(len(atoms)) for j in range(i + 1, len(atoms))
             if math.dist(atoms[i][1:], atoms[j][1:]) < bond_length(atoms[i][0], atoms[j][0])]
    lines = [title, "  synthetic", "", "%3d%3d  0  0  0  0  0  0  0  0999 V2000" % (len(atoms), len(bonds))]
    lines += ["%10.4f%10.4f%10.4f %-3s 0  0  0  0  0  0  0  0  0  0  0  0" % (x, y, z, e) for e, x, y, z in atoms]
    lines += ["%3d%3d  1  0  0  0  0" % b for b in bonds]
    lines += ["M  END", "> <minimizedAffinity>", "%.3f" % vina, "", "$$$$"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir")
    parser.add_argument("--receptor", default="/usr/share/doc/autodock-vina/test-data/protein.pdbqt.gz",
                        help="receptor to copy in (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(os.path.join(args.outdir, "poses"), exist_ok=True)
    os.makedirs(os.path.join(args.outdir, "receptors"), exist_ok=True)
    receptor = "receptors/abl." + ("pdbqt.gz" if args.receptor.endswith(".gz") else "pdbqt")
    shutil.copyfile(args.receptor, os.path.join(args.outdir, receptor))

    caffeine = caffeine_atoms()
    methyls = [0, 9, 13]  # the three methyl carbons of caffeine.pdbqt (atoms 1, 10, 14)
    bromo = sdf_atoms(os.path.join(DATA, "bromobenzene.sdf"))
    rows = []
    for series, size, split in (("S1", 6, "test"), ("S2", 5, "test"), ("S3", 2, "test"), ("S4", 4, "train")):
        records = []
        for i in range(size):
            name = "%s_lig%02d" % (series, i + 1)
            drop = set(rng.sample(methyls, rng.randint(0, 3)))
            atoms = placed([a for k, a in enumerate(caffeine) if k not in drop], rng)
            poses = [jittered(atoms, rng) for _ in range(rng.randint(2, 3))]
            vinas = sorted(rng.uniform(-8.0, -4.0) for _ in poses)
            for pose, vina in zip(poses, vinas):
                records.append(sdf_record(name, pose, vina))
            vina = "" if (series, i) == ("S2", 4) else "%.3f" % vinas[0]
            rows.append((name, series, split, len(atoms), len(poses), vina))
        if series == "S2":
            atoms = placed(bromo, rng)
            poses = [jittered(atoms, rng) for _ in range(2)]
            records += [sdf_record("S2_bromo", p, -5.0) for p in poses]
            rows.append(("S2_bromo", series, split, 7, 2, "-5.000"))
        if series == "S1":
            rows.append(("S1_absent", series, split, 14, 3, "-6.000"))  # no poses in the file
        path = "poses/%s.sdf.gz" % series
        with gzip.open(os.path.join(args.outdir, path), "wt") as f:
            f.writelines(records)
    with open(os.path.join(args.outdir, "manifest.csv"), "w") as f:
        f.write(HEADER + "\n")
        for name, series, split, heavy, poses, vina in rows:
            target = rng.uniform(-11.0, -6.0)
            f.write("%s,%s,abl_synthetic,%s,poses/%s.sdf.gz,%.2f,%s,synthetic,%d,%d,%s\n"
                    % (name, series, receptor, series, target, split, heavy, poses, vina))
    print("wrote %s (%d ligands)" % (os.path.join(args.outdir, "manifest.csv"), len(rows)))


if __name__ == "__main__":
    main()
