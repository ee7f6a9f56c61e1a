# SPDX-License-Identifier: MIT
"""How affinity-rescore takes its poses, through the real tool: standard input (-, /dev/stdin,
gzip on a pipe) with --format, directories and quoted patterns, and how records become ligands
(titles, --ligand-tag, untitled records never merged). Each run is checked against the same
poses read as plain named files. Run through CTest (label cli), which sets AFFINITY_RESCORE,
AFFINITY_EXAMPLE_MODEL and AFFINITY_RESCORE_FIXTURES.
"""
import csv
import glob
import io
import os
import shutil
import subprocess
import time
from pathlib import Path

RESCORE = os.environ["AFFINITY_RESCORE"]
MODEL = os.environ["AFFINITY_EXAMPLE_MODEL"]
FIXTURES = Path(os.environ["AFFINITY_RESCORE_FIXTURES"])


def rescore(*arguments, stdin=None, input_bytes=None):
    command = [RESCORE, "--model", MODEL, "--receptor", str(FIXTURES / "receptor.pdbqt"), "--quiet", "--top", "0",
               *map(str, arguments)]
    return subprocess.run(command, capture_output=True, timeout=300, stdin=stdin, input=input_bytes)


def rows(path):
    return list(csv.DictReader(io.StringIO(Path(path).read_text())))


def without_source(table):
    return [{k: v for k, v in row.items() if k != "source"} for row in table]


def sdf_records(path):
    return Path(path).read_bytes().split(b"$$$$\n")[:-1]


def retitled(record, title, tag=None):
    """An SDF record with another title line and, when tag is given, an SD item ID holding it."""
    body = record.split(b"\n", 1)[1]
    if tag is not None:
        body += b">  <ID>\n" + tag + b"\n\n"
    return title + b"\n" + body + b"$$$$\n"


def test_a_pipe_from_vina_output_scores_as_the_file_does(tmp_path):
    reference = rescore("--poses", FIXTURES / "caffeine.pdbqt", "--out", tmp_path / "file.csv")
    assert reference.returncode == 0, reference.stderr
    expected = rows(tmp_path / "file.csv")
    assert len(expected) >= 2
    for spelling in ("-", "/dev/stdin"):
        with open(FIXTURES / "caffeine.pdbqt", "rb") as vina_output:
            # cat <vina out>.pdbqt | affinity-rescore -p - --format pdbqt: a pipe, not a file.
            cat = subprocess.Popen(["cat"], stdin=vina_output, stdout=subprocess.PIPE)
            piped = rescore("--poses", spelling, "--format", "PDBQT", "--out", tmp_path / "pipe.csv", stdin=cat.stdout)
            cat.stdout.close()
            cat.wait()
        assert piped.returncode == 0, piped.stderr
        got = rows(tmp_path / "pipe.csv")
        assert without_source(got) == without_source(expected)
        assert {row["source"] for row in got} == {"stdin" if spelling == "-" else spelling}


def test_gzip_on_standard_input_is_recognised_by_its_magic_bytes(tmp_path):
    reference = rescore("--poses", FIXTURES / "caffeine.pdbqt.gz", "--out", tmp_path / "file.csv")
    assert reference.returncode == 0, reference.stderr
    piped = rescore("--poses", "-", "--format", "pdbqt", "--out", tmp_path / "pipe.csv",
                    input_bytes=(FIXTURES / "caffeine.pdbqt.gz").read_bytes())
    assert piped.returncode == 0, piped.stderr
    assert without_source(rows(tmp_path / "pipe.csv")) == without_source(rows(tmp_path / "file.csv"))


def test_a_name_without_a_pose_extension_needs_format(tmp_path):
    for spelling, named in (("/dev/stdin", "--poses /dev/stdin: the name has no extension"),
                            ("-", "--poses - (standard input) has no name")):
        result = rescore("--poses", spelling, "--out", tmp_path / "r.csv",
                         input_bytes=(FIXTURES / "caffeine.pdbqt").read_bytes())
        assert result.returncode == 2, result.stderr
        message = result.stderr.decode()
        assert named in message and "give --format (sdf, pdbqt, mol2, pdb or mol)" in message
        assert not (tmp_path / "r.csv").exists()
    notes = tmp_path / "poses.txt"
    shutil.copy(FIXTURES / "both.sdf", notes)
    result = rescore("--poses", notes, "--out", tmp_path / "r.csv")
    assert result.returncode == 2 and "its extension '.txt' is no pose format" in result.stderr.decode()
    # --format overrides the extension.
    result = rescore("--poses", notes, "--format", "sdf", "--out", tmp_path / "r.csv")
    assert result.returncode == 0, result.stderr
    assert len({row["ligand"] for row in rows(tmp_path / "r.csv")}) == 2


