# SPDX-License-Identifier: MIT
"""Screen settings of the default model on the validation proteins, quickly, in plain PyTorch.

affinity-train trains the default model; one of its runs over the measured-affinity set takes
tens of minutes on two CPU threads, too slow to compare many settings. This script mirrors its
training (steps of 8 ligands of one series; the squared error after removing the step's mean
plus 0.1 times the plain squared error, in kJ/mol; Boltzmann combination of each ligand's poses
at 298.15 K; Adam) so that settings can be screened side by side, on a GPU or on many CPU cores,
by the mean per-series Pearson r on the validation proteins: the whole training proteins that
affinity-train holds out with --validation-by protein --validation-fraction 0.1 --seed 0, read
from one of its --predictions files. The test proteins are never read: `dump` writes the
training split's complexes only. A setting chosen here is then trained with affinity-train
(train_default_model.sh), whose validation figures decide.

With --folds K the validation proteins are not used: the training split's proteins are dealt
into K folds (whole proteins), each fold is predicted by a model trained on the other folds,
and the mean per-series r is taken over all the split's series (339 rather than 30), which
tells settings apart more reliably than one validation set.

    python architecture_sweep.py dump --manifest MANIFEST --split-from PREDICTIONS --out complexes.npz
    python architecture_sweep.py sweep complexes.npz --variant NAME:key=value,... [...] [--folds 5]
        [--device cuda] [--out results.json]
    python architecture_sweep.py summarize complexes.npz results.json [...]   # seeds, ensembles
    python architecture_sweep.py stack complexes.npz results.json   # + ligand descriptors

A variant's keys: arch (contact; contact-mlp: each ligand atom's contacts pass through a
small network instead of a sum; schnet-delta: the contact model plus a gated SchNet correction
over the ligand and the receptor atoms within `shell` nm, schnet_delta.py, with `hidden`
channels and `interactions` blocks), typing (degree: element and heavy-atom neighbour count, as
the default model; bond, polar or bond-polar add the shortest bond's length class and whether
the atom is bonded to N or O; role and degree-role type ligand atoms by element and a role
read from the SD file's bond table, aromatic, donor, acceptor, both or none, the second with
the neighbour count too: they need `dump --bond-tables`), embedding, gaussians, cutoff, hidden (contact-mlp), lr, epochs,
decay (Adam's L2 weight decay), step (ligands per step), mse (the weight of the plain squared
error), loss (centred, pearson: 1 - r within the step, or ranking), tau (the ranking loss's
scale in kJ/mol), size (the initial per-atom size term), seed.

Since the poses are data, every part of the contact model that holds no weight (types,
Gaussians of the distances, clash overlaps) is computed once per ligand and reused by every
step, epoch, fold and variant with the same typing, cutoff and Gaussians (ContactFeatures);
a 5-fold, 6-epoch run then takes about 20 s on one thread. The model's own forward pass is
compared with that sum on a sample of ligands before each run. --out keeps every prediction
by epoch, so that seeds can be averaged into ensembles afterwards.
`dump` needs the compiled openmmaffinity module (it reads structures as the tools do); `sweep`
needs only torch and numpy.
"""
import argparse
import collections
import csv
import importlib.util
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
import bond_table_chemistry as chemistry  # noqa: E402
ROOT = HERE.parents[4]
KJ_PER_KCAL = 4.184
BETA = 1.0 / (0.00831446261815324 * 298.15)  # mol/kJ at 298.15 K
POCKET_CUTOFF_NM = 1.0
#: The typings that read the ligand's bond table (bond_table_chemistry.py).
ROLE_TYPINGS = ("role", "degree-role")


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def dump(args):
    from openmmaffinity import docking

    splits = {}
    with open(args.split_from) as f:
        for row in csv.reader(f):
            # The name may hold commas (files written before names were quoted did not quote
            # it): the other five fields are taken from the right.
            name, split = ",".join(row[:-5]), row[-5]
            if split in ("train", "validation"):
                splits[name] = split
    base = Path(args.manifest).resolve().parent
    groups = collections.OrderedDict()
    with open(args.manifest) as f:
        for row in csv.DictReader(f):
            if row["split"] == "train":
                groups.setdefault((row["receptor"], row["poses"]), []).append(row)
    receptor_index, receptor_numbers, receptor_positions = {}, [], []
    ligands, pocket_atoms, ligand_numbers, ligand_positions, ligand_roles = [], [], [], [], []
    for (receptor_file, pose_file), rows in groups.items():
        if receptor_file not in receptor_index:
            receptor = docking.read_receptor(str(base / receptor_file))
            receptor_index[receptor_file] = (len(receptor_numbers), receptor)
            receptor_numbers.append(receptor.atomic_numbers.astype(np.int8))
            receptor_positions.append(receptor.positions.astype(np.float32))
        r_index, receptor = receptor_index[receptor_file]
        by_title = {ligand.name: ligand for ligand in docking.read_poses(str(base / pose_file))}
        bond_tables = chemistry.read_bond_tables(base / pose_file) if args.bond_tables else None
        for row in rows:
            name = row["series"] + "/" + row["ligand"]
            if name not in splits:
                sys.exit(f"dump: {name} is not in {args.split_from}")
            ligand = by_title.get(row["ligand"])
            if ligand is None or ligand.problem:
                sys.exit(f"dump: {pose_file} has no usable ligand {row['ligand']!r}")
            complex_ = docking.pocket_complex(receptor, ligand, POCKET_CUTOFF_NM)
            ligands.append({"name": name, "series": row["series"], "protein": row["protein"],
                            "target": float(row["target"]), "split": splits[name], "receptor": r_index,
                            "pocket": len(complex_.pocket_atoms), "atoms": len(ligand.atomic_numbers),
                            "poses": ligand.positions.shape[0]})
            if bond_tables is not None:
                roles, ligands[-1]["descriptors"] = chemistry.bond_table_record(
                    bond_tables.get(row["ligand"]), len(ligand.atomic_numbers), f"{pose_file}: {row['ligand']}")
                ligand_roles.append(np.asarray(roles, dtype=np.int8))
            pocket_atoms.append(np.asarray(complex_.pocket_atoms, dtype=np.int32))
            ligand_numbers.append(ligand.atomic_numbers.astype(np.int8))
            ligand_positions.append(ligand.positions.astype(np.float32).reshape(-1, 3))
        print(f"dump: {pose_file}: {len(rows)} ligands", flush=True)
    np.savez_compressed(
        args.out, ligands=json.dumps(ligands), receptor_sizes=np.array([len(n) for n in receptor_numbers]),
        receptor_numbers=np.concatenate(receptor_numbers), receptor_positions=np.concatenate(receptor_positions),
        pocket_atoms=np.concatenate(pocket_atoms), ligand_numbers=np.concatenate(ligand_numbers),
        ligand_positions=np.concatenate(ligand_positions),
        **({"ligand_roles": np.concatenate(ligand_roles)} if args.bond_tables else {}))
    print(f"dump: {len(ligands)} ligands, {len(receptor_numbers)} receptors -> {args.out}")


