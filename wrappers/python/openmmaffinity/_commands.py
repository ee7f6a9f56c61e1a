# SPDX-License-Identifier: MIT
"""The console scripts of the wheel, ``affinity-rescore`` and ``affinity-train``: each runs the C++
program of the same name bundled in the package (``openmmaffinity/bin``).

The programs link LibTorch, OpenMM and the plugin's own libraries. Those live in other
packages (torch, openmm), which need not sit in the same site-packages as this one (a virtual
environment with --system-site-packages, a user install), so the programs' relative RPATH
cannot always find them: the entry point looks the packages up the way Python imports them and
puts their library folders on LD_LIBRARY_PATH before it replaces itself with the program, whose
exit status and output are then the program's own."""

import importlib.util
import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit("openmmaffinity: the package '%s' is not installed; the command-line tools need it" % name)
    return Path(spec.origin).resolve().parent


def library_dirs():
    """The folders the bundled programs load libraries from: the plugin's, LibTorch's (and the CUDA
    runtime packages beside torch), OpenMM's."""
    torch_dir = _package_dir("torch")
    openmm_dir = _package_dir("openmm")
    folders = [PACKAGE_DIR / "lib", torch_dir / "lib"]
    folders += sorted((torch_dir.parent / "nvidia").glob("*/lib"))
    folders.append(openmm_dir.parent / "OpenMM.libs" / "lib")
    return [str(folder) for folder in folders if folder.is_dir()]


def program_environment(environ=None):
    """A copy of the environment whose LD_LIBRARY_PATH starts with library_dirs()."""
    environ = dict(os.environ if environ is None else environ)
    path = library_dirs() + [p for p in environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
    environ["LD_LIBRARY_PATH"] = os.pathsep.join(path)
    return environ


def run_program(name, arguments=None):
    """Replace this process with the bundled program name, given arguments (default: sys.argv[1:])."""
    program = PACKAGE_DIR / "bin" / name
    if not os.access(program, os.X_OK):
        raise SystemExit("openmmaffinity: %s is not in this installation (expected %s); the package was "
                         "built without the command-line tools" % (name, program))
    arguments = sys.argv[1:] if arguments is None else list(arguments)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(str(program), [name] + arguments, program_environment())


def rescore():
    """affinity-rescore: rescoring of docked poses (``affinity-rescore --help``)."""
    run_program("affinity-rescore")


def train():
    """affinity-train: training of TorchScript affinity models (``affinity-train --help``)."""
    run_program("affinity-train")