def test_standard_input_named_twice_is_refused(tmp_path):
    result = rescore("--poses", "-", "-", "--format", "sdf", "--out", tmp_path / "r.csv", input_bytes=b"")
    assert result.returncode == 2 and "names - (standard input) twice" in result.stderr.decode()


def make_pose_folder(folder):
    folder.mkdir()
    for name in ("imatinib.pdbqt", "caffeine.pdbqt.gz", "both.sdf", "imatinib.mol2"):
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "notes.txt").write_text("not poses\n")  # no pose extension: left out
    shutil.copy(FIXTURES / "both.sdf", folder / ".hidden.sdf")  # a hidden name: left out
    (folder / "nested").mkdir()  # a subfolder: not entered
    shutil.copy(FIXTURES / "both.sdf", folder / "nested" / "deeper.sdf")


def test_a_directory_gives_the_scores_of_its_files_listed_in_name_order(tmp_path):
    folder = tmp_path / "poses"
    make_pose_folder(folder)
    listed = [str(folder / name) for name in ("both.sdf", "caffeine.pdbqt.gz", "imatinib.mol2", "imatinib.pdbqt")]
    reference = rescore("--poses", *listed, "--out", tmp_path / "listed.csv")
    assert reference.returncode == 0, reference.stderr
    by_folder = rescore("--poses", folder, "--out", tmp_path / "folder.csv")
    assert by_folder.returncode == 0, by_folder.stderr
    assert (tmp_path / "folder.csv").read_bytes() == (tmp_path / "listed.csv").read_bytes()
    sources = [row["source"] for row in rows(tmp_path / "folder.csv")]
    assert sorted(set(sources)) == listed and sources == sorted(sources)


def test_a_quoted_pattern_is_expanded_by_the_tool(tmp_path):
    folder = tmp_path / "poses"
    make_pose_folder(folder)
    patterns = [str(folder / "*.pdbqt*"), str(folder / "*.sdf")]
    expanded = [path for pattern in patterns for path in sorted(glob.glob(pattern))]
    assert len(expanded) == 3
    reference = rescore("--poses", *expanded, "--out", tmp_path / "listed.csv")
    assert reference.returncode == 0, reference.stderr
    by_pattern = rescore("--poses", *patterns, "--out", tmp_path / "pattern.csv")
    assert by_pattern.returncode == 0, by_pattern.stderr
    assert (tmp_path / "pattern.csv").read_bytes() == (tmp_path / "listed.csv").read_bytes()


def test_an_empty_directory_or_a_pattern_without_match_is_an_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no poses here\n")
    result = rescore("--poses", empty, "--out", tmp_path / "r.csv")
    assert result.returncode == 2
    assert f"--poses {empty}: the directory holds no pose file" in result.stderr.decode()
    result = rescore("--poses", str(empty / "*.sdf"), "--out", tmp_path / "r.csv")
    assert result.returncode == 2
    assert f"--poses '{empty}/*.sdf': the pattern matches no file" in result.stderr.decode()
    assert not (tmp_path / "r.csv").exists()


def three_ligands(tmp_path):
    """Five records of three ligands (imatinib poses 1-2, imatinib pose 3, caffeine poses 1-2):
    the first two ligands have the same atoms in the same order, so merged they would score."""
    records = sdf_records(FIXTURES / "both.sdf")
    imatinib = [r for r in records if r.startswith(b"imatinib")]
    caffeine = [r for r in records if r.startswith(b"caffeine")]
    chosen = [(imatinib[0], b"A"), (imatinib[1], b"A"), (imatinib[2], b"B"), (caffeine[0], b"C"), (caffeine[1], b"C")]
    titled = tmp_path / "titled.sdf"
    titled.write_bytes(b"".join(retitled(r, tag) for r, tag in chosen))
    blank = tmp_path / "blank.sdf"
    blank.write_bytes(b"".join(retitled(r, b"", tag) for r, tag in chosen))
    return titled, blank, chosen


def test_blank_titles_are_refused_naming_the_record_and_a_ligand_tag_groups_them(tmp_path):
    titled, blank, chosen = three_ligands(tmp_path)
    result = rescore("--poses", blank, "--out", tmp_path / "blank.csv")
    assert result.returncode == 3
    message = result.stderr.decode()
    for record in range(1, len(chosen) + 1):
        assert f"({blank}, record {record}): record {record} (line " in message
    assert "has an empty title" in message and "--ligand-tag" in message
    assert rows(tmp_path / "blank.csv") == []  # nothing merged, nothing scored

    reference = rescore("--poses", titled, "--out", tmp_path / "titled.csv")
    assert reference.returncode == 0, reference.stderr
    tagged = rescore("--poses", blank, "--ligand-tag", "ID", "--out", tmp_path / "tagged.csv")
    assert tagged.returncode == 0, tagged.stderr
    got = rows(tmp_path / "tagged.csv")
    assert [row["ligand"] for row in got] == ["A", "A", "B", "C", "C"]
    assert without_source(got) == without_source(rows(tmp_path / "titled.csv"))


