# SPDX-License-Identifier: MIT
"""The default model's screening tool (wrappers/cli/train/default_model/architecture_sweep.py):
its precomputed contact features give the model's own forward pass, pose by pose, for the plain,
typed, bond-table-typed and per-atom-network variants, its folds keep each protein whole, and
the bond-table roles follow their rule on molecules whose chemistry is known, and the SchNet
correction's receptor shell gives the network's energy of the whole complex."""
import importlib.util
import math
from pathlib import Path

import pytest
import torch

from openmmaffinity.models.contact_affinity import ContactAffinity

SWEEP = Path(__file__).resolve().parents[2] / "wrappers/cli/train/default_model/architecture_sweep.py"


def load_tool(name):
    """A module of the sweep's folder, loaded from its file."""
    spec = importlib.util.spec_from_file_location(name, SWEEP.parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_sweep():
    return load_tool("architecture_sweep")


def ligand(poses, seed):
    """A ring of carbons with a hydroxyl and a carbonyl oxygen in a pocket of mixed elements,
    several jittered poses (float64), as the sweep's ligand records hold them."""
    generator = torch.Generator().manual_seed(seed)
    ring = [[0.14 * math.cos(k * math.pi / 3), 0.14 * math.sin(k * math.pi / 3), 0.0] for k in range(6)]
    ligand_xyz = torch.tensor(ring + [[0.28, 0.0, 0.0], [-0.26, 0.05, 0.0]], dtype=torch.float64)
    receptor = torch.rand(24, 3, generator=generator, dtype=torch.float64) * 1.2 - 0.6
    receptor[:, 2] += 0.45
    numbers = torch.tensor([6, 7, 8, 16, 6, 30] * 4 + [6] * 6 + [8, 8])
    mask = torch.tensor([False] * 24 + [True] * 8)
    moves = torch.randn(poses, 1, 3, generator=generator, dtype=torch.float64) * 0.03
    positions = torch.cat([receptor.expand(poses, -1, -1), ligand_xyz + moves], dim=1)
    return {"name": f"l{seed}", "inputs": (positions, numbers, mask)}


def randomised(model, seed):
    torch.manual_seed(seed)
    model = model.double()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return model


def with_roles(record, sweep):
    """The record with role_inputs: the ring's carbons aromatic, the hydroxyl a donor and
    acceptor, the carbonyl oxygen an acceptor, coded into the atomic numbers as the dump does."""
    positions, numbers, mask = record["inputs"]
    roles = torch.zeros_like(numbers)
    roles[-8:] = torch.tensor([sweep.chemistry.AROMATIC] * 6 + [sweep.chemistry.DONOR_ACCEPTOR, sweep.chemistry.ACCEPTOR])
    record["role_inputs"] = (positions, numbers + sweep.chemistry.ROLE_STRIDE * roles, mask)
    return record


@pytest.mark.parametrize("variant", ["contact", "bond-polar", "contact-mlp", "role", "degree-role"])
def test_contact_features_equal_the_forward_pass(variant):
    sweep = load_sweep()
    cls = ContactAffinity
    if variant == "contact-mlp":
        cls = sweep.contact_mlp_class(ContactAffinity)
    elif variant in sweep.ROLE_TYPINGS:
        cls = sweep.chemistry.role_typed_class(ContactAffinity, with_degree=variant == "degree-role")
    elif variant != "contact":
        cls = sweep.typed_class(ContactAffinity, variant)
    model = randomised(cls(size_term=-0.2), seed=3)
    ligands = [with_roles(ligand(3, 0), sweep), with_roles(ligand(1, 1), sweep), with_roles(ligand(2, 2), sweep)]
    inputs = sweep.inputs_of({"typing": variant})
    features = sweep.ContactFeatures(model, ligands, per_atom=variant == "contact-mlp", inputs=inputs)
    energies, owner = features.energies(model, ligands[::-1])
    direct = torch.cat([model(*l[inputs]) for l in ligands[::-1]])
    if variant in sweep.ROLE_TYPINGS:
        # The roles reach the types: other roles give other energies.
        plain = [model(l["inputs"][0], l["inputs"][1], l["inputs"][2]) for l in ligands[::-1]]
        assert not torch.allclose(torch.cat(plain), direct)
    assert owner.tolist() == [0, 0, 1, 2, 2, 2]
    torch.testing.assert_close(energies, direct, rtol=1e-10, atol=1e-10)
    # The sum is differentiable in the weights as the forward pass is.
    grad_features = torch.autograd.grad(energies.sum(), model.mixing)[0]
    grad_direct = torch.autograd.grad(direct.sum(), model.mixing)[0]
    torch.testing.assert_close(grad_features, grad_direct, rtol=1e-9, atol=1e-9)


def test_folds_keep_proteins_whole():
    sweep = load_sweep()
    ligands = [{"name": f"x{i}", "protein": f"P{i % 7}"} for i in range(40)]
    folds = sweep.protein_folds(ligands, 3)
    assert sorted(l["name"] for fold in folds for l in fold) == sorted(l["name"] for l in ligands)
    owners = {}
    for k, fold in enumerate(folds):
        for l in fold:
            assert owners.setdefault(l["protein"], k) == k
    assert sorted(len({l["protein"] for l in fold}) for fold in folds) == [2, 2, 3]


def test_bond_table_roles_follow_their_rule():
    chemistry = load_sweep().chemistry
    from rdkit import Chem

    def roles(smiles):
        return [chemistry.atom_role(a) for a in Chem.MolFromSmiles(smiles).GetAtoms()]

    A, N, D, C, DA = (chemistry.AROMATIC, chemistry.NONE, chemistry.DONOR, chemistry.ACCEPTOR,
                      chemistry.DONOR_ACCEPTOR)
    assert roles("c1ccccc1O") == [A] * 6 + [DA]  # phenol: the hydroxyl gives and takes
    assert roles("CC(=O)N") == [N, N, C, D]  # acetamide: the amide N only gives
    assert roles("c1ccncc1") == [A, A, A, C, A, A]  # pyridine's nitrogen takes
    assert roles("C[N+](C)(C)C") == [N] * 5  # a quaternary ammonium does neither
    assert roles("Nc1ccccc1") == [D] + [A] * 6  # aniline's NH2 gives


def test_bond_table_records_name_the_file_and_ligand(tmp_path):
    chemistry = load_sweep().chemistry
    from rdkit import Chem

    path = tmp_path / "poses.sdf"
    mol = Chem.MolFromSmiles("c1ccccc1O")
    mol.SetProp("_Name", "phenol")
    with Chem.SDWriter(str(path)) as writer:
        writer.write(mol)
    tables = chemistry.read_bond_tables(path)
    roles, descriptors = chemistry.bond_table_record(tables["phenol"], 7, "poses.sdf: phenol")
    assert len(roles) == 7 and descriptors[0] == 7 and descriptors[chemistry.DESCRIPTORS.index("donors")] == 1
    with pytest.raises(SystemExit, match="poses.sdf: phenol: 7 atoms in the bond table, 8 in the poses"):
        chemistry.bond_table_record(tables["phenol"], 8, "poses.sdf: phenol")
    with pytest.raises(SystemExit, match="poses.sdf: benzene: no record"):
        chemistry.bond_table_record(tables.get("benzene"), 6, "poses.sdf: benzene")


def spread_complex(poses, seed):
    """A ligand of 6 atoms in the middle of 1,400 receptor atoms spread over a 2.6 nm box (float64),
    so that many receptor atoms lie far beyond any cutoff of the ligand."""
    generator = torch.Generator().manual_seed(seed)
    receptor = (torch.rand(1400, 3, generator=generator, dtype=torch.float64) - 0.5) * 2.6
    receptor = receptor[(receptor.norm(dim=1) > 0.15)]  # an empty pocket for the ligand
    ligand_xyz = torch.randn(6, 3, generator=generator, dtype=torch.float64) * 0.08
    moves = torch.randn(poses, 1, 3, generator=generator, dtype=torch.float64) * 0.05
    positions = torch.cat([receptor.expand(poses, -1, -1), ligand_xyz + moves], dim=1)
    numbers = torch.tensor(([6, 7, 8] * 467)[: len(receptor)] + [6, 6, 7, 8, 6, 9])
    mask = torch.tensor([False] * len(receptor) + [True] * 6)
    return {"name": f"s{seed}", "inputs": (positions, numbers, mask)}


def test_schnet_delta_shell_keeps_the_ligand_and_the_receptor_near_it():
    schnet_delta = load_tool("schnet_delta")
    record = spread_complex(3, 5)
    positions, numbers, mask = record["inputs"]
    x, z, m = schnet_delta.shell_inputs(record, 0.7)
    # By brute force: a receptor atom stays when some pose puts some ligand atom within 0.7 nm.
    near = [i for i in range(len(mask)) if not mask[i] and any(
        (positions[p, i] - positions[p, j]).norm() < 0.7 for p in range(3) for j in range(len(mask)) if mask[j])]
    assert 0 < len(near) < int((~mask).sum())
    torch.testing.assert_close(x, positions[:, near + mask.nonzero().flatten().tolist()])
    assert z.tolist() == numbers[near].tolist() + numbers[mask].tolist()
    assert m.tolist() == [False] * len(near) + [True] * 6


def test_schnet_delta_on_the_shell_equals_the_network_on_the_whole_complex():
    # In E(complex) - E(receptor) - E(ligand) a receptor atom farther than T cutoffs from the
    # ligand sees the same neighbourhood in the complex and in the receptor alone, and cancels;
    # the atoms within T cutoffs see atoms within 2 T cutoffs. A shell of 2 T cutoffs is therefore
    # exact: the correction on the shell must equal the network on the whole complex.
    schnet_delta = load_tool("schnet_delta")
    torch.manual_seed(0)
    delta = schnet_delta.SchNetDelta(hidden=8, interactions=2, gaussians=10, cutoff=0.25, neighbors=24,
                                     shell=2 * 2 * 0.25 + 0.01).double()
    records = [spread_complex(2, 1), spread_complex(3, 2)]
    # The gate starts at 0: the untrained correction is zero, the contact model's prior alone,
    # and its gradient in the gate is the network's energy, so training can open it.
    out = delta(records)
    assert out.shape == (5,) and torch.count_nonzero(out) == 0
    (gate_grad,) = torch.autograd.grad(out.sum(), delta.gate)
    whole = torch.cat([delta.network(*r["inputs"]) for r in records])
    assert whole.abs().min() > 1e-6  # the network does see the ligand's receptor
    torch.testing.assert_close(gate_grad, whole.sum(), rtol=1e-10, atol=1e-10)
    with torch.no_grad():
        delta.gate.fill_(1.0)
    torch.testing.assert_close(delta(records), whole, rtol=1e-10, atol=1e-10)
    kept = schnet_delta.shell_inputs(records[0], delta.shell)[0].shape[1]
    assert kept < records[0]["inputs"][0].shape[1]  # and the shell did leave atoms out
    # A shell of T cutoffs drops neighbours of atoms that the ligand reaches: no longer exact.
    delta.shell = 2 * 0.25
    assert (delta(records) - whole).abs().max() > 1e-6