def read_complexes(path, device, dtype):
    """Each ligand's complexes as the model's inputs: positions [P, K+L, 3], numbers, ligand mask;
    where the file holds bond-table roles, also "role_inputs", whose ligand atomic numbers carry
    each atom's role (z + ROLE_STRIDE × role) for the role typings."""
    import torch

    data = np.load(path)
    ligands = json.loads(str(data["ligands"]))
    sizes = data["receptor_sizes"]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    numbers, positions = data["receptor_numbers"], data["receptor_positions"]
    pockets, ligand_numbers, ligand_positions = data["pocket_atoms"], data["ligand_numbers"], data["ligand_positions"]
    roles = data["ligand_roles"] if "ligand_roles" in data else None
    p = a = x = 0
    for ligand in ligands:
        r0 = starts[ligand["receptor"]]
        pocket = pockets[p:p + ligand["pocket"]] + r0
        atoms, poses = ligand["atoms"], ligand["poses"]
        lig_xyz = ligand_positions[x:x + poses * atoms].reshape(poses, atoms, 3)
        rec_xyz = np.broadcast_to(positions[pocket], (poses, len(pocket), 3))
        xyz = np.concatenate([rec_xyz, lig_xyz], axis=1)
        z = np.concatenate([numbers[pocket], ligand_numbers[a:a + atoms]]).astype(np.int64)
        mask = np.zeros(len(z), dtype=bool)
        mask[len(pocket):] = True
        ligand["inputs"] = (torch.tensor(xyz, dtype=dtype, device=device), torch.tensor(z, device=device),
                            torch.tensor(mask, device=device))
        if roles is not None:
            coded = z.copy()
            coded[len(pocket):] += chemistry.ROLE_STRIDE * roles[a:a + atoms].astype(np.int64)
            ligand["role_inputs"] = (ligand["inputs"][0], torch.tensor(coded, device=device), ligand["inputs"][2])
        p, a, x = p + ligand["pocket"], a + atoms, x + poses * atoms
    return ligands


