# SPDX-License-Identifier: MIT
"""What the tests of damaged input share: models and data sets to damage, the installed tools,
and runs in a child process, so that a crash is reported as the signal it was rather than
ending pytest."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tool(name):
    """A command-line tool: the one CTest names (AFFINITY_TRAIN, AFFINITY_RESCORE: this build's),
    else the installed one (the build installs them beside the environment's Python)."""
    return os.environ.get("AFFINITY_" + name.split("-")[1].upper(), str(BIN / name))


def training_set():
    """tests/cli/train/training_set.py: tiny receptor, pose and target files, and a tiny model."""
    name = "training_set_for_damage_tests"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "cli" / "train" / "training_set.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def describe(result):
    """A child's end, for assertion messages: its exit status or signal, and its stderr's tail."""
    status = f"signal {-result.returncode}" if result.returncode < 0 else f"exit {result.returncode}"
    return f"{status}; stderr: {result.stderr[-2000:]}"


def run(command, timeout=120, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
