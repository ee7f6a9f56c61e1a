# SPDX-License-Identifier: MIT
"""What a ligand's bond table (its SD file's bonds, read with RDKit) would tell the default model
beyond the heavy-atom contract, for architecture_sweep.py to measure it.

The models read elements and positions only. Two questions are asked of the bond table here:
- per atom: is typing ligand atoms by a chemical role (aromatic, hydrogen-bond donor, acceptor,
  both, or none) better than by element and heavy-atom neighbour count? (sweep typings role and
  degree-role, after `dump --bond-tables`);
- per ligand: do whole-molecule descriptors (Crippen logP and molar refractivity, polar surface,
  rotatable bonds, aromatic rings, donors, acceptors, ...) add to a trained model's predictions?
  (`stack`: a ridge regression over folds of whole proteins on the series-centred values.)

The screening model receives a ligand atom's role in its atomic-number input (z + 128 × role),
which only these screening classes decode; this is not the model contract.
"""
import gzip
import sys

import numpy as np

#: The roles of a ligand atom.
NONE, AROMATIC, DONOR, ACCEPTOR, DONOR_ACCEPTOR = range(5)
NUM_ROLES = 5
#: Atomic numbers are below this; a role is carried as z + ROLE_STRIDE × role.
ROLE_STRIDE = 128
DESCRIPTORS = ["heavy_atoms", "logp", "tpsa", "rotatable_bonds", "aromatic_rings", "donors", "acceptors",
               "aromatic_atoms", "fraction_csp3", "halogens", "formal_charge", "molar_refractivity"]


def atom_role(atom):
    """One atom's role by a simple rule: N and O are donors when they carry a hydrogen; O is an
    acceptor, and N is one when it carries no hydrogen, no positive charge and is not an amide
    nitrogen; other aromatic atoms are AROMATIC; the rest NONE."""
    z, hydrogens = atom.GetAtomicNum(), atom.GetTotalNumHs()
    if z not in (7, 8):
        return AROMATIC if atom.GetIsAromatic() else NONE
    donor = hydrogens > 0
    if z == 8:
        acceptor = True
    else:
        amide = any(n.GetAtomicNum() == 6 and any(b.GetBondTypeAsDouble() == 2 and b.GetOtherAtom(n).GetAtomicNum() == 8
                                                  for b in n.GetBonds()) for n in atom.GetNeighbors())
        acceptor = hydrogens == 0 and atom.GetFormalCharge() <= 0 and (atom.GetIsAromatic() or not amide)
    if donor and acceptor:
        return DONOR_ACCEPTOR
    return DONOR if donor else ACCEPTOR if acceptor else NONE


def ligand_descriptors(mol):
    """The DESCRIPTORS of one molecule, in that order."""
    from rdkit import Chem
    from rdkit.Chem import Crippen, Lipinski, rdMolDescriptors

    atoms = mol.GetAtoms()
    return [mol.GetNumHeavyAtoms(), Crippen.MolLogP(mol), rdMolDescriptors.CalcTPSA(mol),
            rdMolDescriptors.CalcNumRotatableBonds(mol), rdMolDescriptors.CalcNumAromaticRings(mol),
            Lipinski.NumHDonors(mol), Lipinski.NumHAcceptors(mol), sum(a.GetIsAromatic() for a in atoms),
            rdMolDescriptors.CalcFractionCSP3(mol), sum(a.GetAtomicNum() in (9, 17, 35, 53) for a in atoms),
            Chem.GetFormalCharge(mol), Crippen.MolMR(mol)]


