#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prepare the measured-affinity data set that affinity_train trains and evaluates on.

Reads the two public FEP benchmark collections (Ross et al. 2023 and Uni-FEP Benchmarks, see
README.md beside this script) and writes, for every congeneric series, a cropped heavy-atom
pocket (pocket.pdb.gz) and the ligands' poses (poses.sdf.gz), plus manifest.csv (one row per
ligand), heldout_proteins.txt (the fixed test proteins) and skipped.csv (what was left out and
why).

    prepare_measured_affinities.py --ross DIR --unifep DIR --out DIR
    prepare_measured_affinities.py --tarball affinity-data.tar.gz --out DIR

Needs RDKit and numpy; Vina scores need the `obabel` and `vina` programs on PATH.
"""

import argparse
import csv
import fnmatch
import gzip
import hashlib
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np

# ---------------------------------------------------------------------------------------------
# Constants

R_KCAL = 1.987204259e-3     # gas constant, kcal/(mol K)
TEMPERATURE = 298.15        # K
UNIT_TO_MOLAR = {"M": 1.0, "mM": 1e-3, "uM": 1e-6, "µM": 1e-6, "μM": 1e-6, "nM": 1e-9,
                 "pM": 1e-12}

POCKET_CUTOFF = 12.0        # Å, whole residues with any heavy atom this close to a pose atom
CLASH_DISTANCE = 2.2        # Å, pocket heavy atoms closer than this to a ligand heavy atom
MIN_POSE_RMSD = 0.5         # Å, heavy-atom RMSD between kept poses of one ligand
VINA_BOX_MARGIN = 1.0       # Å around the poses
MIN_MCS_ATOMS = 5
MIN_MCS_FRACTION = 0.30
HELDOUT_SALT = "heldout-v1:"
HELDOUT_MIN_FRACTION = 0.15
HELDOUT_MAX_FRACTION = 0.20
HELDOUT_MIN_SERIES = 12     # test series with at least HELDOUT_SERIES_SIZE ligands
HELDOUT_SERIES_SIZE = 8

MANIFEST_COLUMNS = ["ligand", "series", "protein", "receptor", "poses", "target", "split",
                    "source", "heavy_atoms", "num_poses", "vina_score"]

# Ross et al. 2023 series -> target gene symbol (upper case). Read from the series names and,
# where the name does not say, from the pocket's sequence.
ROSS_GENES = {
    "bayer_macrocycles/ftase_extraligs_custcore_stereo": "FNTB",  # farnesyltransferase (FNTA+FNTB; site in beta)
    "bayer_macrocycles/wagner_brd4": "BRD4",
    "charge_annhil/dlk": "MAP3K12",           # dual leucine zipper kinase
    "charge_annhil/egfr": "EGFR",
    "charge_annhil/ephx2": "EPHX2",           # soluble epoxide hydrolase
    "charge_annhil/irak4_s2": "IRAK4",
    "charge_annhil/irak4_s3": "IRAK4",
    "charge_annhil/itk": "ITK",
    "fragments/frag_liga_auto": "LIGA",       # bacterial NAD+-dependent DNA ligase
    "fragments/frag_mup1": "MUP1",            # mouse major urinary protein 1
    "fragments/hsp90_frag_2rings": "HSP90AA1",
    "fragments/hsp90_frag_single_ring": "HSP90AA1",
    "fragments/t4lysozyme_uvt": "T4L",        # bacteriophage T4 lysozyme (gene e)
    "gpcrs/a2a_hip278": "ADORA2A",
    "gpcrs/ox2_hip_custcore": "HCRTR2",       # orexin 2 receptor
    "gpcrs/p2y1_meta_sub": "P2RY1",
    "gpcrs/p2y1_ortho_sub": "P2RY1",
    "macrocycles/2B8V_lig24and25_alpha05": "BACE1",   # sequence: ...DTGSSNFAV...
    "macrocycles/2E9P_lig4to7_alpha05": "CHEK1",      # sequence: Chk1 kinase domain
    "macrocycles/2Q15_lig17to21_alpha05": "BACE1",
    "macrocycles/3RKZ_lig62to70_alpha05": "HSP90AA1",  # sequence: Hsp90 N-terminal domain
    "macrocycles/MHT1_lig3_alpha05": "NUDT1",          # MTH1
    "macrocycles/ck2_custcore_hotlys": "CSNK2A1",
    "macrocycles/hsp90_3hvd_custcore": "HSP90AA1",
    "mcs_docking/hne": "ELANE",               # human neutrophil elastase
    "mcs_docking/renin_customcore": "REN",
    "misc/btk_extra_flip": "BTK",
    "misc/galectin3_extra": "LGALS3",
    "misc/hfaah": "FAAH",
    "misc/hiv_prot_ekegren": "HIV1-PR",       # HIV-1 protease (pol)
    "opls_stress/chk1_set1": "CHEK1",
    "opls_stress/chk1_set2": "CHEK1",
    "opls_stress/chk1_set3": "CHEK1",
    "opls_stress/chk1_set4": "CHEK1",
    "opls_stress/chk1_set5": "CHEK1",
    "opls_stress/chk1_set6": "CHEK1",
    "opls_stress/chk1_set7": "CHEK1",
    "opls_stress/fxa_set3": "F10",
    "opls_stress/fxa_set4": "F10",
    "opls_stress/fxa_set5": "F10",
    "opls_stress/fxa_set6": "F10",
    "opls_stress/fxa_yoshikawa_set": "F10",
    "scaffold_hopping/CHK1_3u9n_corehop": "CHEK1",
    "scaffold_hopping/EZH2_5ij7_corehop": "EZH2",
    "scaffold_hopping/Era_2q70": "ESR1",
    "scaffold_hopping/Fxa_2ei8": "F10",
    "scaffold_hopping/TPSB2_3v7t": "TPSB2",
    "waterset/brd41_ASH106": "BRD4",
    "waterset/chk1": "CHEK1",
    "waterset/hsp90_kung": "HSP90AA1",
    "waterset/hsp90_woodhead": "HSP90AA1",
    "waterset/scyt_dehyd": "SDH1",            # scytalone dehydratase (Magnaporthe)
    "waterset/taf12": "TAF1",                 # TAF1 second bromodomain
    "waterset/urokinase": "PLAU",
}

# Uni-FEP target names that are not gene symbols -> gene symbol. Others are used upper-cased.
UNIFEP_SYNONYMS = {
    "3CLPro": "SARS2-3CLPRO",   # SARS-CoV-2 main protease (nsp5)
    "A2A": "ADORA2A",
    "ACK1": "TNK2",
    "Brd4(1)-ASH106": "BRD4",
    "beta1": "ADRB1",
    "Chk1": "CHEK1",
    "D3": "DRD3",
    "DOR": "OPRD1",
    "FKBP12": "FKBP1A",
    "FXR": "NR1H4",
    "Galectin-3": "LGALS3",
    "HNE": "ELANE",
    "HSP90": "HSP90AA1",
    "KRAS-G12D": "KRAS",
    "Menin": "MEN1",
    "mGluR5": "GRM5",
    "OX2-set1": "HCRTR2",
    "OX2-set2": "HCRTR2",
    "Pka": "PRKACA",
    "Scytalone-Dehydratase": "SDH1",
    "TA1": "TAAR1",
    "Taf1(2)": "TAF1",
    "Urokinase": "PLAU",
}

# Close homologues that go to the same side of the split, as one unit named by the key.
HOMOLOGUE_GROUPS = {
    "HSP90-FAMILY": ["HSP90AA1", "TRAP1"],
    "PI3K": ["PIK3CA", "PIK3CB", "PIK3CD", "PIK3CG", "PIK3C3"],
    "BET": ["BRD2", "BRD3", "BRD4", "BRDT"],
    "DYRK": ["DYRK1A", "DYRK1B", "DYRK2"],
    "PDE": ["PDE1B", "PDE4B", "PDE4D", "PDE5A"],
    "PIM": ["PIM1", "PIM2"],
    "PARP": ["PARP1", "PARP2"],
    "FAK-PYK2": ["PTK2", "PTK2B"],
    "PPAR": ["PPARD", "PPARG"],
    "CATHEPSIN-L-S": ["CTSL", "CTSS"],
    "SRC-FAMILY": ["SRC", "LCK"],
    "TEC-FAMILY": ["BTK", "ITK"],
    "RAF": ["BRAF", "RAF1"],
    "COAGULATION-FACTORS": ["F7", "F10", "F11"],
    "BACE": ["BACE1", "BACE2"],
}
GENE_TO_GROUP = {g: name for name, genes in HOMOLOGUE_GROUPS.items() for g in genes}

# Records of the source that carry no measured affinity on purpose (not an error).
ROSS_EXPECTED_WITHOUT_DG = {
    ("macrocycles/2Q15_lig17to21_alpha05", "ligand17_int"): "no measured affinity in the source "
        "(an intermediate of the FEP map; the record carries only FEP-mapper bookkeeping tags)",
}


class DataError(Exception):
    """A problem in an input file, with the file and the record or line in the message."""


# ---------------------------------------------------------------------------------------------
# Units


def dg_from_constant(value, unit):
    """ΔG = RT ln K (kcal/mol, 298.15 K) for a dissociation/inhibition constant K in `unit`."""
    if unit not in UNIT_TO_MOLAR:
        raise ValueError(f"unknown concentration unit {unit!r}")
    if not value > 0:
        raise ValueError(f"constant must be positive, got {value!r}")
    return R_KCAL * TEMPERATURE * math.log(value * UNIT_TO_MOLAR[unit])


# ---------------------------------------------------------------------------------------------
# Ross-style SDF reader


def split_sdf_records(text):
    """The records of an SDF as (1-based index, molblock text, {tag: value})."""
    records = []
    chunks = re.split(r"^\$\$\$\$[ \t]*\r?\n?", text, flags=re.M)
    for chunk in chunks:
        if not chunk.strip():
            continue
        lines = chunk.splitlines()
        end = next((i for i, l in enumerate(lines) if l.startswith("M  END")), None)
        tags = {}
        if end is not None:
            i = end + 1
            while i < len(lines):
                m = re.match(r"^>.*<([^>]+)>", lines[i])
                if m:
                    values = []
                    i += 1
                    while i < len(lines) and lines[i].strip() != "":
                        values.append(lines[i])
                        i += 1
                    tags[m.group(1)] = "\n".join(values).strip()
                i += 1
            block = "\n".join(lines[:end + 1]) + "\n"
        else:
            block = chunk
        records.append((len(records) + 1, block, tags))
    return records


def _parse_float(path, index, title, tag, value):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{path}: record {index} ('{title}'): tag <{tag}> is not a number: "
                        f"{value!r}") from None
    if not math.isfinite(x):
        raise DataError(f"{path}: record {index} ('{title}'): tag <{tag}> is not finite: {value!r}")
    return x


def ross_dg(path, index, title, tags):
    """(ΔG in kcal/mol, how it was found) from the tags of one record, or (None, reason).

    Order: r_exp_dg (kcal/mol); r_fepplus_exp_dg (kcal/mol); a constant r_exp_ki / r_exp_kd /
    r_exp_ic50 (or i_fepmapper_affinity) with its unit in s_exp_unit (or i_fepmapper_unit)
    given as a concentration unit (M, mM, uM, µM, nM, pM), converted by ΔG = RT ln K.
    """
    for tag in ("r_exp_dg", "r_fepplus_exp_dg"):
        if tag in tags:
            return _parse_float(path, index, title, tag, tags[tag]), tag
    for tag, unit_tags in (("r_exp_ki", ("s_exp_unit",)), ("r_exp_kd", ("s_exp_unit",)),
                           ("r_exp_ic50", ("s_exp_unit",)),
                           ("i_fepmapper_affinity", ("s_fepmapper_unit", "i_fepmapper_unit"))):
        if tag not in tags:
            continue
        value = _parse_float(path, index, title, tag, tags[tag])
        unit_tag = next((u for u in unit_tags if u in tags), None)
        if unit_tag is None:
            return None, f"<{tag}> without a unit tag ({' or '.join(unit_tags)}), not convertible"
        unit = tags[unit_tag].strip()
        if unit not in UNIT_TO_MOLAR:
            return None, (f"<{tag}>={tags[tag]} with <{unit_tag}>={unit!r}: not a concentration "
                          f"unit, not convertible")
        try:
            return dg_from_constant(value, unit), f"{tag} [{unit}] -> RT ln K"
        except ValueError as e:
            raise DataError(f"{path}: record {index} ('{title}'): tag <{tag}>: {e}") from None
    return None, "no ΔG tag (r_exp_dg, r_fepplus_exp_dg, r_exp_ki/kd/ic50 + s_exp_unit)"


def read_ross_sdf(path, series=None, expected_without_dg=None):
    """Ligand records of a Ross-style SDF as dicts (index, title, mol with H, dg, dg_source).

    A record without a usable ΔG raises DataError, unless (series, title) is listed in
    expected_without_dg; then it is returned with dg None and the reason in 'skip'.
    """
    from rdkit import Chem
    expected_without_dg = ROSS_EXPECTED_WITHOUT_DG if expected_without_dg is None else expected_without_dg
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    out = []
    for index, block, tags in split_sdf_records(text):
        title = block.splitlines()[0].strip() if block.strip() else ""
        dg, how = ross_dg(path, index, title, tags)
        rec = {"index": index, "title": title, "dg": dg, "dg_source": how, "skip": None}
        if dg is None:
            if (series, title) in expected_without_dg:
                rec["skip"] = expected_without_dg[(series, title)]
            else:
                raise DataError(f"{path}: record {index} ('{title}'): {how}")
        mol = Chem.MolFromMolBlock(block, removeHs=False)
        if mol is None:
            mol = Chem.MolFromMolBlock(block, removeHs=False, sanitize=False)
            if rec["skip"] is None:
                rec["skip"] = "RDKit cannot sanitize the record"
        rec["mol"] = mol
        out.append(rec)
    return out


def group_ross_records(records, series):
    """Records sharing a title -> poses of one ligand when their heavy atoms agree in element
    order; returns ([ligand dicts], [(series, ligand, reason)])."""
    from rdkit import Chem
    ligands, order, skipped = {}, [], []
    for rec in records:
        if rec["skip"]:
            skipped.append((series, rec["title"], f"record {rec['index']}: {rec['skip']}"))
            continue
        heavy = Chem.RemoveAllHs(rec["mol"])
        elements = [a.GetSymbol() for a in heavy.GetAtoms()]
        lig = ligands.get(rec["title"])
        if lig is None:
            ligands[rec["title"]] = {"name": rec["title"], "dg": rec["dg"], "elements": elements,
                                     "poses_h": [rec["mol"]], "poses": [heavy],
                                     "pose_source": "published", "records": [rec["index"]]}
            order.append(rec["title"])
        elif elements != lig["elements"]:
            skipped.append((series, rec["title"], f"record {rec['index']}: shares its title with "
                            f"record {lig['records'][0]} but its heavy atoms differ in element "
                            f"order; kept the first"))
        else:
            if abs(rec["dg"] - lig["dg"]) > 1e-6:
                skipped.append((series, rec["title"], f"record {rec['index']}: ΔG {rec['dg']} "
                                f"differs from record {lig['records'][0]} ({lig['dg']}); "
                                f"kept as a pose with the first ΔG"))
            lig["poses_h"].append(rec["mol"])
            lig["poses"].append(heavy)
            lig["records"].append(rec["index"])
    return [ligands[t] for t in order], skipped


# ---------------------------------------------------------------------------------------------
# Uni-FEP-style CSV reader

UNIFEP_COLUMNS = ("ligand_smiles", "ligand_name", "exp_dG (kcal/mol)")


def read_unifep_csv(path, strict=True):
    """Rows of result_dG.csv as dicts (line, name, smiles, mol (heavy atoms), dg).

    strict: a bad row raises DataError naming the file and line; otherwise it is returned with
    mol/dg None and the message in 'error'.
    """
    from rdkit import Chem
    from rdkit import RDLogger
    RDLogger.DisableLog("rdApp.*")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(f"{path}: empty file, expected columns {', '.join(UNIFEP_COLUMNS)}") from None
        for col in UNIFEP_COLUMNS:
            if col not in header:
                raise DataError(f"{path}: missing column '{col}' (header: {','.join(header)})")
        ix = {c: header.index(c) for c in UNIFEP_COLUMNS}
        rows = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            get = lambda c: row[ix[c]].strip() if ix[c] < len(row) else ""
            rec = {"line": line, "name": get("ligand_name"), "smiles": get("ligand_smiles"),
                   "mol": None, "dg": None, "error": None}
            try:
                rec["dg"] = float(get("exp_dG (kcal/mol)"))
                if not math.isfinite(rec["dg"]):
                    raise ValueError
            except ValueError:
                rec["error"] = (f"{path} line {line} (ligand '{rec['name']}'): exp_dG (kcal/mol) is "
                                f"not a number: {get('exp_dG (kcal/mol)')!r}")
            if rec["error"] is None:
                mol = Chem.MolFromSmiles(rec["smiles"]) if rec["smiles"] else None
                if mol is None:
                    rec["error"] = (f"{path} line {line} (ligand '{rec['name']}'): SMILES does not "
                                    f"parse: {rec['smiles']}")
                else:
                    rec["mol"] = Chem.RemoveAllHs(mol)
            if rec["error"] and strict:
                raise DataError(rec["error"])
            rows.append(rec)
    return rows


# ---------------------------------------------------------------------------------------------
# Pockets


def _element(line):
    e = line[76:78].strip() if len(line) >= 78 else ""
    if not e:
        name = line[12:16].strip()
        e = re.sub(r"[^A-Za-z]", "", name)[:1]
    return e.capitalize()


def read_pocket(path):
    """Atom lines of a PDB grouped by residue: list of (key, [lines], heavy xyz array)."""
    residues, index = [], {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith(("ATOM  ", "HETATM")):
                continue
            key = (line[:6], line[21], line[22:27], line[17:20])
            if key not in index:
                index[key] = len(residues)
                residues.append((key, [], []))
            r = residues[index[key]]
            r[1].append(line.rstrip("\r\n"))
            if _element(line) not in ("H", "D"):
                r[2].append((float(line[30:38]), float(line[38:46]), float(line[46:54])))
    return [(k, lines, np.array(xyz, dtype=float).reshape(-1, 3)) for k, lines, xyz in residues]


def min_distances(points, reference, chunk=2048):
    """For each point, the distance to the nearest reference point."""
    out = np.empty(len(points))
    ref = np.asarray(reference, dtype=float)
    r2 = (ref ** 2).sum(1)
    for i in range(0, len(points), chunk):
        p = points[i:i + chunk]
        d2 = (p ** 2).sum(1)[:, None] + r2[None, :] - 2.0 * p @ ref.T
        out[i:i + chunk] = np.sqrt(np.maximum(d2.min(1), 0.0))
    return out


def crop_pocket(residues, ligand_xyz, cutoff=POCKET_CUTOFF):
    """Residues with any heavy atom within cutoff of any ligand atom (whole residues)."""
    kept = []
    for key, lines, xyz in residues:
        if len(xyz) and min_distances(xyz, ligand_xyz).min() <= cutoff:
            kept.append((key, lines, xyz))
    return kept


def pocket_text(residues, heavy_only, remark):
    out = [f"REMARK   1 {remark}"]
    chain = None
    for key, lines, _ in residues:
        if chain is not None and key[1] != chain:
            out.append("TER")
        chain = key[1]
        for line in lines:
            if heavy_only and _element(line) in ("H", "D"):
                continue
            out.append(line)
    out.append("END")
    return "\n".join(out) + "\n"


def write_gz(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Pose generation (Uni-FEP ligands on the reference ligand)


def clash_count(xyz, pocket_heavy):
    if len(pocket_heavy) == 0:
        return 0
    return int((min_distances(pocket_heavy, xyz) < CLASH_DISTANCE).sum())


def generate_poses(lig, ref, pocket_heavy, n_embed=4, max_poses=3, mcs_timeout=1, seed=20231):
    """Poses of `lig` (heavy-atom mol from SMILES) placed on its MCS with `ref` (mol with a
    conformer). Returns (poses_h [mols with H, one conformer each], source) or raises
    ValueError with the reason."""
    from rdkit import Chem
    from rdkit.Chem import AllChem, rdFMCS, rdMolAlign
    from rdkit.Geometry import Point3D
    ref_heavy = Chem.RemoveAllHs(ref)
    mcs = rdFMCS.FindMCS([lig, ref_heavy], timeout=mcs_timeout, ringMatchesRingOnly=True,
                         completeRingsOnly=True, atomCompare=rdFMCS.AtomCompare.CompareElements,
                         bondCompare=rdFMCS.BondCompare.CompareOrder)
    n = lig.GetNumAtoms()
    if mcs.numAtoms < MIN_MCS_ATOMS or mcs.numAtoms < MIN_MCS_FRACTION * n:
        raise ValueError(f"MCS with the reference ligand too small: {mcs.numAtoms} of {n} heavy "
                         f"atoms (need >= {MIN_MCS_ATOMS} and >= {MIN_MCS_FRACTION:.0%})"
                         + (" [MCS timed out]" if mcs.canceled else ""))
    patt = Chem.MolFromSmarts(mcs.smartsString)
    lig_match = lig.GetSubstructMatch(patt)
    ref_match = ref_heavy.GetSubstructMatch(patt)
    if not lig_match or not ref_match:
        raise ValueError("MCS pattern does not match back onto the molecules")
    ref_conf = ref_heavy.GetConformer()
    mol_h = Chem.AddHs(lig)
    cmap = {li: Point3D(*ref_conf.GetAtomPosition(ri)) for li, ri in zip(lig_match, ref_match)}
    atom_map = list(zip(lig_match, ref_match))
    source = "mcs-embed"
    cids = list(AllChem.EmbedMultipleConfs(mol_h, numConfs=n_embed, coordMap=cmap, randomSeed=seed,
                                           maxAttempts=3, numThreads=1))
    if not cids:
        # The reference coordinates can conflict with the ligand's stereochemistry: embed
        # freely, then align on the common atoms.
        source = "mcs-align"
        cids = list(AllChem.EmbedMultipleConfs(mol_h, numConfs=n_embed, randomSeed=seed,
                                               maxAttempts=3, numThreads=1))
    if not cids:
        raise ValueError("RDKit embedding failed (with and without the MCS coordinate map)")
    heavy_idx = [a.GetIdx() for a in mol_h.GetAtoms() if a.GetAtomicNum() > 1]
    scored = []
    for cid in cids:
        rms = rdMolAlign.AlignMol(mol_h, ref_heavy, prbCid=cid, atomMap=atom_map)
        xyz = mol_h.GetConformer(cid).GetPositions()[heavy_idx]
        scored.append((clash_count(xyz, pocket_heavy), round(rms, 3), cid, xyz))
    scored.sort(key=lambda s: (s[0], s[1], s[2]))
    kept = []
    for s in scored:
        if all(np.sqrt(((s[3] - k[3]) ** 2).sum(1).mean()) > MIN_POSE_RMSD for k in kept):
            kept.append(s)
        if len(kept) == max_poses:
            break
    poses = []
    for s in kept:
        m = Chem.Mol(mol_h)
        conf = Chem.Conformer(mol_h.GetConformer(s[2]))
        m.RemoveAllConformers()
        m.AddConformer(conf, assignId=True)
        poses.append(m)
    return poses, source


# ---------------------------------------------------------------------------------------------
# Vina


def vina_scores(receptor_pdb_text, poses_h, workdir):
    """AutoDock Vina --score_only of each pose (list of float or None), one receptor PDBQT."""
    from rdkit import Chem
    os.makedirs(workdir, exist_ok=True)
    rec_pdb = os.path.join(workdir, "rec.pdb")
    rec_pdbqt = os.path.join(workdir, "rec.pdbqt")
    with open(rec_pdb, "w") as f:
        f.write(receptor_pdb_text)
    subprocess.run(["obabel", rec_pdb, "-xr", "-p", "7.4", "-O", rec_pdbqt], check=True,
                   capture_output=True)
    lig_sdf = os.path.join(workdir, "poses.sdf")
    w = Chem.SDWriter(lig_sdf)
    for m in poses_h:
        w.write(m)
    w.close()
    subprocess.run(["obabel", "-isdf", lig_sdf, "-p", "7.4", "-opdbqt", "-m", "-O",
                    os.path.join(workdir, "lig.pdbqt")], check=True, capture_output=True)
    paths = [os.path.join(workdir, f"lig{i + 1}.pdbqt") for i in range(len(poses_h))]
    coords = []
    for path in paths:
        if os.path.exists(path):
            coords.append(np.array([[float(l[30:38]), float(l[38:46]), float(l[46:54])]
                                    for l in open(path) if l.startswith(("ATOM", "HETATM"))]))
        else:
            coords.append(None)
    present = [i for i, c in enumerate(coords) if c is not None and len(c)]
    scores = [None] * len(poses_h)
    if not present:
        return scores

    def box(xyz):
        lo, hi = xyz.min(0), xyz.max(0)
        args = []
        for axis, c, size in zip("xyz", (lo + hi) / 2, hi - lo + 2 * VINA_BOX_MARGIN):
            args += [f"--center_{axis}", f"{c:.3f}", f"--size_{axis}", f"{size:.3f}"]
        return args

    # One Vina process per series: in batch mode Vina 1.2 computes the grid maps once and, with
    # --local_only, prints each ligand's score before the optimisation, which is the
    # --score_only value (the optimised poses are discarded).
    out_dir = os.path.join(workdir, "out")
    os.makedirs(out_dir, exist_ok=True)
    cmd = ["vina", "--receptor", rec_pdbqt, "--local_only", "--cpu", "1", "--verbosity", "2",
           "--dir", out_dir] + box(np.concatenate([coords[i] for i in present]))
    for i in present:
        cmd += ["--batch", paths[i]]
    r = subprocess.run(cmd, capture_output=True, text=True)
    found = re.findall(r"Before local optimization:\s*\nEstimated Free Energy of Binding\s*:\s*(-?[0-9.]+)",
                       r.stdout)
    if r.returncode == 0 and len(found) == len(present):
        for i, x in zip(present, found):
            scores[i] = float(x)
        return scores
    for i in present:   # one --score_only call per pose
        cmd = ["vina", "--receptor", rec_pdbqt, "--ligand", paths[i], "--score_only", "--cpu", "1",
               "--verbosity", "1"] + box(coords[i])
        r = subprocess.run(cmd, capture_output=True, text=True)
        m = re.search(r"Estimated Free Energy of Binding\s*:\s*(-?[0-9.]+)", r.stdout)
        scores[i] = float(m.group(1)) if m else None
    return scores


# ---------------------------------------------------------------------------------------------
# Series processing


def fmt(x, digits):
    if x is None:
        return ""
    s = f"{x:.{digits}f}"
    return "0" + s[s.index("."):] if s.startswith("-0.") and float(s) == 0 else s


def write_series(out_dir, series, ligands, residues, vina, workdir, remark, first_only=False):
    """Crop the pocket, score the poses, write pocket.pdb.gz and poses.sdf.gz; manifest rows."""
    from rdkit import Chem
    xyz = np.concatenate([p.GetConformer().GetPositions() for lig in ligands for p in lig["poses"]])
    kept = crop_pocket(residues, xyz)
    folder = os.path.join(out_dir, series)
    write_gz(os.path.join(folder, "pocket.pdb.gz"), pocket_text(kept, True, remark))
    all_poses_h = [p for lig in ligands for p in lig["poses_h"]]
    scores = [None] * len(all_poses_h)
    if vina and all_poses_h:
        wanted = [i for i, j in enumerate(
            j for lig in ligands for j in range(len(lig["poses_h"]))) if not first_only or j == 0]
        got = vina_scores(pocket_text(kept, False, remark), [all_poses_h[i] for i in wanted], workdir)
        for i, x in zip(wanted, got):
            scores[i] = x
    buf = io.StringIO()
    w = Chem.SDWriter(buf)
    w.SetKekulize(True)
    rows, k = [], 0
    for lig in ligands:
        lig_scores = []
        for pose in lig["poses"]:
            m = Chem.Mol(pose)
            for prop in list(m.GetPropNames()):
                m.ClearProp(prop)
            m.SetProp("_Name", lig["name"])
            m.SetProp("dg_exp", fmt(lig["dg"], 4))
            m.SetProp("vina_score_only", fmt(scores[k], 3))
            m.SetProp("pose_source", lig["pose_sources"][len(lig_scores)] if "pose_sources" in lig
                      else lig["pose_source"])
            w.write(m)
            lig_scores.append(scores[k])
            k += 1
        got = [s for s in lig_scores if s is not None]
        rows.append({"ligand": lig["name"], "series": series,
                     "receptor": f"{series}/pocket.pdb.gz", "poses": f"{series}/poses.sdf.gz",
                     "target": fmt(lig["dg"], 4), "heavy_atoms": lig["poses"][0].GetNumAtoms(),
                     "num_poses": len(lig["poses"]), "vina_score": fmt(min(got), 3) if got else ""})
    w.close()
    write_gz(os.path.join(folder, "poses.sdf.gz"), buf.getvalue())
    return rows, len(all_poses_h), sum(s is not None for s in scores)


def unifep_reference_index(rows, ref):
    """Index of the row that is the reference ligand (by name or isomeric canonical SMILES)."""
    from rdkit import Chem
    ref_name = ref.GetProp("_Name") if ref.HasProp("_Name") else ""
    for i, r in enumerate(rows):
        if r["mol"] is not None and ref_name and r["name"] == ref_name:
            return i
    ref_smiles = Chem.MolToSmiles(Chem.RemoveAllHs(ref))
    for i, r in enumerate(rows):
        if r["mol"] is not None and Chem.MolToSmiles(r["mol"]) == ref_smiles:
            return i
    return None


def process_unifep_series(src, name, rows, opts):
    """Ligand dicts with generated poses and skip rows for one Uni-FEP series."""
    from rdkit import Chem
    series = f"unifep/{name}"
    ref = Chem.MolFromMolFile(os.path.join(src, "ref_ligand.sdf"), removeHs=False)
    if ref is None:
        raise DataError(f"{os.path.join(src, 'ref_ligand.sdf')}: RDKit cannot read the reference ligand")
    if all(a.GetAtomicNum() > 1 for a in ref.GetAtoms()):
        ref = Chem.AddHs(ref, addCoords=True)
    residues = read_pocket(os.path.join(src, "protein_pocket.pdb"))
    pocket_heavy = np.concatenate([xyz for _, _, xyz in residues])
    ref_xyz = Chem.RemoveAllHs(ref).GetConformer().GetPositions()
    pocket_heavy = pocket_heavy[min_distances(pocket_heavy, ref_xyz) < 20.0]
    ref_i = unifep_reference_index(rows, ref)
    ligands, skipped, seen = [], [], set()
    for i, r in enumerate(rows):
        if r["error"]:
            skipped.append((series, r["name"], f"line {r['line']}: " + r["error"].split("): ", 1)[-1]))
            continue
        if r["name"] in seen:
            skipped.append((series, r["name"], f"line {r['line']}: duplicate ligand name; kept the first"))
            continue
        if i == ref_i:
            heavy = Chem.RemoveAllHs(ref)
            lig = {"name": r["name"], "dg": r["dg"], "poses": [heavy], "poses_h": [ref],
                   "pose_source": "published"}
        else:
            try:
                poses_h, source = generate_poses(r["mol"], ref, pocket_heavy, n_embed=opts.embeddings,
                                                 max_poses=opts.max_poses,
                                                 mcs_timeout=opts.mcs_timeout)
            except ValueError as e:
                skipped.append((series, r["name"], f"line {r['line']}: {e}"))
                continue
            lig = {"name": r["name"], "dg": r["dg"], "poses_h": poses_h,
                   "poses": [Chem.RemoveAllHs(p) for p in poses_h], "pose_source": source}
        seen.add(r["name"])
        ligands.append(lig)
    return ligands, skipped, residues


# ---------------------------------------------------------------------------------------------
# Proteins and the split


def unifep_gene(target):
    return UNIFEP_SYNONYMS.get(target, target).upper()


def choose_heldout(series_info):
    """series_info: {series: (gene, ligand count)}. Returns (test groups in order, rule text)."""
    group_ligands, group_series = {}, {}
    total = sum(n for _, n in series_info.values())
    for s, (gene, n) in series_info.items():
        g = GENE_TO_GROUP.get(gene, gene)
        group_ligands[g] = group_ligands.get(g, 0) + n
        group_series.setdefault(g, []).append(n)
    order = sorted(group_ligands, key=lambda g: hashlib.sha256((HELDOUT_SALT + g).encode()).hexdigest())
    chosen, n_test, n_big = [], 0, 0
    for g in order:
        if n_test >= HELDOUT_MIN_FRACTION * total and n_big >= HELDOUT_MIN_SERIES:
            break
        if n_test + group_ligands[g] > HELDOUT_MAX_FRACTION * total:
            continue
        chosen.append(g)
        n_test += group_ligands[g]
        n_big += sum(1 for n in group_series[g] if n >= HELDOUT_SERIES_SIZE)
    return chosen, n_test, total, n_big


# ---------------------------------------------------------------------------------------------
# Main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Example: prepare_measured_affinities.py --tarball affinity-data.tar.gz --out measured_affinities")
    p.add_argument("--ross", help="the unpacked ross2023/ folder")
    p.add_argument("--unifep", help="the unpacked unifep/ folder")
    p.add_argument("--tarball", help="affinity-data.tar.gz (instead of --ross/--unifep)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--series", action="append", default=[],
                   help="only series matching this glob (e.g. 'unifep/ChEMBL_ADK*'); repeatable; "
                        "for trials (the split is still chosen from all series)")
    p.add_argument("--embeddings", type=int, default=4, help="RDKit embeddings per ligand (4)")
    p.add_argument("--max-poses", type=int, default=3, help="poses kept per generated ligand (3)")
    p.add_argument("--mcs-timeout", type=int, default=1, help="rdFMCS timeout in seconds (1)")
    p.add_argument("--vina", choices=["all", "test", "none"], default="test",
                   help="which series get Vina --score_only scores (test)")
    p.add_argument("--vina-poses", choices=["all", "first"], default="all",
                   help="score every pose, or only each ligand's first (fewest-clash) pose (all)")
    p.add_argument("--cache", help="folder for per-series results, so that a rerun resumes")
    p.add_argument("--cached-only", action="store_true",
                   help="with --cache: write the outputs from the series already in the cache and "
                        "leave the others out (listed in skipped.csv)")
    return p.parse_args(argv)


def main(argv=None):
    opts = parse_args(argv)
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="measured_affinities_")
    try:
        if opts.tarball:
            with tarfile.open(opts.tarball) as tar:
                tar.extractall(tmp, filter="data")
            opts.ross = opts.ross or os.path.join(tmp, "ross2023")
            opts.unifep = opts.unifep or os.path.join(tmp, "unifep")
        if not opts.ross or not opts.unifep:
            sys.exit("error: give --ross and --unifep, or --tarball")
        return run(opts, tmp, t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(opts, tmp, t0):
    from rdkit import RDLogger
    RDLogger.DisableLog("rdApp.*")
    out = opts.out
    os.makedirs(out, exist_ok=True)
    # Pass 1: read every input (cheap), count ligands per series, choose the split.
    jobs = []        # (series, gene, source, src folder, payload)
    series_info = {}
    with open(os.path.join(opts.ross, "series.csv"), newline="") as f:
        ross_series = [(r["group"], r["series"]) for r in csv.DictReader(f)]
    for group, name in ross_series:
        key = f"{group}/{name}"
        if key not in ROSS_GENES:
            raise DataError(f"{opts.ross}/series.csv: series {key} has no gene in ROSS_GENES")
        src = os.path.join(opts.ross, group, name)
        records = read_ross_sdf(os.path.join(src, "ligands.sdf"), series=key)
        n = len({r["title"] for r in records if not r["skip"]})
        jobs.append((f"ross2023/{key}", ROSS_GENES[key], "ross2023", src, records))
        series_info[f"ross2023/{key}"] = (ROSS_GENES[key], n)
    with open(os.path.join(opts.unifep, "series.csv"), newline="") as f:
        unifep_series = [(r["series"], r["target"]) for r in csv.DictReader(f)]
    for name, target in unifep_series:
        src = os.path.join(opts.unifep, name)
        rows = read_unifep_csv(os.path.join(src, "result_dG.csv"), strict=False)
        gene = unifep_gene(target)
        n = len({r["name"] for r in rows if not r["error"]})
        jobs.append((f"unifep/{name}", gene, "unifep", src, rows))
        series_info[f"unifep/{name}"] = (gene, n)
    groups, n_test, n_total, n_big = choose_heldout(series_info)
    test_genes = sorted(g for grp in groups for g in (HOMOLOGUE_GROUPS.get(grp, [grp]))
                        if any(gene == g for gene, _ in series_info.values()))
    write_heldout(out, groups, test_genes, n_test, n_total, n_big, series_info)
    print(f"held out: {len(test_genes)} proteins in {len(groups)} groups, {n_test} of {n_total} "
          f"ligands ({100.0 * n_test / n_total:.1f}%), {n_big} test series with >= "
          f"{HELDOUT_SERIES_SIZE} ligands", flush=True)

    # Pass 2: poses, pockets, scores, per series.
    manifest, skipped, stats = [], [], {}
    selected = [j for j in jobs if not opts.series or any(fnmatch.fnmatch(j[0], p) for p in opts.series)]
    # Test series first, so that the held-out set is complete first.
    selected.sort(key=lambda j: 0 if j[1] in test_genes else 1)
    for n_done, (series, gene, source, src, payload) in enumerate(selected, 1):
        split = "test" if gene in test_genes else "train"
        cached = None
        cache_file = os.path.join(opts.cache, series.replace("/", "__") + ".json") if opts.cache else None
        if cache_file and os.path.exists(cache_file):
            with open(cache_file) as f:
                cached = json.load(f)
        if cached is None and opts.cached_only:
            skipped.append((series, "*", "series not prepared (run stopped for time; rerun the "
                            "command with the same --cache to complete it)"))
            continue
        if cached is None:
            ts = time.time()
            if source == "ross2023":
                ligands, skips = group_ross_records(payload, series)
                residues = read_pocket(os.path.join(src, "protein_pocket.pdb"))
            else:
                ligands, skips, residues = process_unifep_series(src, os.path.basename(src), payload, opts)
            vina = opts.vina == "all" or (opts.vina == "test" and split == "test")
            remark = (f"{series}: whole residues within {POCKET_CUTOFF:g} A of the series' poses, "
                      f"heavy atoms only")
            rows, n_poses, n_scored = ([], 0, 0)
            if ligands:
                rows, n_poses, n_scored = write_series(out, series, ligands, residues, vina,
                                                       os.path.join(tmp, "vina", series), remark,
                                                       opts.vina_poses == "first")
            cached = {"rows": rows, "skipped": [list(s) for s in skips], "poses": n_poses,
                      "scored": n_scored, "seconds": round(time.time() - ts, 2)}
            if cache_file:
                os.makedirs(opts.cache, exist_ok=True)
                with open(cache_file, "w") as f:
                    json.dump(cached, f)
        for r in cached["rows"]:
            r.update(protein=gene, split=split, source=source)
            manifest.append(r)
        skipped.extend(tuple(s) for s in cached["skipped"])
        st = stats.setdefault((source, split), [0, 0, 0, 0])
        st[0] += 1
        st[1] += len(cached["rows"])
        st[2] += cached["poses"]
        st[3] += cached["scored"]
        print(f"[{n_done}/{len(selected)}] {series} ({gene}, {split}): {len(cached['rows'])} ligands, "
              f"{cached['poses']} poses, {cached['scored']} scored, {len(cached['skipped'])} skipped, "
              f"{cached['seconds']} s; total {time.time() - t0:.0f} s", flush=True)

    with open(os.path.join(out, "manifest.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS, lineterminator="\n",
                           quoting=csv.QUOTE_MINIMAL)
        w.writeheader()
        for r in manifest:
            w.writerow({c: r[c] for c in MANIFEST_COLUMNS})
    with open(os.path.join(out, "skipped.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["series", "ligand", "reason"])
        w.writerows(skipped)

    print("\nsummary")
    for (source, split), (ns, nl, npose, nsc) in sorted(stats.items()):
        print(f"  {source:9s} {split:5s}: {ns:4d} series {nl:5d} ligands {npose:6d} poses "
              f"{nsc:6d} with a Vina score")
    reasons = {}
    for _, _, reason in skipped:
        key = re.sub(r"^(line|record) \d+: ", "", reason)
        key = re.sub(r"\d+ of \d+ heavy atoms", "N of M heavy atoms", key)
        key = re.sub(r": .*", "", key) if key.startswith("SMILES") else key
        reasons[key] = reasons.get(key, 0) + 1
    print(f"  skipped: {len(skipped)}")
    for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"    {v:5d}  {k}")
    print(f"  run time: {time.time() - t0:.0f} s")
    return 0


def write_heldout(out, groups, test_genes, n_test, n_total, n_big, series_info):
    lines = [
        "# Held-out (test) proteins of the measured-affinity set: gene symbols, one a line.",
        "# Chosen once, deterministically, from the protein list alone (never from any model's",
        "# accuracy): proteins are merged into homologue groups (HOMOLOGUE_GROUPS in",
        "# prepare_measured_affinities.py; a protein outside any group is its own group), the",
        f"# groups are ordered by sha256(\"{HELDOUT_SALT}\" + group name), and groups are taken in",
        f"# that order, passing over any that would push the test share above {HELDOUT_MAX_FRACTION:.0%}",
        f"# of all ligands, until the test proteins hold at least {HELDOUT_MIN_FRACTION:.0%} of the ligands",
        f"# and at least {HELDOUT_MIN_SERIES} test series have >= {HELDOUT_SERIES_SIZE} ligands each. Every",
        "# series of a test protein, from either source, is test.",
        f"# Result: groups {', '.join(groups)};",
        f"# {n_test} of {n_total} ligands ({100.0 * n_test / n_total:.1f}%, counted before pose generation),",
        f"# {n_big} test series with >= {HELDOUT_SERIES_SIZE} ligands.",
    ]
    with open(os.path.join(out, "heldout_proteins.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines + test_genes) + "\n")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DataError as e:
        sys.exit(f"error: {e}")
