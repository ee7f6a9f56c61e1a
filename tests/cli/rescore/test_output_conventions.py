# SPDX-License-Identifier: MIT
"""affinity-rescore's output conventions, through the real tool, against references of their own.

- SD tags: every tag of an input SDF reaches the scored SDF (read back by RDKit), with the
  tool's own tags once each and equal to the CSV's values; the docking score has one tag
  (docking_score_kcal_mol) whatever the input format, Vina's REMARK VINA RESULT included.
- JSON: valid UTF-8 with a Latin-1 title, the tool's version as --version prints it, the
  model's SHA-256 as hashlib computes it, the options under settings, each pose's docking score.
- Numbers: every CSV number reads back (float) to the JSON's value, in the shortest text that
  does (no 17-digit noise), within the documented precision.
- "-" writes that output to stdout, the same bytes as a file gets, and no file named "-".

Run through CTest (label cli), which sets AFFINITY_RESCORE, AFFINITY_EXAMPLE_MODEL,
AFFINITY_RESCORE_FIXTURES and AFFINITY_PROJECT_VERSION.
"""
import csv
import hashlib
import io
import json
import os
import re
import resource
import signal
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

RESCORE = os.environ["AFFINITY_RESCORE"]
MODEL = os.environ["AFFINITY_EXAMPLE_MODEL"]
FIXTURES = Path(os.environ["AFFINITY_RESCORE_FIXTURES"])
VERSION = os.environ["AFFINITY_PROJECT_VERSION"]

OUR_TAGS = ["affinity_dG_kcal_mol", "affinity_weight", "affinity_combined_dG_kcal_mol", "affinity_rank",
            "affinity_pose", "docking_score_kcal_mol", "affinity_pKi"]


def rescore(*arguments, cwd=None, limit_bytes=None):
    def limits():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if limit_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    command = [RESCORE, "--model", MODEL, "--receptor", str(FIXTURES / "receptor.pdbqt"), "--quiet",
               *map(str, arguments)]
    return subprocess.run(command, cwd=cwd, capture_output=True, preexec_fn=limits, timeout=600,
                          stdin=subprocess.DEVNULL)


def stderr_of(result):
    return result.stderr.decode("utf-8", "replace")


def rdkit_chem():
    try:
        from rdkit import Chem
    except ImportError as e:
        pytest.skip(f"RDKit cannot be imported in this Python ({e}); the SD tags are not read back")
    return Chem


def records(path):
    return Path(path).read_bytes().split(b"$$$$\n")[:-1]


def molfile_of(record):
    """A record's molfile, up to and including its M  END line, without its data items."""
    end = record.index(b"\nM  END") + len(b"\nM  END\n")
    return record[:end]


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def vina_scores(path):
    """The scores Vina wrote into a PDBQT, one per model, read from its text."""
    return [float(line.split()[3]) for line in Path(path).read_text().splitlines()
            if line.startswith("REMARK VINA RESULT:")]


# Tags of several kinds, each pose its own values: a name with spaces, values with leading and
# trailing blanks, a multi-line value, a header with a DT number and a registry number, an
# empty value, a PartialCharges item (which Open Babel's own SDF writer leaves out), smina's
# minimizedAffinity, and a stale affinity_rank of an earlier run (to be replaced, not repeated).
def custom_items(pose):
    return [
        (b">  <minimizedAffinity>", b"%.5f" % (-7.17999 - 0.25 * pose)),
        (b">  <catalogue id>", b"  CAT-%d  " % pose),
        (b"> 25  <batch>  (%d)" % (pose + 1), b"B%d" % pose),
        (b">  <notes>", b"line one of pose %d\nline two" % pose),
        (b">  <empty>", b""),
        (b">  <PartialCharges>", b"user-%d" % pose),
        (b">  <affinity_rank>", b"99"),
    ]


def write_tagged_sdf(path, title=b"tagged"):
    """The caffeine poses of the fixtures, retitled, with custom_items as their only data items."""
    out = []
    for pose, record in enumerate(records(FIXTURES / "caffeine.sdf")):
        molfile = molfile_of(record).split(b"\n", 1)[1]
        items = b"".join(header + b"\n" + value + b"\n\n" for header, value in custom_items(pose))
        out.append(title + b"\n" + molfile + items + b"$$$$\n")
    Path(path).write_bytes(b"".join(out))
    return len(out)


