# SPDX-License-Identifier: MIT
"""Seeded fuzzing of model bytes, XML and affinity-train checkpoints through the real APIs and
tool: bit flips, truncation, zeroed and removed zip records, cut storages and junk. It fails on
any signal, any input that takes longer than the per-input limit, any temporary file left
behind, and any damaged input that is accepted and then gives another answer than the intact
one (an accepted input that gives the same answer is harmless damage, e.g. in a timestamp).

AFFINITY_FUZZ_SEED and AFFINITY_FUZZ_COUNT (default 17 and 500) choose the mutants, for longer
runs by hand; a failure names the seed, the mutant's index and its kind."""
import base64
import hashlib
import json
import os
import re
import selectors
import subprocess
import sys
import openmm
import pytest
import torch

import damage_runs
import model_damage
import openmmaffinity
from scripted_models import complex_poses, complex_topology, scripted_contact_model

SEED = int(os.environ.get("AFFINITY_FUZZ_SEED", "17"))
COUNT = int(os.environ.get("AFFINITY_FUZZ_COUNT", "500"))
# The share of the mutants that are checkpoints (each is a run of affinity-train) and XML.
CHECKPOINT_SHARE, XML_SHARE = 0.1, 0.3
SECONDS_PER_INPUT = 60

# Loads one input per line of stdin (kind, path) and answers with one JSON line: refused with
# the message, or accepted with the energy of one pose on the Reference platform.
WORKER = r"""
import json, sys
import numpy as np, openmm, openmmaffinity
from openmm import unit
numbers, mask, positions = json.loads(sys.argv[1])
platform = openmm.Platform.getPlatformByName("Reference")
for line in sys.stdin:
    kind, path = line.rstrip("\n").split(" ", 1)
    try:
        if kind == "model":
            force = openmmaffinity.AffinityForce(path)
            force.addParticles(np.arange(len(numbers)), numbers, mask)
        else:
            force = openmm.XmlSerializer.deserialize(open(path).read())
        system = openmm.System()
        for _ in numbers:
            system.addParticle(12.0)
        system.addForce(force)
        context = openmm.Context(system, openmm.VerletIntegrator(0.001), platform)
        context.setPositions(positions)
        energy = context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        answer = {"accepted": True, "energy": energy}
    except openmm.OpenMMException as e:
        answer = {"accepted": False, "message": str(e)}
    except Exception as e:
        answer = {"accepted": False, "message": "%s: %s" % (type(e).__name__, e), "unexpected": True}
    print(json.dumps(answer), flush=True)
"""


class Worker:
    """A child process that loads inputs; restarted after it dies or hangs."""

    def __init__(self, topology):
        self.topology = topology
        self.process = None

    def ask(self, kind, path):
        """(answer, failure): the child's answer, or why there is none (a signal, a hang)."""
        if self.process is None:
            self.process = subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(self.topology)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                            text=True)
        self.process.stdin.write(f"{kind} {path}\n")
        self.process.stdin.flush()
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        ready = selector.select(SECONDS_PER_INPUT)
        selector.close()
        line = self.process.stdout.readline() if ready else ""
        if line:
            return json.loads(line), None
        if not ready:
            self.process.kill()
        code = self.process.wait()
        self.process = None
        return None, ("hung past %d s" % SECONDS_PER_INPUT) if not ready else f"ended by signal {-code}" if code < 0 \
            else f"exited {code}"

    def close(self):
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait()


def xml_mutant(xml, rng):
    """Damage inside what the XML's checksum guards (the embedded model and its SHA-256): flips,
    cuts and junk in its base64 text, or another model whose checksum was recomputed."""
    match = re.search(r'model="([^"]*)"', xml)
    text = match.group(1)
    choice = rng.random()
    if choice < 0.5:
        chars = list(text)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(chars))
            chars[at] = chr(ord(chars[at]) ^ (1 << rng.randrange(7)))
        return "xml_flip", xml[:match.start(1)] + "".join(chars).replace('"', "'") + xml[match.end(1):]
    if choice < 0.7:
        digest = re.search(r'modelSha256="([0-9a-f]*)"', xml)
        at = digest.start(1) + rng.randrange(64)
        return "xml_sha_flip", xml[:at] + ("0" if xml[at] != "0" else "1") + xml[at + 1:]
    kind, damaged = model_damage.mutant(base64.b64decode(text), rng)
    xml = xml[:match.start(1)] + base64.b64encode(damaged).decode() + xml[match.end(1):]
    xml = re.sub(r'modelSize="\d+"', 'modelSize="%d"' % len(damaged), xml)
    return "xml_resummed_" + kind, re.sub(r'modelSha256="[0-9a-f]*"',
                                          'modelSha256="%s"' % hashlib.sha256(damaged).hexdigest(), xml)


def checkpoint_mutant(checkpoint, rng):
    """Damage to the file as a disk would do it, or to its archive under a recomputed checksum."""
    header, archive = checkpoint.split(b"\n", 1)
    if rng.random() < 0.6:
        return raw_damage(checkpoint, rng)
    kind, damaged = model_damage.mutant(archive, rng)
    rewrapped = b"affinity-train checkpoint 2 %d %s\n" % (len(damaged), hashlib.sha256(damaged).hexdigest().encode())
    return "resummed_" + kind, rewrapped + damaged


