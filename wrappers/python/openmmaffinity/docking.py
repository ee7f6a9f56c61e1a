# SPDX-License-Identifier: MIT
"""Docking files read as affinity-rescore and affinity-train read them.

The receptor, the poses and the pocket complexes come from the tools' own C++ readers (Open
Babel underneath), so a Python pipeline gives a model the same atoms as the tools: the same
hydrogen rule (``atom_convention``: ``"heavy-atoms"``, the default, drops every hydrogen;
``"as-read"`` keeps the atoms as written), the same pocket (every receptor atom within the
cutoff of any atom of any pose) and the same atom order (pocket atoms in receptor order, then
the ligand's in file order). Positions are numpy arrays in nm (the files' Å converted),
elements are atomic numbers.

    receptor = read_receptor("receptor.pdbqt")
    for ligand in read_poses("docked.sdf"):
        if ligand.problem:
            print("skipped", ligand.name, ligand.problem)
            continue
        complex_ = pocket_complex(receptor, ligand)
        scorer = Scorer(model, complex_.atomic_numbers, complex_.ligand_mask)
        energies = scorer.pose_energies(complex_.positions, unit="kcal/mol")
"""

import os
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from .openmmaffinity import DEFAULT_POCKET_CUTOFF_NM, _PocketComplexArrays, _PoseFileReader, _ReceptorAtoms

ATOM_CONVENTIONS = ("heavy-atoms", "as-read")


def _path(path, who):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError("%s: path: expected a file name (str or os.PathLike), found %s" % (who, type(path).__name__))
    return os.fspath(path)


def _convention(name, who):
    if name not in ATOM_CONVENTIONS:
        raise ValueError("%s: atom_convention: expected one of %s, found %r" % (who, ", ".join(ATOM_CONVENTIONS), name))
    return name


@dataclass
class Receptor:
    """The atoms of a receptor file."""

    source: str
    """The file read."""
    atomic_numbers: np.ndarray
    """The atomic number of each atom, int64 [N], in file order."""
    positions: np.ndarray
    """Coordinates in nm, float64 [N,3]."""
    _atoms: Any = field(repr=False, compare=False)


@dataclass
class LigandPoses:
    """One ligand of a pose file: the consecutive records that share a title."""

    name: str
    """The records' title (or the file's name without extensions when they have none)."""
    source: str
    """The file read."""
    first_record: int
    """The 1-based index of the ligand's first record in its file (0: a problem with the whole file)."""
    atomic_numbers: np.ndarray
    """The atomic number of each ligand atom, int64 [n], in file order."""
    positions: np.ndarray
    """The poses' coordinates in nm, float64 [P,n,3]."""
    docking_scores: np.ndarray
    """The docking program's score of each pose in kcal/mol, float64 [P]; NaN where a record has none."""
    problem: str
    """Why the tools would skip this ligand (affinity-rescore reports it and goes on), or ""."""
    _records: Any = field(repr=False, compare=False)


@dataclass
class PocketComplex:
    """A ligand's poses as the complexes the tools score: pocket atoms, then ligand atoms."""

    atomic_numbers: np.ndarray
    """int64 [M]: the pocket's receptor atoms in receptor order, then the ligand's atoms."""
    ligand_mask: np.ndarray
    """bool [M]: True for the ligand's atoms."""
    positions: np.ndarray
    """float64 [P,M,3] in nm: the receptor's fixed positions and each pose's ligand positions."""
    pocket_atoms: np.ndarray
    """int64 [K]: the indices, in the receptor, of the pocket's atoms."""


def read_receptor(path, atom_convention="heavy-atoms"):
    """Read the first structure of a receptor file (PDB, PDBQT, mmCIF; optionally .gz) as the tools do.

    Raises openmm.OpenMMException naming the file and the problem (missing, unreadable, no atoms,
    non-finite coordinates)."""
    atoms = _ReceptorAtoms(_path(path, "read_receptor"), _convention(atom_convention, "read_receptor"))
    numbers = np.array(atoms.getAtomicNumbers(), dtype=np.int64)
    positions = np.array(atoms.getPositions(), dtype=np.float64).reshape(-1, 3)
    return Receptor(atoms.getSource(), numbers, positions, atoms)


def _ligand(records):
    numbers = np.array(records.getAtomicNumbers(), dtype=np.int64)
    positions = np.array(records.getPositions(), dtype=np.float64).reshape(records.getNumPoses(), len(numbers), 3)
    return LigandPoses(records.getName(), records.getSource(), records.getFirstRecord(), numbers, positions,
                       np.array(records.getDockingScores(), dtype=np.float64), records.getProblem(), records)


def read_poses(path, atom_convention="heavy-atoms") -> Iterator[LigandPoses]:
    """The ligands of a pose file (SDF, PDBQT, MOL2, anything Open Babel reads; optionally .gz), one at
    a time, as the tools read them: consecutive records with the same title are one ligand's poses.

    A ligand the tools would skip (a file that cannot be read, a record that does not parse, poses
    whose atoms differ, an atom of no known element, an SDF or MOL2 record with an empty title in a
    file of several records, which is never merged with its neighbours) is yielded with its problem set and, where
    nothing could be read, no poses; nothing is dropped silently."""
    reader = _PoseFileReader(_path(path, "read_poses"), _convention(atom_convention, "read_poses"))
    while True:
        records = reader.next()
        if records is None:
            return
        yield _ligand(records)


def pocket_complex(receptor, ligand, cutoff=DEFAULT_POCKET_CUTOFF_NM):
    """The complexes a model scores for a ligand's poses: the receptor atoms within cutoff (nm) of
    any atom of any pose, then the ligand's atoms; the same atoms, in the same order, as
    affinity-rescore and affinity-train give the model with --pocket-cutoff cutoff.

    Raises ValueError for a ligand with a problem, TypeError for arguments that are not what
    read_receptor and read_poses return."""
    if not isinstance(receptor, Receptor):
        raise TypeError("pocket_complex: receptor: expected what read_receptor returns, found %s"
                        % type(receptor).__name__)
    if not isinstance(ligand, LigandPoses):
        raise TypeError("pocket_complex: ligand: expected a LigandPoses from read_poses, found %s"
                        % type(ligand).__name__)
    if ligand.problem:
        raise ValueError("pocket_complex: ligand '%s' (%s) cannot be scored: %s" % (ligand.name, ligand.source,
                                                                                   ligand.problem))
    arrays = _PocketComplexArrays(receptor._atoms, ligand._records, float(cutoff))
    numbers = np.array(arrays.getAtomicNumbers(), dtype=np.int64)
    return PocketComplex(
        atomic_numbers=numbers,
        ligand_mask=np.array(arrays.getLigandMask(), dtype=bool),
        positions=np.array(arrays.getPositions(), dtype=np.float64).reshape(arrays.getNumPoses(), len(numbers), 3),
        pocket_atoms=np.array(arrays.getPocketAtoms(), dtype=np.int64),
    )
