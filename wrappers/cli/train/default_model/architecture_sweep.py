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

    python architecture_sweep.py dump --manifest MANIFEST --split-from PREDICTIONS --out complexes.npz
    python architecture_sweep.py sweep complexes.npz --variant NAME:key=value,... [...] [--device cuda]

A variant's keys: arch (contact, or contact-mlp: each ligand atom's contacts pass through a
small network instead of a sum), embedding, gaussians, cutoff, hidden (contact-mlp), lr, epochs,
mse (the weight of the plain squared error), loss (centred or ranking), tau
(the ranking loss's scale in kJ/mol), size (the initial per-atom size term), seed.
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
ROOT = HERE.parents[4]
KJ_PER_KCAL = 4.184
BETA = 1.0 / (0.00831446261815324 * 298.15)  # mol/kJ at 298.15 K
POCKET_CUTOFF_NM = 1.0


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
    ligands, pocket_atoms, ligand_numbers, ligand_positions = [], [], [], []
    for (receptor_file, pose_file), rows in groups.items():
        if receptor_file not in receptor_index:
            receptor = docking.read_receptor(str(base / receptor_file))
            receptor_index[receptor_file] = (len(receptor_numbers), receptor)
            receptor_numbers.append(receptor.atomic_numbers.astype(np.int8))
            receptor_positions.append(receptor.positions.astype(np.float32))
        r_index, receptor = receptor_index[receptor_file]
        by_title = {ligand.name: ligand for ligand in docking.read_poses(str(base / pose_file))}
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
            pocket_atoms.append(np.asarray(complex_.pocket_atoms, dtype=np.int32))
            ligand_numbers.append(ligand.atomic_numbers.astype(np.int8))
            ligand_positions.append(ligand.positions.astype(np.float32).reshape(-1, 3))
        print(f"dump: {pose_file}: {len(rows)} ligands", flush=True)
    np.savez_compressed(
        args.out, ligands=json.dumps(ligands), receptor_sizes=np.array([len(n) for n in receptor_numbers]),
        receptor_numbers=np.concatenate(receptor_numbers), receptor_positions=np.concatenate(receptor_positions),
        pocket_atoms=np.concatenate(pocket_atoms), ligand_numbers=np.concatenate(ligand_numbers),
        ligand_positions=np.concatenate(ligand_positions))
    print(f"dump: {len(ligands)} ligands, {len(receptor_numbers)} receptors -> {args.out}")


def read_complexes(path, device, dtype):
    """Each ligand's complexes as the model's inputs: positions [P, K+L, 3], numbers, ligand mask."""
    import torch

    data = np.load(path)
    ligands = json.loads(str(data["ligands"]))
    sizes = data["receptor_sizes"]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    numbers, positions = data["receptor_numbers"], data["receptor_positions"]
    pockets, ligand_numbers, ligand_positions = data["pocket_atoms"], data["ligand_numbers"], data["ligand_positions"]
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
            gauss = torch.exp(-0.5 * ((r.unsqueeze(-1) - self.centres) / self.width) ** 2)
            switch = 0.5 * (torch.cos(r * (torch.pi / self.cutoff)) + 1.0) * (r < self.cutoff).to(r.dtype)
            # m[b,l,d] = sum_p sum_k R[p,d] C[d,k] phi_k(r_lp) f_c(r_lp): the linear model's per-atom features.
            env = torch.einsum("blpk,pd,dk->bld", gauss * switch.unsqueeze(-1), self.receptor_types(receptor_types),
                               self.mixing)
            own = self.ligand_types(ligand_types).unsqueeze(0).expand_as(env)
            linear = (own * env).sum((1, 2))
            hidden = torch.nn.functional.silu(self.hidden_in(torch.cat([own, env], dim=-1)))
            return linear + self.hidden_out(hidden).sum((1, 2))

    return ContactAffinityMLP


def parse_variant(text):
    name, _, body = text.partition(":")
    settings = {"arch": "contact", "embedding": 16, "gaussians": 16, "cutoff": 0.8, "hidden": 32, "lr": 0.003,
                "epochs": 4, "mse": 0.1, "size": -0.25, "seed": 0, "loss": "centred", "tau": 1.0}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition("=")
        if key not in settings:
            sys.exit(f"sweep: variant {name}: unknown key {key!r}")
        settings[key] = value if isinstance(settings[key], str) else type(settings[key])(value)
    return name, settings


def sweep(args):
    import torch

    contact = load_module("contact_affinity", ROOT / "wrappers/python/openmmaffinity/models/contact_affinity.py")
    metrics = load_module("metrics", ROOT / "wrappers/python/openmmaffinity/metrics.py")
    torch.set_num_threads(args.threads)
    dtype = torch.float32
    ligands = read_complexes(args.complexes, args.device, dtype)
    train = [l for l in ligands if l["split"] == "train"]
    validation = [l for l in ligands if l["split"] == "validation"]
    mean_target = np.mean([l["target"] for l in train])
    mean_atoms = np.mean([l["atoms"] for l in train])
    results = []
    for text in args.variant:
        name, s = parse_variant(text)
        torch.manual_seed(s["seed"])
        rng = random.Random(s["seed"])
        kwargs = dict(embedding_size=s["embedding"], num_gaussians=s["gaussians"], cutoff=s["cutoff"],
                      offset=mean_target - s["size"] * mean_atoms, size_term=s["size"])
        if s["arch"] == "contact":
            model = contact.ContactAffinity(**kwargs)
        elif s["arch"] == "contact-mlp":
            model = contact_mlp_class(contact.ContactAffinity)(hidden=s["hidden"], **kwargs)
        else:
            sys.exit(f"sweep: variant {name}: unknown arch {s['arch']!r}")
        model = model.to(device=args.device, dtype=dtype)
        optimizer = torch.optim.Adam(model.parameters(), lr=s["lr"])

        def delta_g(ligand):
            energies = model(*ligand["inputs"]) * KJ_PER_KCAL  # kJ/mol per pose
            weights = torch.softmax(-BETA * energies, dim=0)
            return (weights * energies).sum()

        def validation_r():
            with torch.no_grad():
                rows = [{"series": l["series"], "target": l["target"], "model": float(delta_g(l)) / KJ_PER_KCAL}
                        for l in validation]
            values = metrics.series_metrics(rows, ["model"]).values("model", "pearson")
            return float(np.mean(values))

        history = [validation_r()]
        start = time.time()
        for epoch in range(s["epochs"]):
            by_series = collections.defaultdict(list)
            for ligand in train:
                by_series[ligand["series"]].append(ligand)
            steps = []
            for members in by_series.values():
                rng.shuffle(members)
                steps += [members[i:i + 8] for i in range(0, len(members), 8)]
            rng.shuffle(steps)
            for step in steps:
                predicted = torch.stack([delta_g(l) for l in step])
                target = torch.tensor([l["target"] * KJ_PER_KCAL for l in step], dtype=dtype, device=args.device)
                residual = predicted - target
                loss = s["mse"] * (residual ** 2).mean()
                if s["loss"] == "centred":
                    loss = loss + ((residual - residual.mean()) ** 2).mean()
                elif len(step) > 1:  # pairwise logistic ranking, as affinity-train's --loss ranking
                    sign = torch.sign(target.unsqueeze(1) - target.unsqueeze(0))
                    upper = torch.triu(torch.ones_like(sign), 1) * sign.abs()
                    gap = (predicted.unsqueeze(1) - predicted.unsqueeze(0)) / s["tau"]
                    terms = torch.nn.functional.softplus(-sign * gap) * upper
                    loss = loss + terms.sum() / upper.sum().clamp(min=1.0)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            history.append(validation_r())
        best = int(np.argmax(history))
        result = {"variant": name, "settings": s, "validation_r_by_epoch": [round(v, 4) for v in history],
                  "best_epoch": best, "best_r": round(history[best], 4), "seconds": round(time.time() - start, 1)}
        results.append(result)
        print(json.dumps(result), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    d = commands.add_parser("dump", help="write the training split's complexes")
    d.add_argument("--manifest", required=True)
    d.add_argument("--split-from", required=True, help="an affinity-train --predictions CSV (its split column)")
    d.add_argument("--out", required=True)
    s = commands.add_parser("sweep", help="train variants and print their validation r by epoch")
    s.add_argument("complexes")
    s.add_argument("--variant", action="append", required=True)
    s.add_argument("--device", default="cpu")
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--out")
    args = parser.parse_args()
    dump(args) if args.command == "dump" else sweep(args)


if __name__ == "__main__":
    main()
