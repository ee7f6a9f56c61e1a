# SPDX-License-Identifier: MIT
"""openmmaffinity.__version__ is the version of project(OpenMMAffinity VERSION ...) in the
top-level CMakeLists.txt, the one place it is written (the wheel's metadata, read from the same
line, is checked by tests/packaging)."""

import re
from pathlib import Path

import openmmaffinity

CMAKE_LISTS = Path(__file__).resolve().parents[2] / "CMakeLists.txt"


def project_version():
    match = re.search(r"project\(OpenMMAffinity VERSION ([0-9]+\.[0-9]+\.[0-9]+)", CMAKE_LISTS.read_text())
    assert match, "no project(OpenMMAffinity VERSION x.y.z) in %s" % CMAKE_LISTS
    return match.group(1)


def test_the_module_version_is_the_project_version():
    assert openmmaffinity.__version__ == project_version()
    assert openmmaffinity.VERSION == openmmaffinity.__version__

