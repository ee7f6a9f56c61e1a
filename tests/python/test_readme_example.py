# SPDX-License-Identifier: MIT
"""Every ```python block of the README runs as written, each in a fresh namespace from the
repository's root (where its file paths point), so that the examples cannot rot."""

import os
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def python_blocks():
    blocks = BLOCK.findall((ROOT / "README.md").read_text())
    assert len(blocks) >= 2, "README.md has lost its Python examples"
    return blocks


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_the_readme_example_runs(index, tmp_path, capsys):
    script = tmp_path / ("readme_example_%d.py" % index)
    script.write_text(python_blocks()[index])
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace = runpy.run_path(str(script), run_name="__main__")
    finally:
        os.chdir(cwd)
    printed = capsys.readouterr().out
    assert printed.strip(), "the example printed nothing"
    if "optimizer" in namespace:  # the training loop lowers its loss
        losses = namespace["losses"]
        assert len(losses) == 20 and losses[-1] < 0.5 * losses[0]
