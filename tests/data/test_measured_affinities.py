# SPDX-License-Identifier: MIT
"""Tests of prepare_measured_affinities.py on small synthetic inputs (no source archive needed)."""

import csv
import gzip
import math
import os

import pytest

rdkit = pytest.importorskip("rdkit")
from rdkit import Chem  # noqa: E402
from rdkit.Chem import AllChem  # noqa: E402

import prepare_measured_affinities as pma  # noqa: E402

RT = 1.987204259e-3 * 298.15


def molblock_with_h(smiles, seed=1):
    m = Chem.AddHs(Chem.MolFromSmiles(smiles))
    AllChem.EmbedMolecule(m, randomSeed=seed)
    return m


def sdf_record(mol, title, tags):
    m = Chem.Mol(mol)
    m.SetProp("_Name", title)
    block = Chem.MolToMolBlock(m)
    for k, v in tags.items():
        block += f">  <{k}>\n{v}\n\n"
    return block + "$$$$\n"


def write_ross_series(root, subset, name, records):
    folder = root / subset / name
    folder.mkdir(parents=True)
    (folder / "ligands.sdf").write_text("".join(records))
    return folder


def pocket_pdb(lines_xyz):
    """ATOM lines of a tiny 'protein': one residue per (resname, xyz list)."""
    out, serial = [], 1
    for resseq, (resname, atoms) in enumerate(lines_xyz, 1):
        for name, element, (x, y, z) in atoms:
            rec = "HETATM" if resname == "HOH" else "ATOM  "
            out.append(f"{rec}{serial:5d} {name:<4s} {resname:3s} A{resseq:4d}    "
                       f"{x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00          {element:>2s}")
            serial += 1
    return "\n".join(out) + "\nEND\n"


def read_sdf_gz(path):
    with gzip.open(path, "rb") as f:
        return [m for m in Chem.ForwardSDMolSupplier(f, removeHs=False)]


# ---------------------------------------------------------------------------------------------
# Units


def test_dg_from_constant_nanomolar_and_micromolar():
    # 10 nM: RT ln(1e-8) = 0.5924847 * -18.420681 = -10.9140 kcal/mol (by hand)
    assert pma.dg_from_constant(10.0, "nM") == pytest.approx(-10.9140, abs=1e-3)
    assert pma.dg_from_constant(10.0, "nM") == pytest.approx(RT * math.log(1e-8), rel=1e-12)
    # 2.5 µM: RT ln(2.5e-6) = 0.5924847 * -12.899220 = -7.6426 kcal/mol (by hand)
    assert pma.dg_from_constant(2.5, "uM") == pytest.approx(-7.6426, abs=1e-3)
    assert pma.dg_from_constant(2.5, "µM") == pma.dg_from_constant(2.5, "uM")
    with pytest.raises(ValueError):
        pma.dg_from_constant(1.0, "kcal/mol")


# ---------------------------------------------------------------------------------------------
# Ross-style SDF


def test_ross_kcal_passthrough_and_constant_conversion(tmp_path):
    a = molblock_with_h("c1ccccc1O")
    b = molblock_with_h("c1ccccc1N")
    path = write_ross_series(tmp_path, "misc", "toy", [
        sdf_record(a, "lig_a", {"r_exp_dg": "-8.25"}),
        sdf_record(b, "lig_b", {"r_exp_ic50": "250", "s_exp_unit": "nM"}),
    ]) / "ligands.sdf"
    recs = pma.read_ross_sdf(str(path), series="misc/toy")
    assert [r["title"] for r in recs] == ["lig_a", "lig_b"]
    assert recs[0]["dg"] == -8.25
    assert recs[1]["dg"] == pytest.approx(RT * math.log(250e-9))
    assert recs[1]["dg"] == pytest.approx(-9.0068, abs=1e-3)   # 0.5924847 * ln(2.5e-7)