def raw_damage(data, rng):
    data = bytearray(data)
    choice = rng.random()
    if choice < 0.5:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return "flip", bytes(data)
    if choice < 0.8:
        return "truncate", bytes(data[: rng.randrange(len(data))])
    start = rng.randrange(len(data))
    data[start:start + 32] = bytes(rng.randrange(256) for _ in range(32))
    return "junk", bytes(data)


def parameters_of(path):
    return {name: p.detach().clone() for name, p in torch.jit.load(str(path)).named_parameters()}


@pytest.fixture(scope="module")
def checkpoint_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("fuzz_train")
    training_set = damage_runs.training_set()
    training_set.write_set(directory, ligands=3, poses=2)
    training_set.export_tiny_model(directory / "model.pt", dtype="float32")

    def train(*arguments):
        return damage_runs.run([damage_runs.tool("affinity-train"), "--poses", str(directory / "poses"), "--receptor",
                                str(directory / "receptor.pdbqt"), "--targets", str(directory / "targets.csv"),
                                "--model", str(directory / "model.pt"), "--quiet", "--validation-fraction", "0",
                                *arguments], timeout=SECONDS_PER_INPUT)

    result = train("--epochs", "1", "--checkpoint", str(directory / "run.ckpt"), "--output", str(directory / "a.pt"))
    assert result.returncode == 0, damage_runs.describe(result)
    result = train("--epochs", "2", "--resume", str(directory / "run.ckpt"), "--output", str(directory / "intact.pt"))
    assert result.returncode == 0, damage_runs.describe(result)
    return directory, train, parameters_of(directory / "intact.pt")


def test_fuzzed_models_xml_and_checkpoints(tmp_path, checkpoint_run):
    rng = model_damage.seeded(SEED)
    numbers, mask = complex_topology()
    positions = complex_poses(1)[0].tolist()
    model_path = tmp_path / "intact.pt"
    scripted_contact_model().save(str(model_path))
    intact_model = model_path.read_bytes()
    force = openmmaffinity.AffinityForce(intact_model)
    force.addParticles(list(range(len(numbers))), numbers, mask)
    intact_xml = openmm.XmlSerializer.serialize(force)
    worker = Worker([list(map(int, numbers)), list(map(bool, mask)), positions])
    directory, train, intact_parameters = checkpoint_run
    checkpoint = (directory / "run.ckpt").read_bytes()

    reference, failure = worker.ask("model", str(model_path))
    assert failure is None and reference["accepted"], (reference, failure)
    failures, counts = [], {}
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for index in range(COUNT):
        draw = rng.random()
        where = f"seed {SEED}, mutant {index}"
        if draw < CHECKPOINT_SHARE:
            kind, damaged = checkpoint_mutant(checkpoint, rng)
            path = inputs / "damaged.ckpt"
            path.write_bytes(damaged)
            output = inputs / "out.pt"
            output.unlink(missing_ok=True)
            try:
                result = train("--epochs", "2", "--resume", str(path), "--output", str(output))
            except subprocess.TimeoutExpired:
                failures.append(f"{where} (checkpoint {kind}): hung past {SECONDS_PER_INPUT} s")
                continue
            accepted = result.returncode == 0
            if result.returncode < 0 or result.returncode not in (0, 1):
                failures.append(f"{where} (checkpoint {kind}): {damage_runs.describe(result)}")
            elif not accepted and "the checkpoint " + str(path) not in result.stderr:
                failures.append(f"{where} (checkpoint {kind}): refused without naming it: {result.stderr[-300:]}")
            elif accepted:
                got = parameters_of(output)
                if any(not torch.equal(got[n], intact_parameters[n]) for n in intact_parameters):
                    failures.append(f"{where} (checkpoint {kind}): accepted, and training went another way")
            kind = "checkpoint_" + kind
        else:
            if draw < CHECKPOINT_SHARE + XML_SHARE:
                kind, damaged = xml_mutant(intact_xml, rng)
                path, how = inputs / "damaged.xml", "xml"
                path.write_text(damaged)
            else:
                kind, damaged = model_damage.mutant(intact_model, rng)
                path, how = inputs / "damaged.pt", "model"
                path.write_bytes(damaged)
            answer, failure = worker.ask(how, str(path))
            accepted = answer is not None and answer["accepted"]
            if failure is not None:
                failures.append(f"{where} ({kind}): {failure}")
            elif answer.get("unexpected"):
                failures.append(f"{where} ({kind}): not an OpenMMException: {answer['message'][:300]}")
            elif accepted and answer["energy"] != reference["energy"]:
                failures.append(f"{where} ({kind}): accepted, energy {answer['energy']} != {reference['energy']}")
        counts.setdefault(kind, [0, 0])[0 if accepted else 1] += 1
    worker.close()
    leftovers = [p.name for p in list(inputs.iterdir()) + list(directory.iterdir()) if "partial" in p.name]
    print("mutants (accepted, refused) by kind:", json.dumps(counts, sort_keys=True))
    assert not leftovers, leftovers
    assert not failures, "\n".join(failures[:20])