def read_bond_tables(path):
    """The first record of each title in an SD file (gzip-compressed or not), as RDKit molecules."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    if not str(path).endswith((".sdf", ".sdf.gz")):
        sys.exit(f"bond tables: {path} is not an SD file")
    stream = gzip.open(path) if str(path).endswith(".gz") else open(path, "rb")
    molecules = {}
    with stream:
        for index, mol in enumerate(Chem.ForwardSDMolSupplier(stream)):
            if mol is None:
                sys.exit(f"bond tables: {path}: record {index + 1} cannot be read by RDKit")
            molecules.setdefault(mol.GetProp("_Name"), mol)
    return molecules


def bond_table_record(mol, atom_count, where):
    """The roles (one per atom, in the file's order) and descriptors of a ligand whose poses hold
    atom_count heavy atoms."""
    if mol is None:
        sys.exit(f"bond tables: {where}: no record")
    if mol.GetNumAtoms() != atom_count:
        sys.exit(f"bond tables: {where}: {mol.GetNumAtoms()} atoms in the bond table, {atom_count} in the poses")
    return [atom_role(a) for a in mol.GetAtoms()], ligand_descriptors(mol)


def role_typed_class(base, with_degree):
    """ContactAffinity whose ligand atoms are typed by element and role (with_degree: and by
    heavy-atom neighbour count as well, NUM_TYPES × NUM_ROLES types), the role read from the
    atomic numbers (z + ROLE_STRIDE × role); receptor atoms keep the element and degree types."""
    import torch

    class RoleTyped(base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            types = (self.ligand_types.num_embeddings if with_degree else len(set(self.element_class))) * NUM_ROLES
            size = self.ligand_types.embedding_dim
            size_term = float(self.self_terms.detach()[0])
            self.ligand_types = torch.nn.Embedding(types, size)
            torch.nn.init.normal_(self.ligand_types.weight, std=0.5)
            self.self_terms = torch.nn.Parameter(torch.full((types,), size_term))

        def contacts(self, x, atomic_numbers, ligand_mask):
            elements = atomic_numbers % ROLE_STRIDE
            role = atomic_numbers // ROLE_STRIDE
            degree_types, receptor_types, r = base.contacts(self, x, elements, ligand_mask)
            ligand = ligand_mask.nonzero().flatten()
            if with_degree:
                ligand_types = degree_types * NUM_ROLES + role[ligand]
            else:
                table = torch.tensor(self.element_class, dtype=torch.long, device=atomic_numbers.device)
                ligand_types = table[elements[ligand]] * NUM_ROLES + role[ligand]
            return ligand_types, receptor_types, r

    return RoleTyped


def centred_by_series(values, series):
    """values [n, m] minus each series' mean."""
    out = values.astype(float).copy()
    for name in set(series):
        rows = [i for i, s in enumerate(series) if s == name]
        out[rows] -= out[rows].mean(0)
    return out


def ridge_cross_validated(features, target, fold_of, penalty=1.0):
    """Each row's prediction by a ridge regression (standardised features) fitted on the rows of
    the other folds."""
    predicted = np.zeros(len(target))
    for k in sorted(set(fold_of)):
        train = np.array([f != k for f in fold_of])
        scale = features[train].std(0) + 1e-9
        a = features[train] / scale
        weights = np.linalg.solve(a.T @ a + penalty * np.eye(a.shape[1]), a.T @ target[train])
        predicted[~train] = (features[~train] / scale) @ weights
    return predicted


def stack(args, protein_folds, mean_series_r, metrics):
    """Markdown rows: descriptors alone, the model's ensemble alone, and the two together, each
    as the mean per-series r over all series of the cross-validation."""
    import json

    data = np.load(args.complexes)
    ligands = json.loads(str(data["ligands"]))
    if "descriptors" not in ligands[0]:
        sys.exit(f"stack: {args.complexes} has no descriptors; write it with dump --bond-tables")
    runs = json.load(open(args.results))
    epoch = args.epoch
    names = runs[0]["predictions_by_epoch"][epoch].keys()
    ligands = [l for l in ligands if l["name"] in names]
    folds = protein_folds(ligands, runs[0]["folds"])
    fold_of = {l["name"]: k for k, fold in enumerate(folds) for l in fold}
    series = [l["series"] for l in ligands]
    model = np.array([[np.mean([r["predictions_by_epoch"][epoch][l["name"]] for r in runs])] for l in ligands])
    descriptors = np.array([l["descriptors"] for l in ligands])
    target = centred_by_series(np.array([[l["target"]] for l in ligands]), series)[:, 0]
    folds_column = [fold_of[l["name"]] for l in ligands]

    def score(columns):
        predicted = ridge_cross_validated(centred_by_series(columns, series), target, folds_column)
        return mean_series_r(metrics, [{"series": s, "target": t, "model": p}
                                       for s, t, p in zip(series, target, predicted)])

    print(f"| inputs of the ridge regression (epoch {epoch} ensemble of {len(runs)} runs) | mean per-series r |")
    print("| --- | ---: |")
    print(f"| the model alone | {score(model):.3f} |")
    print(f"| all {len(DESCRIPTORS)} descriptors | {score(descriptors):.3f} |")
    print(f"| the model + all descriptors | {score(np.hstack([model, descriptors])):.3f} |")
    for j, name in enumerate(DESCRIPTORS):
        print(f"| {name} alone / the model + {name} | {score(descriptors[:, [j]]):.3f} / "
              f"{score(np.hstack([model, descriptors[:, [j]]])):.3f} |")
