# SPDX-License-Identifier: MIT
"""The energy units results may be reported in: kJ/mol (OpenMM's, the default everywhere) or
kcal/mol (the command-line tools' and the docking programs')."""

from .openmmaffinity import KJ_PER_KCAL

ENERGY_UNITS = ("kJ/mol", "kcal/mol")


def per_kj(unit, who):
    """The number of unit in one kJ/mol: 1 for "kJ/mol", 1/4.184 for "kcal/mol"; ValueError otherwise."""
    if unit == "kJ/mol":
        return 1.0
    if unit == "kcal/mol":
        return 1.0 / KJ_PER_KCAL
    raise ValueError("%s: unit: expected 'kJ/mol' or 'kcal/mol', found %r" % (who, unit))
