# SPDX-License-Identifier: MIT
"""Damaged model bytes are refused with a message naming the input, by every path that takes
them (AffinityForce from a file or bytes, XML deserialization, affinity-rescore), never a crash
and never a silent out-of-bounds read; and the XML's SHA-256 of its model is checked on load.

Each damaged input is loaded in a child process, so that a crash shows as its signal."""
import base64
import hashlib
import re
import sys

import numpy as np
import openmm
import pytest
from openmm import unit

import damage_runs
import model_damage
import openmmaffinity
from scripted_models import complex_poses, complex_topology, scripted_contact_model

LOAD_FORCE = """
import sys, openmm, openmmaffinity
source = sys.argv[1]
try:
    if sys.argv[2] == "file":
        openmmaffinity.AffinityForce(source)
    elif sys.argv[2] == "bytes":
        openmmaffinity.AffinityForce(open(source, "rb").read())
    else:
        openmm.XmlSerializer.deserialize(open(source).read())
    print("ACCEPTED")
except openmm.OpenMMException as e:
    print("REFUSED", e)
"""

DAMAGES = {
    "empty storage": (model_damage.emptied_storage, r"record \S+/data/\d+ holds 0 bytes, but \S+data.pkl gives its storage"),
    "half storage": (model_damage.halved_storage, r"record \S+/data/\d+ holds \d+ bytes, but \S+data.pkl gives its storage"),
    "broken code, damaged debug pickle": (model_damage.broken_code_and_debug, r"cannot load the model from .*HERE"),
}


@pytest.fixture(scope="module")
def intact(tmp_path_factory):
    path = tmp_path_factory.mktemp("intact") / "contact.pt"
    scripted_contact_model().save(str(path))
    return path.read_bytes()


def make_force(model_bytes):
    numbers, mask = complex_topology()
    force = openmmaffinity.AffinityForce(model_bytes)
    force.addParticles(np.arange(len(numbers)), numbers, mask)
    return force


def energy_of(force):
    system = openmm.System()
    for _ in range(openmmaffinity.AffinityForce.cast(force).getNumParticles()):
        system.addParticle(12.0)
    system.addForce(force)
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    context.setPositions(complex_poses(1)[0] * unit.nanometer)
    return context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)


def xml_with_model(xml, model_bytes, checksum=True):
    """The XML of a force with its embedded model replaced (size and, if asked, SHA-256 kept consistent)."""
    xml = re.sub(r'model="[^"]*"', 'model="%s"' % base64.b64encode(model_bytes).decode(), xml)
    xml = re.sub(r'modelSize="\d+"', 'modelSize="%d"' % len(model_bytes), xml)
    if checksum:
        return re.sub(r'modelSha256="[0-9a-f]*"', 'modelSha256="%s"' % hashlib.sha256(model_bytes).hexdigest(), xml)
    return re.sub(r' modelSha256="[0-9a-f]*"', "", xml)


def load_in_child(tmp_path, content, how):
    path = tmp_path / ("input.xml" if how == "xml" else "input.pt")
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    result = damage_runs.run([sys.executable, "-c", LOAD_FORCE, str(path), how])
    assert result.returncode == 0, damage_runs.describe(result)
    return result.stdout


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("how", ["file", "bytes", "xml"])
def test_damaged_model_is_refused(tmp_path, intact, damage, how):
    change, expected = DAMAGES[damage]
    damaged = change(intact)
    content = xml_with_model(openmm.XmlSerializer.serialize(make_force(intact)), damaged) if how == "xml" else damaged
    out = load_in_child(tmp_path, content, how)
    assert out.startswith("REFUSED AffinityForce: cannot load the model from"), out
    assert re.search(expected, out, re.S), out
    if how == "file":
        assert str(tmp_path / "input.pt") in out


def test_flipped_weight_bit_is_refused(tmp_path, intact):
    start, length = model_damage.record_span(intact, model_damage.largest_storage(intact))
    damaged = bytearray(intact)
    damaged[start + length // 2] ^= 0x04
    out = load_in_child(tmp_path, bytes(damaged), "file")
    assert "is damaged: its CRC-32 is" in out, out


def test_xml_records_the_model_sha256(intact):
    xml = openmm.XmlSerializer.serialize(make_force(intact))
    assert 'modelSha256="%s"' % hashlib.sha256(intact).hexdigest() in xml


def test_xml_whose_model_does_not_match_its_sha256_is_refused(tmp_path, intact):
    xml = openmm.XmlSerializer.serialize(make_force(intact))
    recorded = hashlib.sha256(intact).hexdigest()
    # Another intact model under the first one's checksum: only the checksum tells them apart.
    other_path = tmp_path / "other.pt"
    scripted_contact_model(seed=4).save(str(other_path))
    other = other_path.read_bytes()
    tampered = xml_with_model(xml, other, checksum=False).replace('modelSize=', 'modelSha256="%s" modelSize=' % recorded)
    out = load_in_child(tmp_path, tampered, "xml")
    assert out.startswith("REFUSED AffinityForce: the embedded model's SHA-256 is %s; the XML records %s"
                          % (hashlib.sha256(other).hexdigest(), recorded)), out


def test_xml_without_a_checksum_still_loads(intact):
    force = make_force(intact)
    xml = xml_with_model(openmm.XmlSerializer.serialize(force), intact, checksum=False)
    assert "modelSha256" not in xml
    restored = openmm.XmlSerializer.deserialize(xml)
    assert openmmaffinity.AffinityForce.cast(restored).getModelBytes() == intact
    assert energy_of(restored) == energy_of(make_force(intact))


@pytest.fixture(scope="module")
def rescore_set(tmp_path_factory):
    directory = tmp_path_factory.mktemp("rescore")
    training_set = damage_runs.training_set()
    training_set.write_set(directory, ligands=2, poses=2)
    training_set.export_tiny_model(directory / "model.pt")
    return directory


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_affinity_rescore_refuses_a_damaged_model(rescore_set, tmp_path, damage):
    change, expected = DAMAGES[damage]
    model = tmp_path / "damaged.pt"
    model.write_bytes(change((rescore_set / "model.pt").read_bytes()))
    result = damage_runs.run([damage_runs.tool("affinity-rescore"), "--model", str(model), "--receptor",
                              str(rescore_set / "receptor.pdbqt"), "--poses", str(rescore_set / "poses" / "lig1.pdbqt"),
                              "--out", str(tmp_path / "out.csv"), "--quiet"])
    assert result.returncode == 1, damage_runs.describe(result)
    assert "cannot load the model from '%s'" % model in result.stderr, result.stderr
    assert re.search(expected, result.stderr, re.S), result.stderr
    assert not (tmp_path / "out.csv").exists()
