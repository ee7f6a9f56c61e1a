# SPDX-License-Identifier: MIT
"""Write a SchNetAffinity model as a TorchScript file that every part of openmm-affinity loads
(AffinityModel::fromFile, AffinityForce, affinity-train, the rescoring tool).

    python -m openmmaffinity.models.export model.pt                       # PyG's defaults
    python -m openmmaffinity.models.export model.pt --hidden-channels 32 --num-interactions 3
    python -m openmmaffinity.models.export model.pt --weights pyg_schnet_state.pt --strategy delta
    python -m openmmaffinity.models.export model.pt --filter-table-size 1024   # fused on CUDA
    python -m openmmaffinity.models.export contact.pt --architecture contact  # the default model's kind
    python -m openmmaffinity.models.export mean.pt --average a.pt b.pt c.pt   # ensemble of contact models

The file's module has ``energy_unit`` (str) and ``supports_batch`` (True) attributes, as the
model contract expects.
"""
import argparse
import sys

import torch

from .contact_affinity import ContactAffinity, average_contact_models, script_contact_model
from .schnet_affinity import ENERGY_UNITS, STRATEGIES, SchNetAffinity, script_model


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m openmmaffinity.models.export",
        description="Write a SchNet protein-ligand affinity model as TorchScript (second model contract: "
        "positions in nm, atomic numbers, ligand mask -> energy). The defaults are those of PyTorch "
        "Geometric's SchNet (about 456k parameters).")
    parser.add_argument("output", help="the TorchScript file to write")
    parser.add_argument("--architecture", choices=("schnet", "contact"), default="schnet",
                        help="schnet: SchNetAffinity (default); contact: ContactAffinity, the heavy-atom contact "
                        "score of the default model (its options: --embedding-size, --num-gaussians, "
                        "--contact-cutoff, --dtype, --seed)")
    parser.add_argument("--average", nargs="+", metavar="MODEL",
                        help="contact: write one ContactAffinity whose ΔG is exactly the mean of these trained "
                        "ContactAffinity files (an ensemble at one model's cost), keeping what they declare about "
                        "their training complexes (training_elements, pocket_cutoff_nm, atom_convention)")
    parser.add_argument("--embedding-size", type=int, default=16, help="contact: type embedding size (default 16)")
    parser.add_argument("--initial-offset", type=float, default=0.0,
                        help="contact: the initial constant term in kcal/mol (default 0; e.g. the mean training dG)")
    parser.add_argument("--initial-size-term", type=float, default=0.0,
                        help="contact: the initial per-heavy-atom term of the ligand in kcal/mol (default 0; e.g. "
                        "-0.25 starts from 'bigger binds tighter')")
    parser.add_argument("--contact-cutoff", type=float, default=0.8, help="contact: pair cutoff in nm (default 0.8)")
    parser.add_argument("--hidden-channels", type=int, default=128, help="atom embedding size (default 128)")
    parser.add_argument("--num-filters", type=int, default=128, help="convolution filters (default 128)")
    parser.add_argument("--num-interactions", type=int, default=6, help="interaction blocks (default 6)")
    parser.add_argument("--num-gaussians", type=int, default=None,
                        help="Gaussians of the distance expansion (default 50 for schnet, 16 for contact)")
    parser.add_argument("--cutoff", type=float, default=1.0, help="neighbour cutoff in nm (default 1.0 = 10 Å)")
    parser.add_argument("--max-num-neighbors", type=int, default=32, help="neighbours per atom at most (default 32)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="complex",
                        help="complex: E(complex); delta: E(complex) - E(protein) - E(ligand) (default complex)")
    parser.add_argument("--energy-unit", choices=ENERGY_UNITS, default="kJ/mol",
                        help="the unit the model's energies are in (default kJ/mol)")
    parser.add_argument("--weights", help="a state dict (torch.save) of this model or of a PyTorch Geometric SchNet "
                        "with the same hyperparameters, to load instead of random weights")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="the parameters' dtype (default float32)")
    parser.add_argument("--filter-table-size", type=int, default=0,
                        help="0: filters computed on every edge, as PyG (default); T >= 2: tabulated on T lengths "
                        "and interpolated by the fused operator affinity::filter_convolution (1024 is a good "
                        "choice on GPUs; needs the plugin's operator library)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random initial weights (default 0)")
    return parser.parse_args(argv)


#: What affinity-train declares about the complexes a model was trained on (TorchScript attributes).
DECLARED_ATTRIBUTES = {
    "training_elements": torch._C.ListType(torch._C.IntType.get()),
    "pocket_cutoff_nm": torch._C.FloatType.get(),
    "atom_convention": torch._C.StringType.get(),
}


def write_average(paths, output):
    """Average trained ContactAffinity files into one (average_contact_models), keeping their declarations."""
    members = [torch.jit.load(path, map_location="cpu") for path in paths]
    try:
        scripted = script_contact_model(average_contact_models(members))
    except (ValueError, RuntimeError, AttributeError) as error:
        raise SystemExit(f"export: cannot average {', '.join(paths)}: {error}")
    for name, kind in DECLARED_ATTRIBUTES.items():
        values = [getattr(member, name, None) for member in members]
        if any(value != values[0] for value in values):
            raise SystemExit(f"export: the models declare different {name}: "
                             + "; ".join(f"{path}: {value}" for path, value in zip(paths, values)))
        if values[0] is None:
            continue
        if hasattr(scripted, name):
            setattr(scripted, name, values[0])
        else:
            scripted._c._register_attribute(name, kind, values[0])
    scripted.save(output)
    count = sum(p.numel() for p in scripted.parameters())
    print(f"export: wrote {output} (the mean of {len(paths)} contact models, {count} parameters)")


def main(argv=None):
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    if args.average:
        write_average(args.average, args.output)
        return
    torch.manual_seed(args.seed)
    if args.architecture == "contact":
        contact = ContactAffinity(embedding_size=args.embedding_size, num_gaussians=args.num_gaussians or 16,
                                  cutoff=args.contact_cutoff, offset=args.initial_offset,
                                  size_term=args.initial_size_term).to(getattr(torch, args.dtype))
        script_contact_model(contact).save(args.output)
        count = sum(p.numel() for p in contact.parameters())
        print(f"export: wrote {args.output} ({count} parameters, contact model, energies in kcal/mol)")
        return
    args.num_gaussians = args.num_gaussians or 50
    model = SchNetAffinity(hidden_channels=args.hidden_channels, num_filters=args.num_filters,
                           num_interactions=args.num_interactions, num_gaussians=args.num_gaussians,
                           cutoff=args.cutoff, max_num_neighbors=args.max_num_neighbors, strategy=args.strategy,
                           energy_unit=args.energy_unit, filter_table_size=args.filter_table_size)
    if args.weights:
        state = torch.load(args.weights, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise SystemExit(f"export: {args.weights} holds a {type(state).__name__}; expected a state dict")
        try:
            model.load_state_dict(state)
        except RuntimeError as error:
            raise SystemExit(f"export: the weights in {args.weights} do not fit the model's hyperparameters: {error}")
    model = model.to(getattr(torch, args.dtype))
    scripted = script_model(model)
    scripted.save(args.output)
    count = sum(p.numel() for p in model.parameters())
    print(f"export: wrote {args.output} ({count} parameters, strategy {args.strategy}, energies in {args.energy_unit})")


if __name__ == "__main__":
    main()
