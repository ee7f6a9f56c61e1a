# SPDX-License-Identifier: MIT
"""Check an installation: ``python -m openmmaffinity.testInstallation``.

As ``python -m openmm.testInstallation`` does for OpenMM, it evaluates one AffinityForce (the
shipped default model on a small protein–ligand complex) on every OpenMM platform present
(Reference, CPU, CUDA where there is one), prints a table of the results, and compares each
platform's energy and forces with Reference. The exit status is 0 when the plugin is loaded for
every platform and every platform agrees with Reference, 1 otherwise."""

import sys

import numpy as np

# A pocket of six receptor atoms (C, N, O, S) around a five-atom ligand (C, C, N, O, Cl),
# 0.35–0.6 nm apart, so that contact terms of the model contribute; positions in nm.
_ATOMIC_NUMBERS = [6, 7, 8, 6, 16, 6, 6, 6, 7, 8, 17]
_LIGAND_MASK = [False] * 6 + [True] * 5
_POSITIONS = [
    [0.00, 0.00, 0.00], [0.55, 0.05, 0.00], [0.05, 0.58, 0.02],
    [0.50, 0.52, 0.60], [0.00, 0.05, 0.62], [0.58, 0.00, 0.55],
    [0.25, 0.25, 0.28], [0.38, 0.30, 0.36], [0.22, 0.38, 0.36],
    [0.30, 0.16, 0.38], [0.42, 0.42, 0.22],
]
# float32 on CPU and CUDA against float64 on Reference.
_RELATIVE_TOLERANCE = 1e-4


def _evaluate(platform_name, force_factory):
    import openmm

    system = openmm.System()
    for number in _ATOMIC_NUMBERS:
        system.addParticle(12.0 if number != 1 else 1.0)
    force = force_factory()
    force.addParticles(np.arange(len(_ATOMIC_NUMBERS)), _ATOMIC_NUMBERS, _LIGAND_MASK)
    system.addForce(force)
    platform = openmm.Platform.getPlatformByName(platform_name)
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), platform)
    context.setPositions(_POSITIONS)
    state = context.getState(getEnergy=True, getForces=True)
    energy = state.getPotentialEnergy().value_in_unit(openmm.unit.kilojoule_per_mole)
    forces = np.array(state.getForces(asNumpy=True).value_in_unit(openmm.unit.kilojoule_per_mole / openmm.unit.nanometer))
    return energy, forces


def run(out=sys.stdout):
    """Run the check, print its table to out, and return the exit status (0 when everything passed)."""
    import openmm

    import openmmaffinity
    from openmmaffinity.models import default_model_path

    print("OpenMM version: %s, openmmaffinity %s" % (openmm.__version__, openmmaffinity.__version__), file=out)
    print("openmmaffinity package: %s" % openmmaffinity.__file__, file=out)
    print("AffinityForce plugins loaded from: %s" % openmmaffinity.plugin_directory(), file=out)
    model = str(default_model_path())
    names = [openmm.Platform.getPlatform(i).getName() for i in range(openmm.Platform.getNumPlatforms())]
    names = [name for name in names if name != "OpenCL"]  # the plugin has no OpenCL kernels
    # A plugin of a platform that OpenMM itself lacks here (CUDA without a GPU or driver) cannot
    # load, since it links that platform's library: reported, not a failure. Any other is one.
    failures = []
    for failure in openmm.Platform.getPluginLoadFailures():
        if "Affinity" not in failure:
            continue
        platform = next((name for name in ("CUDA", "CPU", "Reference") if "libOpenMMAffinity" + name in failure), None)
        missing_platform = platform is not None and platform not in names
        print("Plugin load %s: %s" % ("note (no %s platform here)" % platform if missing_platform else "failure",
                                      failure), file=out)
        if not missing_platform:
            failures.append(failure)
    print("\nThere are %d Platforms available to AffinityForce:\n" % len(names), file=out)
    results = {}
    for index, name in enumerate(names, start=1):
        try:
            results[name] = _evaluate(name, lambda: openmmaffinity.AffinityForce(model))
            print("%d %s - Successfully computed the AffinityForce: E = %.6f kJ/mol" % (index, name, results[name][0]),
                  file=out)
        except Exception as error:  # every failure is reported, in the table, and fails the check
            print("%d %s - Error computing the AffinityForce with %s platform: %s" % (index, name, name, error), file=out)

    ok = not failures and len(results) == len(names) and "Reference" in results
    if "Reference" in results and len(results) > 1:
        reference_energy, reference_forces = results["Reference"]
        scale = max(np.abs(reference_forces).max(), 1e-12)
        print("\nDifferences from Reference (relative; tolerance %.0e):\n" % _RELATIVE_TOLERANCE, file=out)
        print("%-10s %-14s %-14s %s" % ("platform", "energy", "max force", "result"), file=out)
        for name, (energy, forces) in results.items():
            if name == "Reference":
                continue
            energy_difference = abs(energy - reference_energy) / max(abs(reference_energy), 1e-12)
            force_difference = np.abs(forces - reference_forces).max() / scale
            agrees = energy_difference <= _RELATIVE_TOLERANCE and force_difference <= _RELATIVE_TOLERANCE
            ok = ok and agrees
            print("%-10s %-14.3e %-14.3e %s" % (name, energy_difference, force_difference, "ok" if agrees else "FAILED"),
                  file=out)
    print("\nAll platforms agree with Reference." if ok else "\nThe installation check FAILED.", file=out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run())