def test_ross_same_title_records_become_poses_heavy_atoms_only(tmp_path):
    a1 = molblock_with_h("CC(=O)Nc1ccccc1", seed=1)
    a2 = molblock_with_h("CC(=O)Nc1ccccc1", seed=2)
    c = molblock_with_h("CC(=O)Oc1ccccc1", seed=3)   # same title, different elements: skipped
    b = molblock_with_h("c1ccncc1", seed=4)
    path = write_ross_series(tmp_path, "misc", "toy", [
        sdf_record(a1, "lig_a", {"r_exp_dg": "-7.0"}),
        sdf_record(b, "lig_b", {"r_exp_dg": "-6.0"}),
        sdf_record(a2, "lig_a", {"r_exp_dg": "-7.0"}),
        sdf_record(c, "lig_a", {"r_exp_dg": "-7.0"}),
    ]) / "ligands.sdf"
    recs = pma.read_ross_sdf(str(path), series="misc/toy")
    ligands, skipped = pma.group_ross_records(recs, "ross2023/misc/toy")
    assert [l["name"] for l in ligands] == ["lig_a", "lig_b"]
    assert len(ligands[0]["poses"]) == 2 and len(ligands[1]["poses"]) == 1
    for pose in ligands[0]["poses"]:
        assert all(atom.GetAtomicNum() > 1 for atom in pose.GetAtoms())
        assert pose.GetNumAtoms() == 10
    assert len(skipped) == 1
    assert skipped[0][:2] == ("ross2023/misc/toy", "lig_a")
    assert "record 4" in skipped[0][2] and "element order" in skipped[0][2]


def test_ross_missing_dg_names_file_and_record(tmp_path):
    a = molblock_with_h("CCO")
    path = write_ross_series(tmp_path, "misc", "toy", [
        sdf_record(a, "ok", {"r_exp_dg": "-5.0"}),
        sdf_record(a, "no_value", {"s_note": "x"}),
    ]) / "ligands.sdf"
    with pytest.raises(pma.DataError) as e:
        pma.read_ross_sdf(str(path), series="misc/toy")
    msg = str(e.value)
    assert str(path) in msg and "record 2" in msg and "no_value" in msg and "ΔG" in msg
    # Listed as expected without a value: returned with the reason, not an error.
    recs = pma.read_ross_sdf(str(path), series="misc/toy",
                             expected_without_dg={("misc/toy", "no_value"): "not measured"})
    assert recs[1]["dg"] is None and recs[1]["skip"] == "not measured"


def test_ross_non_numeric_dg(tmp_path):
    a = molblock_with_h("CCO")
    path = write_ross_series(tmp_path, "misc", "toy", [
        sdf_record(a, "first", {"r_exp_dg": "-5.0"}),
        sdf_record(a, "second", {"r_exp_dg": "-5.0"}),
        sdf_record(a, "bad", {"r_exp_dg": "> 10 uM"}),
    ]) / "ligands.sdf"
    with pytest.raises(pma.DataError) as e:
        pma.read_ross_sdf(str(path))
    msg = str(e.value)
    assert str(path) in msg and "record 3" in msg and "'bad'" in msg and "r_exp_dg" in msg
    assert "not a number" in msg


# ---------------------------------------------------------------------------------------------
# Uni-FEP-style CSV


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


HEADER = ["ligand_smiles", "ligand_name", "exp_dG (kcal/mol)", "fep_dG (kcal/mol)"]


def test_unifep_bad_smiles_names_csv_line(tmp_path):
    path = tmp_path / "result_dG.csv"
    write_csv(path, HEADER, [["[H]OC([H])([H])[H]", "methanol", "-3.0", "-3.1"],
                             ["C1CC(", "broken", "-4.0", "-4.1"]])
    with pytest.raises(pma.DataError) as e:
        pma.read_unifep_csv(str(path))
    msg = str(e.value)
    assert str(path) in msg and "line 3" in msg and "broken" in msg and "SMILES" in msg
    rows = pma.read_unifep_csv(str(path), strict=False)
    assert rows[0]["error"] is None and rows[0]["mol"].GetNumAtoms() == 2   # heavy atoms only
    assert rows[1]["mol"] is None and "line 3" in rows[1]["error"]


