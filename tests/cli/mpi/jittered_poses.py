# SPDX-License-Identifier: MIT
"""Pose files for the MPI tests and benchmarks/mpi: many ligands made from the T4 lysozyme
ligands of the rescoring tests (tests/cli/rescore/data), each pose a copy with a seeded random
displacement, in one SDF; and the comparison of SDF outputs without Open Babel's time stamp."""
import random
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "rescore" / "data"
RECEPTOR = DATA / "t4l_pocket_allH.pdb"
# Open Babel's molfile header line: program name, then MMDDYYHHmm of the time of writing.
TIME_STAMP = re.compile(rb"^( OpenBabel)\d{10}", re.MULTILINE)


def write_poses(path, ligands, poses, unknown_element_at=(), seed=2, jitter=0.05):
    """ligands ligands ("lig00000", …) of `poses` copies each of the test ligands, every atom
    moved by a Gaussian of `jitter` Å; the ligands at the indices unknown_element_at get a
    uranium atom, which no model knows."""
    records = [r for r in (DATA / "t4l_ligands_allH.sdf").read_text().split("$$$$\n") if r.strip()]
    rng = random.Random(seed)
    with open(path, "w") as out:
        for ligand in range(ligands):
            lines = records[ligand % len(records)].split("\n")
            atoms = int(lines[3][0:3])
            for _ in range(poses):
                pose = list(lines)
                pose[0] = "lig%05d" % ligand
                for i in range(4, 4 + atoms):
                    xyz = [float(pose[i][10 * k:10 * k + 10]) + rng.gauss(0.0, jitter) for k in range(3)]
                    pose[i] = "".join("%10.4f" % v for v in xyz) + pose[i][30:]
                if ligand in unknown_element_at:
                    pose[4] = pose[4][:31] + "U  " + pose[4][34:]
                out.write("\n".join(pose) + "$$$$\n")


def without_time_stamps(sdf_bytes):
    return TIME_STAMP.sub(rb"\1", sdf_bytes)
