# SPDX-License-Identifier: MIT
"""Loading the plugin's OpenMM platform plugins (Reference, CPU, CUDA kernels of AffinityForce).

A development install (``cmake --install``) puts them into OpenMM's plugin folder, which
``import openmm`` loads. The wheel keeps them in the package (``openmmaffinity/plugins``), with
the libraries they need in ``openmmaffinity/lib``; the package loads them from there with
``openmm.Platform.loadPluginsFromDirectory``, once, when it is imported. The libraries find
LibTorch and OpenMM relative to site-packages; where torch or openmm is installed elsewhere (a
virtual environment with --system-site-packages), importing both first loads their libraries,
which is what the plugin's libraries then use."""

import os
import warnings

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_WHEEL_PLUGINS = os.path.join(PACKAGE_DIR, "plugins")
_PREFIX = "libOpenMMAffinity"
_loaded = []


def _openmm_plugin_folder():
    import openmm

    return os.path.abspath(openmm.Platform.getDefaultPluginsDirectory())


def _affinity_plugins_in(folder):
    try:
        return sorted(name for name in os.listdir(folder) if name.startswith(_PREFIX) and name.endswith(".so"))
    except OSError:
        return []


def plugin_directory():
    """The folder whose AffinityForce plugins OpenMM uses: the package's own (the wheel) or OpenMM's
    plugin folder (a development install)."""
    if _loaded:
        return _loaded[0]
    return _openmm_plugin_folder()


def load_plugins():
    """Load the wheel's plugins into OpenMM, once. Nothing to do for a development install."""
    if _loaded or not os.path.isdir(_WHEEL_PLUGINS):
        return
    import torch  # noqa: F401  (loads LibTorch's libraries, which the plugin's libraries link)
    import openmm

    openmm_folder = _openmm_plugin_folder()
    others = _affinity_plugins_in(openmm_folder)
    if others and os.path.realpath(openmm_folder) != os.path.realpath(_WHEEL_PLUGINS):
        # Another install's plugins (cmake --install into this environment's OpenMM) were loaded
        # by `import openmm`, with their own copy of the plugin's library; loading this package's
        # on top would mix two builds in one process, so those are used and the user is told.
        warnings.warn("openmmaffinity: OpenMM's plugin folder %s holds AffinityForce plugins of another install (%s); "
                      "OpenMM uses those, not this package's (%s). Remove them, or set OPENMM_PLUGIN_DIR to a folder "
                      "without them, to use this package's." % (openmm_folder, ", ".join(others), _WHEEL_PLUGINS),
                      RuntimeWarning, stacklevel=3)
        _loaded.append(openmm_folder)
        return
    openmm.Platform.loadPluginsFromDirectory(_WHEEL_PLUGINS)
    _loaded.append(_WHEEL_PLUGINS)