def test_unifep_missing_column_and_non_numeric(tmp_path):
    path = tmp_path / "result_dG.csv"
    write_csv(path, ["ligand_smiles", "ligand_name", "fep_dG (kcal/mol)"], [["C", "m", "-1"]])
    with pytest.raises(pma.DataError) as e:
        pma.read_unifep_csv(str(path))
    assert str(path) in str(e.value) and "missing column 'exp_dG (kcal/mol)'" in str(e.value)
    write_csv(path, HEADER, [["CC", "ethane", "n/a", "-1"]])
    with pytest.raises(pma.DataError) as e:
        pma.read_unifep_csv(str(path))
    assert "line 2" in str(e.value) and "ethane" in str(e.value) and "not a number" in str(e.value)


# ---------------------------------------------------------------------------------------------
# A whole (tiny) run: series naming, manifest columns, pockets, generated poses


def make_sources(root):
    ross = root / "ross2023"
    unifep = root / "unifep"
    # Ross: one series, 2 ligands, one a Ki in µM.
    a = molblock_with_h("CC(=O)Nc1ccccc1", seed=1)
    b = molblock_with_h("CC(=O)Nc1ccncc1", seed=2)
    folder = write_ross_series(ross, "waterset", "chk1", [
        sdf_record(a, "lig_a", {"r_exp_dg": "-8.0"}),
        sdf_record(b, "lig_b", {"r_exp_ki": "1.5", "s_exp_unit": "uM"}),
    ])
    conf = a.GetConformer()
    near = [tuple(conf.GetAtomPosition(0))]
    x0, y0, z0 = near[0]
    residues = [("ALA", [("N", "N", (x0 + 4, y0, z0)), ("CA", "C", (x0 + 5, y0, z0)),
                         ("HA", "H", (x0 + 5, y0 + 1, z0))]),
                ("GLY", [("CA", "C", (x0 + 30, y0, z0))]),            # beyond 12 Å: cropped
                ("HOH", [("O", "O", (x0, y0 + 6, z0))])]
    (folder / "protein_pocket.pdb").write_text(pocket_pdb(residues))
    (ross / "series.csv").write_text("group,series,ligand_records,pocket_atoms,protein_atoms\n"
                                     "waterset,chk1,2,4,4\n")
    # Uni-FEP: one series, a reference ligand and three ligands (one the reference itself, one
    # whose SMILES does not parse).
    series = unifep / "ChEMBL_FXR_CHEMBL1"
    series.mkdir(parents=True)
    ref = molblock_with_h("Cc1ccc(C(=O)N)cc1", seed=5)
    ref.SetProp("_Name", "REF_ref")
    Chem.MolToMolFile(ref, str(series / "ref_ligand.sdf"))
    rc = Chem.RemoveHs(ref).GetConformer()
    x0, y0, z0 = rc.GetAtomPosition(0)
    (series / "protein_pocket.pdb").write_text(pocket_pdb(
        [("LEU", [("CA", "C", (x0 + 6, y0, z0)), ("CB", "C", (x0 + 7, y0, z0))])]))
    write_csv(series / "result_dG.csv", HEADER + ["fep_dG_std (kcal/mol)"], [
        [Chem.MolToSmiles(Chem.AddHs(Chem.MolFromSmiles("Cc1ccc(C(=O)N)cc1"))), "ref_itself", "-7.5", "0", "0"],
        [Chem.MolToSmiles(Chem.AddHs(Chem.MolFromSmiles("CCc1ccc(C(=O)N)cc1"))), "ethyl", "-8.1", "0", "0"],
        ["C1CC(", "broken", "-6.0", "0", "0"],
    ])
    (unifep / "series.csv").write_text("series,source,target,ligands,pocket_atoms,protein_atoms\n"
                                       "ChEMBL_FXR_CHEMBL1,ChEMBL,FXR,3,2,2\n")
    return ross, unifep