def test_every_input_tag_reaches_the_scored_sdf_with_ours_once_each(tmp_path):
    Chem = rdkit_chem()
    poses = write_tagged_sdf(tmp_path / "tagged.sdf")
    assert poses >= 2
    result = rescore("--poses", tmp_path / "tagged.sdf", "--readout", "pki", "--out", tmp_path / "r.csv",
                     "--out-sdf", tmp_path / "r.sdf")
    assert result.returncode == 0, stderr_of(result)
    rows = csv_rows(tmp_path / "r.csv")
    assert len(rows) == poses

    expected_input = [m for m in Chem.SDMolSupplier(str(tmp_path / "tagged.sdf"), sanitize=False, removeHs=False)]
    scored = [m for m in Chem.SDMolSupplier(str(tmp_path / "r.sdf"), sanitize=False, removeHs=False)]
    raw = records(tmp_path / "r.sdf")
    assert len(scored) == len(raw) == poses and None not in scored
    for molecule, text in zip(scored, raw):
        pose = molecule.GetIntProp("affinity_pose")
        given = expected_input[pose - 1]
        row = rows[pose - 1]
        # Every input tag, with RDKit's reading of the input's value (the stale affinity_rank aside).
        for name in given.GetPropNames():
            if name != "affinity_rank":
                assert molecule.GetProp(name) == given.GetProp(name), name
        # The items as the input wrote them, headers included, each once.
        for header, value in custom_items(pose - 1):
            if header != b">  <affinity_rank>":
                assert text.count(header + b"\n" + value + b"\n") == 1, header
        # Ours, once each, equal to the CSV's.
        for tag in OUR_TAGS:
            assert text.count(b"<%s>" % tag.encode()) == 1, tag
        assert float(molecule.GetProp("affinity_dG_kcal_mol")) == float(row["dG_kcal_mol"])
        assert float(molecule.GetProp("affinity_weight")) == float(row["weight"])
        assert float(molecule.GetProp("affinity_combined_dG_kcal_mol")) == float(row["combined_dG_kcal_mol"])
        assert molecule.GetProp("affinity_rank") == row["rank"] != "99"
        assert float(molecule.GetProp("affinity_pKi")) == float(row["pKi"])
        # The docking score: smina's minimizedAffinity as written, under our tag and in the CSV.
        assert molecule.GetProp("minimizedAffinity") == "%.5f" % (-7.17999 - 0.25 * (pose - 1))
        assert float(molecule.GetProp("docking_score_kcal_mol")) == float(molecule.GetProp("minimizedAffinity"))
        assert float(row["docking_score_kcal_mol"]) == float(molecule.GetProp("minimizedAffinity"))
        # The atoms of the input pose.
        assert molecule.GetNumAtoms() == given.GetNumAtoms()


def test_a_scored_sdf_rescored_keeps_one_of_each_tag(tmp_path):
    first = rescore("--poses", FIXTURES / "imatinib.pdbqt", "--out", tmp_path / "a.csv", "--out-sdf",
                    tmp_path / "a.sdf")
    assert first.returncode == 0, stderr_of(first)
    second = rescore("--poses", tmp_path / "a.sdf", "--out", tmp_path / "b.csv", "--out-sdf", tmp_path / "b.sdf")
    assert second.returncode == 0, stderr_of(second)
    for text in records(tmp_path / "b.sdf"):
        names = re.findall(rb"^>.*?<(.*)>", text, re.M)
        assert len(names) == len(set(names)), names
        assert b"REMARK" in names and b"docking_score_kcal_mol" in names
    first_scores = sorted(float(r["docking_score_kcal_mol"]) for r in csv_rows(tmp_path / "a.csv"))
    second_scores = sorted(float(r["docking_score_kcal_mol"]) for r in csv_rows(tmp_path / "b.csv"))
    assert first_scores == second_scores == sorted(vina_scores(FIXTURES / "imatinib.pdbqt"))