def test_a_record_without_the_tag_is_an_error_naming_the_record_and_the_tag(tmp_path):
    _, _, chosen = three_ligands(tmp_path)
    partly = tmp_path / "partly.sdf"
    records = [retitled(r, b"", tag) for r, tag in chosen]
    records[2] = retitled(chosen[2][0], b"")  # ligand B's record lacks the tag
    partly.write_bytes(b"".join(records))
    result = rescore("--poses", partly, "--ligand-tag", "ID", "--out", tmp_path / "r.csv")
    assert result.returncode == 3
    assert (f"({partly}, record 3): record 3 (line " in result.stderr.decode()
            and "has no tag 'ID' (an SD data item '> <ID>')" in result.stderr.decode())
    assert [row["ligand"] for row in rows(tmp_path / "r.csv")] == ["A", "A", "C", "C"]


def test_a_title_that_comes_back_is_another_ligand_for_titles_and_tags_alike(tmp_path):
    _, _, chosen = three_ligands(tmp_path)
    order = [chosen[0], chosen[3], chosen[1]]  # A, C, A: the second A is a ligand of its own
    (tmp_path / "t.sdf").write_bytes(b"".join(retitled(r, tag) for r, tag in order))
    (tmp_path / "g.sdf").write_bytes(b"".join(retitled(r, b"", tag) for r, tag in order))
    for arguments in (["--poses", tmp_path / "t.sdf"], ["--poses", tmp_path / "g.sdf", "--ligand-tag", "ID"]):
        result = rescore(*arguments, "--out", tmp_path / "r.csv")
        assert result.returncode == 0, result.stderr
        got = rows(tmp_path / "r.csv")
        assert [(row["ligand"], row["pose"], row["rank"]) for row in got] == [("A", "1", "1"), ("C", "1", "1"),
                                                                             ("A", "1", "1")]


def test_a_file_of_one_untitled_record_is_named_after_the_file(tmp_path):
    record = sdf_records(FIXTURES / "both.sdf")[0]
    single = tmp_path / "lonely_pose.sdf"
    single.write_bytes(retitled(record, b""))
    result = rescore("--poses", single, "--out", tmp_path / "r.csv")
    assert result.returncode == 0, result.stderr
    assert [row["ligand"] for row in rows(tmp_path / "r.csv")] == ["lonely_pose"]


def journal_records(path):
    return Path(path).read_bytes().count(b"\nrecord ") if Path(path).exists() else 0


def test_resume_reads_standard_input_again_and_gives_the_bytes_of_an_uninterrupted_run(tmp_path):
    records = sdf_records(FIXTURES / "both.sdf")
    poses = b"".join(retitled(r, r.split(b"\n", 1)[0] + b"_%d" % copy) for copy in range(4) for r in records)
    outputs = lambda folder: ["--out", folder / "r.csv", "--json", folder / "r.json"]
    for name in ("reference", "out"):
        (tmp_path / name).mkdir()
    reference = rescore("--poses", "-", "--format", "sdf", *outputs(tmp_path / "reference"), input_bytes=poses)
    assert reference.returncode == 0, reference.stderr

    # Interrupted (SIGKILL) while standard input is still open, once the journal holds ligands.
    command = [RESCORE, "--model", MODEL, "--receptor", str(FIXTURES / "receptor.pdbqt"), "--quiet", "--poses", "-",
               "--format", "sdf", *map(str, outputs(tmp_path / "out"))]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        process.stdin.write(poses[:len(poses) // 2])
        process.stdin.flush()
        journal = tmp_path / "out" / "r.csv.journal"
        deadline = time.time() + 120
        while journal_records(journal) < 3:  # the identity and two ligands
            assert time.time() < deadline, "timed out"
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait(timeout=60)
        process.stdin.close()
    assert not (tmp_path / "out" / "r.csv").exists()

    resumed = rescore("--poses", "-", "--format", "sdf", *outputs(tmp_path / "out"), "--resume", input_bytes=poses)
    assert resumed.returncode == 0, resumed.stderr
    assert "ligands done" in resumed.stderr.decode()
    for name in ("r.csv", "r.json"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name