def contact_mlp_class(base):
    import torch

    class ContactAffinityMLP(base):
        """ContactAffinity whose per-ligand-atom contact features pass through a small network."""

        def __init__(self, hidden: int = 32, **kwargs):
            super().__init__(**kwargs)
            size = self.mixing.shape[0]
            self.hidden_in = torch.nn.Linear(2 * size, hidden)
            self.hidden_out = torch.nn.Linear(hidden, 1)
            torch.nn.init.zeros_(self.hidden_out.weight)
            torch.nn.init.zeros_(self.hidden_out.bias)

        def pair_energy(self, ligand_types, receptor_types, r):
            gauss, switch = self.radial(r)
            # m[b,l,d] = sum_p sum_k R[p,d] C[d,k] phi_k(r_lp) f_c(r_lp): the linear model's per-atom features.
            env = torch.einsum("blpk,pd,dk->bld", gauss * switch.unsqueeze(-1), self.receptor_types(receptor_types),
                               self.mixing)
            own = self.ligand_types(ligand_types).unsqueeze(0).expand_as(env)
            linear = (own * env).sum((1, 2))
            hidden = torch.nn.functional.silu(self.hidden_in(torch.cat([own, env], dim=-1)))
            return linear + self.hidden_out(hidden).sum((1, 2))

    return ContactAffinityMLP