def test_vina_scores_have_one_tag_in_the_sdf_and_are_in_the_csv_and_json(tmp_path):
    Chem = rdkit_chem()
    vina = vina_scores(FIXTURES / "imatinib.pdbqt")
    assert len(vina) >= 2
    result = rescore("--poses", FIXTURES / "imatinib.pdbqt", FIXTURES / "imatinib.sdf", FIXTURES / "imatinib.mol2",
                     "--out", tmp_path / "r.csv", "--out-sdf", tmp_path / "r.sdf", "--json", tmp_path / "r.json")
    assert result.returncode == 0, stderr_of(result)
    rows = csv_rows(tmp_path / "r.csv")
    summary = json.loads((tmp_path / "r.json").read_bytes().decode("utf-8"))
    by_source = {entry["source"]: entry for entry in summary["ligands"]}
    for source in ("imatinib.pdbqt", "imatinib.sdf"):  # Vina's PDBQT, and Open Babel's SDF of it
        scores = [float(r["docking_score_kcal_mol"]) for r in rows if r["source"].endswith(source)]
        assert scores == vina, source
        [entry] = [e for s, e in by_source.items() if s.endswith(source)]
        assert entry["pose_docking_score_kcal_mol"] == vina
    # MOL2 carries no score (Open Babel keeps none of Vina's remarks there): empty, null, no tag.
    assert all(r["docking_score_kcal_mol"] == "" for r in rows if r["source"].endswith(".mol2"))
    [mol2] = [e for s, e in by_source.items() if s.endswith(".mol2")]
    assert mol2["pose_docking_score_kcal_mol"] == [None] * len(vina)

    scored = list(Chem.SDMolSupplier(str(tmp_path / "r.sdf"), sanitize=False, removeHs=False))
    raw = records(tmp_path / "r.sdf")
    assert len(scored) == 3 * len(vina)
    for index, (molecule, text) in enumerate(zip(scored, raw)):
        pose = molecule.GetIntProp("affinity_pose")
        if index < 2 * len(vina):
            assert float(molecule.GetProp("docking_score_kcal_mol")) == vina[pose - 1]
            assert text.count(b"<docking_score_kcal_mol>") == 1
            # The PDBQT's items, SDF-safe: Vina's remarks whole, TORSDOF by its name.
            assert "VINA RESULT:" in molecule.GetProp("REMARK")
            assert molecule.HasProp("TORSDOF") or index >= len(vina)
            if index < len(vina):
                assert not molecule.HasProp("TORSDO")
                assert molecule.GetProp("MODEL") == str(pose)
        else:
            assert not molecule.HasProp("docking_score_kcal_mol")


def test_the_json_is_utf8_with_version_model_checksum_and_options(tmp_path):
    rest = records(FIXTURES / "caffeine.sdf")[0].split(b"\n", 1)[1]
    (tmp_path / "latin1.sdf").write_bytes(b"caf\xe9 ligand\n" + rest + b"$$$$\n")
    result = rescore("--poses", tmp_path / "latin1.sdf", FIXTURES / "imatinib.pdbqt", "--temperature", "310.5",
                     "--readout", "pKi", "--out", tmp_path / "r.csv", "--json", tmp_path / "r.json")
    assert result.returncode == 0, stderr_of(result)
    summary = json.loads((tmp_path / "r.json").read_bytes().decode("utf-8"))  # strict UTF-8
    version = subprocess.run([RESCORE, "--version"], capture_output=True, text=True).stdout.split()
    assert version == ["affinity-rescore", VERSION]
    assert summary["tool"] == "affinity-rescore" and summary["version"] == VERSION
    settings = summary["settings"]
    assert settings["model"] == MODEL
    assert settings["model_sha256"] == hashlib.sha256(Path(MODEL).read_bytes()).hexdigest()
    options = settings["options"]
    assert options["temperature"] == 310.5 and settings["temperature_K"] == 310.5
    assert options["readout"] == "pki" and options["model"] == MODEL
    assert options["poses"] == [str(tmp_path / "latin1.sdf"), str(FIXTURES / "imatinib.pdbqt")]
    assert options["receptor"] == str(FIXTURES / "receptor.pdbqt")
    assert options["combination"] == "boltzmann" and "combination" in settings["options_defaulted"]
    assert "temperature" not in settings["options_defaulted"]
    assert list(options) == sorted(options)
    # They shape no output; the outputs' paths are left out so the summary is the same wherever written.
    assert not {"quiet", "top", "journal", "no-journal", "resume", "out", "out-sdf", "json"} & set(options)
    names = [entry["name"] for entry in summary["ligands"]]
    assert names == ["caf\ufffd ligand", "imatinib"]
    imatinib = summary["ligands"][1]
    assert imatinib["pose_docking_score_kcal_mol"] == vina_scores(FIXTURES / "imatinib.pdbqt")
    assert summary["ligands"][0]["pose_docking_score_kcal_mol"][0] == vina_scores(FIXTURES / "caffeine.pdbqt")[0]


def significant_digits(text):
    mantissa = re.sub(r"[eE].*", "", text.lstrip("-")).replace(".", "").lstrip("0").rstrip("0")
    return len(mantissa)


def decimals(text):
    return max(0, -Decimal(text).as_tuple().exponent)