def test_end_to_end_tiny(tmp_path):
    ross, unifep = make_sources(tmp_path / "src")
    out = tmp_path / "out"
    assert pma.main(["--ross", str(ross), "--unifep", str(unifep), "--out", str(out),
                     "--vina", "none", "--embeddings", "4"]) == 0
    with open(out / "manifest.csv", newline="", encoding="utf-8") as f:
        text = f.read()
    assert "\r" not in text and '"' not in text
    assert text.splitlines()[0] == ("ligand,series,protein,receptor,poses,target,split,source,"
                                    "heavy_atoms,num_poses,vina_score")
    rows = list(csv.DictReader(text.splitlines()))
    by = {(r["series"], r["ligand"]): r for r in rows}
    assert set(by) == {("ross2023/waterset/chk1", "lig_a"), ("ross2023/waterset/chk1", "lig_b"),
                       ("unifep/ChEMBL_FXR_CHEMBL1", "ref_itself"),
                       ("unifep/ChEMBL_FXR_CHEMBL1", "ethyl")}
    a = by[("ross2023/waterset/chk1", "lig_a")]
    assert a["protein"] == "CHEK1" and a["source"] == "ross2023"
    assert a["receptor"] == "ross2023/waterset/chk1/pocket.pdb.gz"
    assert a["poses"] == "ross2023/waterset/chk1/poses.sdf.gz"
    assert float(a["target"]) == -8.0 and a["heavy_atoms"] == "10" and a["num_poses"] == "1"
    assert a["vina_score"] == ""
    b = by[("ross2023/waterset/chk1", "lig_b")]
    assert float(b["target"]) == pytest.approx(RT * math.log(1.5e-6), abs=1e-4)
    e = by[("unifep/ChEMBL_FXR_CHEMBL1", "ethyl")]
    assert e["protein"] == "NR1H4" and e["split"] in ("train", "test")
    assert 1 <= int(e["num_poses"]) <= 3 and e["heavy_atoms"] == "11"
    for r in rows:
        assert (out / r["receptor"]).exists() and (out / r["poses"]).exists()

    # Poses: titles, tags, heavy atoms only, the reference keeps its crystal pose.
    mols = read_sdf_gz(out / "unifep/ChEMBL_FXR_CHEMBL1/poses.sdf.gz")
    names = [m.GetProp("_Name") for m in mols]
    assert names[0] == "ref_itself" and names.count("ref_itself") == 1
    assert mols[0].GetProp("pose_source") == "published"
    assert all(m.GetProp("pose_source") in ("mcs-embed", "mcs-align") for m in mols[1:])
    ref = Chem.RemoveHs(Chem.MolFromMolFile(str(unifep / "ChEMBL_FXR_CHEMBL1/ref_ligand.sdf")))
    assert mols[0].GetConformer().GetPositions() == pytest.approx(ref.GetConformer().GetPositions(), abs=1e-3)
    for m in mols:
        assert all(atom.GetAtomicNum() > 1 for atom in m.GetAtoms())
        assert float(m.GetProp("dg_exp")) in (-7.5, -8.1)
        assert m.HasProp("vina_score_only")
    # Pocket: heavy atoms only, the far residue cropped, the water kept.
    with gzip.open(out / "ross2023/waterset/chk1/pocket.pdb.gz", "rt") as f:
        pdb = f.read()
    atoms = [l for l in pdb.splitlines() if l.startswith(("ATOM", "HETATM"))]
    assert [l[12:16].strip() for l in atoms] == ["N", "CA", "O"]
    assert "HOH" in pdb and "GLY" not in pdb

    # Skips and the held-out list.
    with open(out / "skipped.csv", newline="") as f:
        skipped = list(csv.DictReader(f))
    assert [(s["series"], s["ligand"]) for s in skipped] == [("unifep/ChEMBL_FXR_CHEMBL1", "broken")]
    assert "line 4" in skipped[0]["reason"] and "SMILES" in skipped[0]["reason"]
    held = (out / "heldout_proteins.txt").read_text().splitlines()
    assert held[0].startswith("#")


def test_heldout_rule_is_deterministic_and_groups_homologues():
    info = {f"s{i}": (g, 10) for i, g in enumerate(
        ["PIK3CA", "PIK3CG", "HSP90AA1", "TRAP1"] + [f"G{i}" for i in range(40)])}
    groups, n_test, total, n_big = pma.choose_heldout(info)
    assert groups == pma.choose_heldout(dict(reversed(list(info.items()))))[0]
    assert total == 440 and 0.15 * total <= n_test <= 0.20 * total
    assert "PIK3CA" not in groups and "HSP90AA1" not in groups   # only as their groups