def typed_class(base, typing):
    """ContactAffinity (or a subclass) whose atom types also say, from the first pose's heavy-atom
    geometry, how short an atom's shortest bond is (double/triple, conjugated or single) and, with
    polar, whether it is bonded to N or O (a carbon next to a heteroatom is not hydrophobic)."""
    import torch

    bond_bins = 3 if "bond" in typing else 1
    polar_bins = 2 if "polar" in typing else 1

    class Typed(base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            types = self.ligand_types.num_embeddings * bond_bins * polar_bins
            size = self.ligand_types.embedding_dim
            size_term = float(self.self_terms.detach()[0])
            self.ligand_types = torch.nn.Embedding(types, size)
            self.receptor_types = torch.nn.Embedding(types, size)
            torch.nn.init.normal_(self.ligand_types.weight, std=0.5)
            torch.nn.init.normal_(self.receptor_types.weight, std=0.5)
            self.self_terms = torch.nn.Parameter(torch.full((types,), size_term))

        def atom_types(self, atoms, others, atomic_numbers, others_hetero):
            """As ContactAffinity's, plus the bond classes; others_hetero: which of others are N or O."""
            d2 = ((atoms.detach().unsqueeze(1) - others.detach().unsqueeze(0)) ** 2).sum(-1)
            bonded = (d2 < self.bond_length * self.bond_length) & (d2 > 1e-6)
            degree = bonded.sum(1).clamp(0, self.num_degrees - 1)
            table = torch.tensor(self.element_class, dtype=torch.long, device=atomic_numbers.device)
            kind = table[atomic_numbers] * self.num_degrees + degree
            if bond_bins > 1:
                shortest = torch.where(bonded, d2, torch.full_like(d2, 1.0)).min(1).values.sqrt()
                bins = (shortest >= 0.128).long() + (shortest >= 0.1445).long()
                kind = kind * bond_bins + bins
            if polar_bins > 1:
                kind = kind * polar_bins + (bonded & others_hetero.unsqueeze(0)).any(1).long()
            return kind

        def contacts(self, x, atomic_numbers, ligand_mask):
            ligand = ligand_mask.nonzero().flatten()
            receptor = (~ligand_mask).nonzero().flatten()
            lig = x[:, ligand]
            with torch.no_grad():
                far = ((lig.unsqueeze(2) - x[:, receptor].unsqueeze(1)) ** 2).sum(-1)
                near = receptor[(far < self.cutoff * self.cutoff).any(0).any(0)]
            rec = x[:, near]
            hetero = (atomic_numbers == 7) | (atomic_numbers == 8)
            ligand_types = self.atom_types(x[0, ligand], x[0, ligand], atomic_numbers[ligand], hetero[ligand])
            receptor_types = self.atom_types(x[0, near], x[0, receptor], atomic_numbers[near], hetero[receptor])
            r = torch.sqrt(((lig.unsqueeze(2) - rec.unsqueeze(1)) ** 2).sum(-1) + 1e-12)
            return ligand_types, receptor_types, r

    return Typed


def parse_variant(text):
    name, _, body = text.partition(":")
    settings = {"arch": "contact", "embedding": 16, "gaussians": 16, "cutoff": 0.8, "hidden": 32, "lr": 0.003,
                "epochs": 4, "mse": 0.1, "size": -0.25, "seed": 0, "loss": "centred", "tau": 1.0, "typing": "degree", "decay": 0.0, "step": 8,
                "interactions": 3, "shell": 0.6}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition("=")
        if key not in settings:
            sys.exit(f"sweep: variant {name}: unknown key {key!r}")
        settings[key] = value if isinstance(settings[key], str) else type(settings[key])(value)
    return name, settings


def inputs_of(s):
    """Which of a ligand's inputs a setting's model reads."""
    return "role_inputs" if s["typing"] in ROLE_TYPINGS else "inputs"


def protein_folds(ligands, folds, seed=0):
    """The ligands in `folds` groups by whole protein (every ligand of a protein in one fold):
    the proteins in a seeded random order, dealt out in turn."""
    proteins = sorted({l["protein"] for l in ligands})
    random.Random(seed).shuffle(proteins)
    fold_of = {protein: i % folds for i, protein in enumerate(proteins)}
    return [[l for l in ligands if fold_of[l["protein"]] == k] for k in range(folds)]


def make_model(contact, s, mean_target, mean_atoms):
    kwargs = dict(embedding_size=s["embedding"], num_gaussians=s["gaussians"], cutoff=s["cutoff"],
                  offset=mean_target - s["size"] * mean_atoms, size_term=s["size"])
    if s["arch"] in ("contact", "schnet-delta"):
        cls, extra = contact.ContactAffinity, {}
    elif s["arch"] == "contact-mlp":
        cls, extra = contact_mlp_class(contact.ContactAffinity), {"hidden": s["hidden"]}
    else:
        sys.exit(f"sweep: unknown arch {s['arch']!r}")
    if s["typing"] in ROLE_TYPINGS:
        cls = chemistry.role_typed_class(cls, with_degree=s["typing"] == "degree-role")
    elif s["typing"] != "degree":
        cls = typed_class(cls, s["typing"])
    return cls(**extra, **kwargs)


class ContactFeatures:
    """The linear contact model's ΔG, pose by pose, from features computed once per ligand.

    The poses are data, not variables, so everything in ContactAffinity that does not hold a
    weight (the atom types, the Gaussians of each distance times the cutoff switch, the clash
    overlaps) is fixed: per ligand, the Gaussians are summed over all atom pairs that share a
    (ligand type, receptor type) pair, H[b, pair, k]. The ΔG of pose b is then
        b0 + Σ_t n_t s_t + Σ_pair Σ_k H[b, pair, k] W_k(pair) + softplus(ρ) R_b,
    with W_k(a, c) = Σ_d L_ad R_cd C_dk, which is the model's forward pass summed in another
    order (train_and_predict compares the two). A step of several ligands is then a handful of
    tensor operations."""

    def __init__(self, model, ligands, per_atom=False, inputs="inputs"):
        import torch

        # per_atom keeps the Gaussians per ligand atom and receptor type instead (for
        # contact-mlp, whose network reads each ligand atom's contacts).
        self.per_atom = per_atom
        self.index = {id(l): i for i, l in enumerate(ligands)}
        self.rows, self.pose_counts = [], []
        types = model.ligand_types.num_embeddings
        with torch.no_grad():
            for ligand in ligands:
                x, numbers, mask = ligand[inputs]
                lig_t, rec_t, r = model.contacts(x, numbers, mask)
                gauss, switch = model.radial(r)
                g = (gauss * switch.unsqueeze(-1)).flatten(1, 2)  # [B, L*P, K]
                first = torch.arange(len(lig_t), device=g.device) if per_atom else lig_t
                key = (first.unsqueeze(1) * types + rec_t.unsqueeze(0)).flatten()
                unique, inverse = torch.unique(key, return_inverse=True)
                poses = x.shape[0]
                h = torch.zeros(poses, len(unique), g.shape[-1], dtype=g.dtype, device=g.device)
                h.index_add_(1, inverse, g)
                overlap = torch.relu(model.repulsion_distance - r)
                self.rows.append({
                    "h": h.reshape(-1, g.shape[-1]),  # pose-major rows
                    "a": (unique // types).repeat(poses), "c": (unique % types).repeat(poses),
                    "pose": torch.arange(poses, device=g.device).repeat_interleave(len(unique)),
                    "types": lig_t, "counts": torch.bincount(lig_t, minlength=types).to(g.dtype),
                    "repulsion": (overlap * overlap).sum((1, 2)) * 100.0})
                self.pose_counts.append(poses)

    def energies(self, m, ligands):
        """The ΔG (kcal/mol) by the model m of every pose of the ligands, concatenated, and each
        pose's position in `ligands`."""
        import torch

        indices = [self.index[id(l)] for l in ligands]
        rows = [self.rows[i] for i in indices]
        counts = [self.pose_counts[i] for i in indices]
        firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        h = torch.cat([row["h"] for row in rows])
        c = torch.cat([row["c"] for row in rows])
        pose = torch.cat([row["pose"] + int(first) for row, first in zip(rows, firsts)])
        owner = torch.cat([torch.full((n,), k, dtype=torch.long, device=h.device) for k, n in enumerate(counts)])
        poses = int(sum(counts))
        if self.per_atom:
            # Each (pose, ligand atom) gets the receptor-side features m[d] = Σ_rows R_cd C_dk H_k;
            # the model's pair_energy is Σ L(t) · m plus its network on [L(t), m].
            sizes = [len(row["types"]) for row in rows]
            atom_firsts = np.concatenate([[0], np.cumsum([n * s for n, s in zip(counts, sizes)])[:-1]])
            atom = torch.cat([row["pose"] * len(row["types"]) + row["a"] + int(f) for row, f in zip(rows, atom_firsts)])
            types = torch.cat([row["types"].repeat(n) for row, n in zip(rows, counts)])
            atom_pose = torch.cat([torch.arange(n, device=h.device).repeat_interleave(s) + int(f)
                                   for n, s, f in zip(counts, sizes, firsts)])
            projection = m.receptor_types.weight.unsqueeze(-1) * m.mixing  # [T, d, K]
            env = torch.zeros(len(types), m.mixing.shape[0], dtype=h.dtype, device=h.device)
            env = env.index_add(0, atom, torch.einsum("rk,rdk->rd", h, projection[c]))
            own = m.ligand_types(types)
            per_atom = (own * env).sum(-1)
            hidden = torch.nn.functional.silu(m.hidden_in(torch.cat([own, env], dim=-1)))
            per_atom = per_atom + m.hidden_out(hidden).squeeze(-1)
            pair = torch.zeros(poses, dtype=h.dtype, device=h.device).index_add(0, atom_pose, per_atom)
        else:
            a = torch.cat([row["a"] for row in rows])
            weights = torch.einsum("ad,cd,dk->ack", m.ligand_types.weight, m.receptor_types.weight, m.mixing)
            pair = torch.zeros(poses, dtype=h.dtype, device=h.device).index_add(0, pose, (h * weights[a, c]).sum(-1))
        own = torch.stack([row["counts"] for row in rows]) @ m.self_terms  # [ligands]
        repulsion = torch.cat([row["repulsion"] for row in rows])
        return m.offset + own[owner] + pair + torch.nn.functional.softplus(m.repulsion) * repulsion, owner


def train_and_predict(contact, s, train, evaluated, device, dtype, feature_cache):
    """Train one model of setting s on `train`; the predicted ΔG (kcal/mol) of every ligand of
    `evaluated` after each epoch (epoch 0: the untrained model), as lists of floats."""
    import torch

    torch.manual_seed(s["seed"])
    rng = random.Random(s["seed"])
    mean_target = np.mean([l["target"] for l in train])
    mean_atoms = np.mean([l["atoms"] for l in train])
    model = make_model(contact, s, mean_target, mean_atoms).to(device=device, dtype=dtype)
    parameters = list(model.parameters())
    correction = None
    if s["arch"] == "schnet-delta":
        from schnet_delta import SchNetDelta

        correction = SchNetDelta(hidden=s["hidden"], interactions=s["interactions"], shell=s["shell"]).to(
            device=device, dtype=dtype)
        parameters += list(correction.parameters())
    optimizer = torch.optim.Adam(parameters, lr=s["lr"], weight_decay=s["decay"])

    # The features depend on the settings that shape the types and the Gaussians alone; both
    # plans split the same ligands, so train + evaluated is every ligand each time.
    key = (s["typing"], s["cutoff"], s["gaussians"], "contact" if s["arch"] == "schnet-delta" else s["arch"])
    if key not in feature_cache:
        feature_cache[key] = ContactFeatures(model, train + evaluated, per_atom=s["arch"] == "contact-mlp",
                                             inputs=inputs_of(s))
    features = feature_cache[key]
    for ligand in evaluated[:: max(1, len(evaluated) // 20)]:
        direct = model(*ligand[inputs_of(s)])
        summed = features.energies(model, [ligand])[0]
        if not torch.allclose(direct, summed, rtol=1e-4, atol=1e-3):
            sys.exit(f"sweep: the precomputed contact features disagree with the model on {ligand['name']}: "
                     f"{summed.tolist()} vs {direct.tolist()}")

    def delta_gs(ligands):
        """Each ligand's Boltzmann-combined ΔG in kJ/mol."""
        energies, owner = features.energies(model, ligands)
        if correction is not None:
            energies = energies + correction(ligands)
        energies = energies * KJ_PER_KCAL
        # A softmax within each ligand's poses: shift by the ligand's lowest energy first.
        lowest = torch.full((len(ligands),), float("inf"), dtype=energies.dtype, device=energies.device)
        lowest = lowest.scatter_reduce(0, owner, energies.detach(), reduce="amin")
        boltzmann = torch.exp(-BETA * (energies - lowest[owner]))
        total = torch.zeros_like(lowest).index_add(0, owner, boltzmann)
        return torch.zeros_like(lowest).index_add(0, owner, boltzmann / total[owner] * energies)

    def predict():
        with torch.no_grad():
            values = torch.cat([delta_gs(evaluated[i:i + 256]) for i in range(0, len(evaluated), 256)])
            return (values / KJ_PER_KCAL).tolist()

    history = [predict()]
    for epoch in range(s["epochs"]):
        by_series = collections.defaultdict(list)
        for ligand in train:
            by_series[ligand["series"]].append(ligand)
        steps = []
        for members in by_series.values():
            rng.shuffle(members)
            steps += [members[i:i + s["step"]] for i in range(0, len(members), s["step"])]
        rng.shuffle(steps)
        for step in steps:
            predicted = delta_gs(step)
            target = torch.tensor([l["target"] * KJ_PER_KCAL for l in step], dtype=dtype, device=device)
            residual = predicted - target
            loss = s["mse"] * (residual ** 2).mean()
            if s["loss"] == "centred":
                loss = loss + ((residual - residual.mean()) ** 2).mean()
            elif s["loss"] == "pearson" and len(step) > 2:  # 1 - r within the step, scaled to kJ/mol²
                p, t = predicted - predicted.mean(), target - target.mean()
                r = (p * t).sum() / (p.norm() * t.norm() + 1e-6)
                loss = loss + (1.0 - r) * t.var()
            elif s["loss"] == "ranking" and len(step) > 1:  # pairwise logistic ranking, as affinity-train's --loss ranking
                sign = torch.sign(target.unsqueeze(1) - target.unsqueeze(0))
                upper = torch.triu(torch.ones_like(sign), 1) * sign.abs()
                gap = (predicted.unsqueeze(1) - predicted.unsqueeze(0)) / s["tau"]
                terms = torch.nn.functional.softplus(-sign * gap) * upper
                loss = loss + terms.sum() / upper.sum().clamp(min=1.0)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        history.append(predict())
    return history


def mean_series_r(metrics, rows):
    """The mean per-series Pearson r of rows holding series, target and the prediction "model"."""
    return float(np.mean(metrics.series_metrics(rows, ["model"]).values("model", "pearson")))


def sweep(args):
    import torch

    contact = load_module("contact_affinity", ROOT / "wrappers/python/openmmaffinity/models/contact_affinity.py")
    metrics = load_module("metrics", ROOT / "wrappers/python/openmmaffinity/metrics.py")
    torch.set_num_threads(args.threads)
    dtype = torch.float32
    ligands = read_complexes(args.complexes, args.device, dtype)
    if args.folds:
        # Cross-validation over the whole training split: each fold of proteins is predicted by
        # a model trained on the others, and the mean per-series r is taken over all series.
        groups = protein_folds(ligands, args.folds)
        plan = [([l for g in groups if g is not held for l in g], held) for held in groups]
    else:
        plan = [([l for l in ligands if l["split"] == "train"], [l for l in ligands if l["split"] == "validation"])]
    results, feature_cache = [], {}
    for text in args.variant:
        name, s = parse_variant(text)
        if s["typing"] in ROLE_TYPINGS and "role_inputs" not in ligands[0]:
            sys.exit(f"sweep: variant {name}: typing {s['typing']} needs the roles of `dump --bond-tables`")
        start = time.time()
        rows_by_epoch = [[] for _ in range(s["epochs"] + 1)]
        for train, evaluated in plan:
            history = train_and_predict(contact, s, train, evaluated, args.device, dtype, feature_cache)
            for epoch, predicted in enumerate(history):
                rows_by_epoch[epoch] += [{"name": l["name"], "series": l["series"], "target": l["target"],
                                          "model": value} for l, value in zip(evaluated, predicted)]
        curve = [mean_series_r(metrics, rows) for rows in rows_by_epoch]
        best = int(np.argmax(curve))
        result = {"variant": name, "settings": s, "folds": args.folds or 1, "mean_r_by_epoch": [round(v, 4) for v in curve],
                  "best_epoch": best, "best_r": round(curve[best], 4), "seconds": round(time.time() - start, 1)}
        print(json.dumps(result), flush=True)
        # The file keeps every evaluated ligand's prediction after each epoch, for ensembles.
        result["predictions_by_epoch"] = [{row["name"]: round(row["model"], 5) for row in rows} for rows in rows_by_epoch]
        results.append(result)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


def summarize(args):
    """One markdown row per setting over its seeds: the mean of the seeds' curves, the best
    epoch of that mean, and the curve of the ensemble (the seeds' predictions averaged)."""
    metrics = load_module("metrics", ROOT / "wrappers/python/openmmaffinity/metrics.py")
    data = np.load(args.complexes)
    info = {l["name"]: l for l in json.loads(str(data["ligands"]))}
    groups = collections.OrderedDict()
    for path in args.results:
        for result in json.load(open(path)):
            key = json.dumps({k: v for k, v in result["settings"].items() if k != "seed"}, sort_keys=True)
            groups.setdefault(key, []).append(result)
    print("| variant | seeds | mean r of the seeds by epoch (0 = prior) | best epoch of that mean | ensemble of the seeds, best epoch |")
    print("| --- | ---: | --- | ---: | ---: |")
    for runs in groups.values():
        curve = np.mean([r["mean_r_by_epoch"] for r in runs], axis=0)
        best = int(np.argmax(curve[1:])) + 1
        epochs = range(len(curve))
        ensemble = [mean_series_r(metrics, [{"series": info[name]["series"], "target": info[name]["target"],
                                             "model": np.mean([r["predictions_by_epoch"][e][name] for r in runs])}
                                            for name in runs[0]["predictions_by_epoch"][e]]) for e in epochs]
        e_best = int(np.argmax(ensemble[1:])) + 1
        name = runs[0]["variant"].rsplit("-s", 1)[0] if len(runs) > 1 else runs[0]["variant"]
        print(f"| {name} | {len(runs)} | {' '.join(f'{v:.3f}' for v in curve)} | {curve[best]:.3f} ({best}) "
              f"| {ensemble[e_best]:.3f} ({e_best}) |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    d = commands.add_parser("dump", help="write the training split's complexes")
    d.add_argument("--manifest", required=True)
    d.add_argument("--split-from", required=True, help="an affinity-train --predictions CSV (its split column)")
    d.add_argument("--out", required=True)
    d.add_argument("--bond-tables", action="store_true",
                   help="also store each ligand atom's role and the ligand's descriptors from the SD file's "
                        "bond table (RDKit), for the role typings and `stack`")
    s = commands.add_parser("sweep", help="train variants and print their validation r by epoch")
    s.add_argument("complexes")
    s.add_argument("--variant", action="append", required=True)
    s.add_argument("--device", default="cpu")
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--folds", type=int, default=0,
                   help="cross-validate over this many folds of whole proteins of the training split "
                        "instead of scoring the validation proteins")
    s.add_argument("--out")
    m = commands.add_parser("summarize", help="average sweep --out files over seeds, with ensembles")
    m.add_argument("complexes")
    m.add_argument("results", nargs="+")
    t = commands.add_parser("stack", help="the model's ensemble with ligand descriptors, by ridge regression")
    t.add_argument("complexes", help="a dump --bond-tables file")
    t.add_argument("results", help="a sweep --folds --out file (its runs are averaged)")
    t.add_argument("--epoch", type=int, default=2)
    args = parser.parse_args()
    if args.command == "stack":
        metrics = load_module("metrics", ROOT / "wrappers/python/openmmaffinity/metrics.py")
        chemistry.stack(args, protein_folds, mean_series_r, metrics)
        return
    {"dump": dump, "sweep": sweep, "summarize": summarize}[args.command](args)


if __name__ == "__main__":
    main()