def test_every_csv_number_reads_back_to_the_json_value_in_its_shortest_text(tmp_path):
    result = rescore("--poses", FIXTURES / "both.sdf", FIXTURES / "caffeine.pdbqt.gz", "--readout", "pic50",
                     "--substrate", "3", "--km", "7", "--combination", "max", "--max-scale", "0.3",
                     "--out", tmp_path / "r.csv", "--json", tmp_path / "r.json")
    assert result.returncode == 0, stderr_of(result)
    text = (tmp_path / "r.csv").read_text()
    rows = csv_rows(tmp_path / "r.csv")
    entries = json.loads((tmp_path / "r.json").read_text())["ligands"]
    assert len(entries) == 3
    at = 0
    for entry in entries:
        for n in range(entry["poses"]):
            row = rows[at + n]
            assert row["ligand"] == entry["name"]
            assert float(row["dG_kcal_mol"]) == entry["pose_dG_kcal_mol"][n]
            assert float(row["weight"]) == entry["weights"][n]
            assert float(row["combined_dG_kcal_mol"]) == entry["combined_dG_kcal_mol"]
            assert float(row["pIC50"]) == entry["pIC50"]
            assert float(row["docking_score_kcal_mol"]) == entry["pose_docking_score_kcal_mol"][n]
            # The shortest text of the value (Python's repr is shortest round-trip too), at the
            # documented precision: energies 6 decimals, weights 6 digits, readouts 4 decimals.
            for column, limit in (("dG_kcal_mol", ("decimals", 6)), ("combined_dG_kcal_mol", ("decimals", 6)),
                                  ("weight", ("digits", 6)), ("pIC50", ("decimals", 4)),
                                  ("docking_score_kcal_mol", ("digits", 17))):
                value = row[column]
                assert significant_digits(value) == significant_digits(repr(float(value))), (column, value)
                kind, most = limit
                assert (decimals(value) if kind == "decimals" else significant_digits(value)) <= most, (column, value)
        at += entry["poses"]
    assert at == len(rows)
    # No 17-digit noise anywhere, and no fixed-format padding (-7.100000).
    assert not re.search(r"\d{12,}", text)
    assert not re.search(r"\.\d*0(,|\n)", text)


def test_dash_writes_to_stdout_the_bytes_a_file_gets_and_no_file_named_dash(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "stdout").mkdir()
    poses = ["--poses", FIXTURES / "imatinib.pdbqt", FIXTURES / "both.sdf"]
    files = {"--out": "r.csv", "--out-sdf": "r.sdf", "--json": "r.json"}
    reference = rescore(*poses, *[x for pair in files.items() for x in pair], cwd=tmp_path / "files")
    assert reference.returncode == 0, stderr_of(reference)
    expected = {name: (tmp_path / "files" / name).read_bytes() for name in files.values()}
    for option, name in files.items():
        outputs = {**files, option: "-"}
        result = rescore(*poses, *[x for pair in outputs.items() for x in pair], cwd=tmp_path / "stdout")
        assert result.returncode == 0, stderr_of(result)
        assert result.stdout == expected[name]
        # The header, the table and the totals went to stderr; no file named "-" or "-.journal".
        assert "model:" in stderr_of(result) and "- (standard output)" in stderr_of(result)
        assert sorted(p.name for p in (tmp_path / "stdout").iterdir()) == sorted(set(files.values()) - {name})
        for other in set(files.values()) - {name}:
            assert (tmp_path / "stdout" / other).read_bytes() == expected[other]
            (tmp_path / "stdout" / other).unlink()


def test_two_dashes_are_a_usage_error_and_resume_needs_a_named_journal(tmp_path):
    result = rescore("--poses", FIXTURES / "both.sdf", "--out", "-", "--json", "-", cwd=tmp_path)
    assert result.returncode == 2
    assert "--out and --json are both - (standard output)" in stderr_of(result)
    assert result.stdout == b"" and list(tmp_path.iterdir()) == []
    result = rescore("--poses", FIXTURES / "both.sdf", "--out", "-", "--resume", cwd=tmp_path)
    assert result.returncode == 1
    assert "--out - is standard output, so there is no journal beside it; name it with --journal" in stderr_of(result)
    assert result.stdout == b"" and list(tmp_path.iterdir()) == []


def test_a_failed_run_writes_nothing_on_stdout(tmp_path):
    # The SDF fails to commit (a file size limit between the CSV's size and the SDF's, as a full
    # disk would): stdout, which would have held the CSV, stays empty, and no file is left.
    sizes = tmp_path / "sizes"
    sizes.mkdir()
    reference = rescore("--poses", FIXTURES / "both.sdf", "--out", sizes / "r.csv", "--out-sdf", sizes / "r.sdf")
    assert reference.returncode == 0, stderr_of(reference)
    csv_size, sdf_size = (sizes / "r.csv").stat().st_size, (sizes / "r.sdf").stat().st_size
    assert csv_size < sdf_size
    run = tmp_path / "run"
    run.mkdir()
    result = rescore("--poses", FIXTURES / "both.sdf", "--out", "-", "--out-sdf", run / "r.sdf", cwd=run,
                     limit_bytes=(csv_size + sdf_size) // 2)
    assert result.returncode == 1, stderr_of(result)
    assert "File too large" in stderr_of(result)
    assert result.stdout == b""
    assert list(run.iterdir()) == []
