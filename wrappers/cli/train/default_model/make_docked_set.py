#!/usr/bin/env python3
"""Make the docked training set of the default model: drug-like ligands from SMILES, made 3D
by Open Babel and docked with AutoDock Vina into the receptor that Debian's autodock-vina
package ships (/usr/share/doc/autodock-vina/test-data), in the box of its conf.txt.

The per-ligand target is Vina's best score (kcal/mol): a stand-in for a measured ΔG, so a
model trained on it learns to imitate Vina on these ligands and this receptor, nothing more.

Output (cached; rerunning with the same settings reuses it):
    ${XDG_CACHE_HOME:-~/.cache}/openmm-affinity/default-model-data/<key>/
        receptor.pdbqt, poses/<ligand>.pdbqt (Vina's multi-model output), targets.csv

Usage: python make_docked_set.py [--exhaustiveness 2] [--num-modes 5] [--cpu 2]
Prints the output directory on its last line.
"""
import argparse
import concurrent.futures
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TEST_DATA = Path("/usr/share/doc/autodock-vina/test-data")

# Small drug-like molecules of varied size and chemistry (names for the files).
LIGANDS = {
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
    "ibuprofen": "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "caffeine": "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "naproxen": "COc1ccc2cc(ccc2c1)C(C)C(=O)O",
    "diclofenac": "OC(=O)Cc1ccccc1Nc1c(Cl)cccc1Cl",
    "indomethacin": "COc1ccc2n(C(=O)c3ccc(Cl)cc3)c(C)c(CC(=O)O)c2c1",
    "celecoxib": "Cc1ccc(cc1)-c1cc(nn1-c1ccc(cc1)S(N)(=O)=O)C(F)(F)F",
    "imatinib_core": "Cc1ccc(NC(=O)c2ccccc2)cc1Nc1nccc(n1)-c1cccnc1",
    "gefitinib_core": "COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OC",
    "erlotinib_core": "COCCOc1cc2ncnc(Nc3cccc(c3)C#C)c2cc1OCCOC",
    "staurosporine_frag": "O=C1NCc2c1c1c3ccccc3[nH]c1c1[nH]c3ccccc3c21",
    "adenine": "Nc1ncnc2[nH]cnc12",
    "atp_fragment": "Nc1ncnc2n(cnc12)C1OC(CO)C(O)C1O",
    "theophylline": "Cn1c2nc[nH]c2c(=O)n(C)c1=O",
    "warfarin": "CC(=O)CC(c1ccccc1)c1c(O)c2ccccc2oc1=O",
    "quercetin": "Oc1cc(O)c2c(c1)oc(-c1ccc(O)c(O)c1)c(O)c2=O",
    "resveratrol": "Oc1ccc(cc1)/C=C/c1cc(O)cc(O)c1",
    "genistein": "Oc1ccc(cc1)-c1coc2cc(O)cc(O)c2c1=O",
    "flavone": "O=c1cc(oc2ccccc12)-c1ccccc1",
    "benzamide": "NC(=O)c1ccccc1",
    "phenol": "Oc1ccccc1",
    "indole": "c1ccc2[nH]ccc2c1",
    "quinazoline": "c1ccc2ncncc2c1",
    "sulfanilamide": "Nc1ccc(cc1)S(N)(=O)=O",
    "tolbutamide": "CCCCNC(=O)NS(=O)(=O)c1ccc(C)cc1",
    "metformin": "CN(C)C(=N)NC(N)=N",
    "lidocaine": "CCN(CC)CC(=O)Nc1c(C)cccc1C",
    "propranolol": "CC(C)NCC(O)COc1cccc2ccccc12",
    "fluconazole": "OC(Cn1cncn1)(Cn1cncn1)c1ccc(F)cc1F",
    "nicotinamide": "NC(=O)c1cccnc1",
    "biphenyl_acid": "OC(=O)c1ccc(cc1)-c1ccccc1",
}


def read_box():
    box = {}
    for line in (TEST_DATA / "conf.txt").read_text().splitlines():
        if "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            if key.startswith(("center_", "size_")):
                box[key] = float(value)
    return box


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def dock(name, smiles, directory, box, settings):
    ligand = directory / "ligands" / f"{name}.pdbqt"
    out = directory / "poses" / f"{name}.pdbqt"
    if out.exists():
        return name, out
    run(["obabel", f"-:{smiles}", "--gen3d", "-p", "7.4", "-O", str(ligand)])
    command = ["vina", "--receptor", str(directory / "receptor.pdbqt"), "--ligand", str(ligand), "--out",
               str(out) + ".partial", "--exhaustiveness", str(settings["exhaustiveness"]), "--num_modes",
               str(settings["num_modes"]), "--seed", "1", "--cpu", "1"]
    for key, value in box.items():
        command += [f"--{key}", str(value)]
    run(command)
    os.replace(str(out) + ".partial", out)
    return name, out


def best_score(pose_file):
    for line in pose_file.read_text().splitlines():
        if line.startswith("REMARK VINA RESULT:"):
            return float(line.split()[3])
    raise RuntimeError(f"{pose_file} holds no 'REMARK VINA RESULT' line")


def main():
    parser = argparse.ArgumentParser(description="Dock the default model's ligands with AutoDock Vina (cached).")
    parser.add_argument("--exhaustiveness", type=int, default=2)
    parser.add_argument("--num-modes", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=os.cpu_count() or 1, help="ligands docked at once")
    args = parser.parse_args()
    for program in ("vina", "obabel"):
        if shutil.which(program) is None:
            sys.exit(f"make_docked_set: {program} is not installed (Debian packages autodock-vina, openbabel)")
    settings = {"exhaustiveness": args.exhaustiveness, "num_modes": args.num_modes, "ligands": LIGANDS}
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "openmm-affinity" / "default-model-data"
    directory = cache / key
    (directory / "ligands").mkdir(parents=True, exist_ok=True)
    (directory / "poses").mkdir(exist_ok=True)
    with gzip.open(TEST_DATA / "protein.pdbqt.gz", "rb") as source:
        (directory / "receptor.pdbqt").write_bytes(source.read())
    box = read_box()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.cpu) as pool:
        jobs = [pool.submit(dock, name, smiles, directory, box, settings) for name, smiles in LIGANDS.items()]
        for done, job in enumerate(concurrent.futures.as_completed(jobs), 1):
            name, out = job.result()
            print(f"make_docked_set: [{done}/{len(jobs)}] {name}: best Vina score {best_score(out):.2f} kcal/mol",
                  flush=True)
    with open(directory / "targets.csv", "w") as targets:
        targets.write("# target: AutoDock Vina's best score per ligand (kcal/mol), a stand-in for a measured dG\n")
        targets.write("ligand,target\n")
        for name in LIGANDS:
            targets.write(f"{name},{best_score(directory / 'poses' / f'{name}.pdbqt')}\n")
    (directory / "settings.json").write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n")
    print(directory)


if __name__ == "__main__":
    main()
