# SPDX-License-Identifier: MIT
"""Conversion of user input (numpy arrays, lists, openmm.unit.Quantity, torch tensors) into
the C-contiguous arrays the C++ side takes, with errors that name the argument, what was
expected and what was found."""

import math

import numpy as np


def _plain_values(values, who, name):
    """values without units (a length Quantity is converted to nm) and as numpy-convertible data."""
    from openmm import unit

    if unit.is_quantity(values):
        try:
            values = values.value_in_unit(unit.nanometer)
        except TypeError as error:
            message = "%s: %s: expected lengths (nm), found a Quantity in %s" % (who, name, values.unit)
            raise TypeError(message) from error
    if hasattr(values, "detach") and hasattr(values, "cpu"):  # a torch.Tensor
        values = values.detach().cpu().numpy()
    return values


def pose_array(poses, num_atoms, who):
    """Poses as a C-contiguous float64 array [P,N,3] in nm.

    poses: [P,N,3] or, for one pose, [N,3]; a numpy array (floating-point), a list (for example
    of openmm.Vec3), a torch tensor, or an openmm.unit.Quantity of any of these.
    num_atoms: the N the poses must have, or None to accept any."""
    values = _plain_values(poses, who, "poses")
    if isinstance(values, np.ndarray):
        if values.dtype.kind != "f":
            raise TypeError(
                "%s: poses: expected floating-point positions in nm, found dtype %s" % (who, values.dtype)
            )
        array = values
    else:
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(
                "%s: poses: expected numbers (positions in nm) in an array [P,N,3], found %s (%s)"
                % (who, type(poses).__name__, error)
            ) from error
    if array.ndim == 2:
        array = array[np.newaxis]
    if array.ndim != 3 or array.shape[-1] != 3 or array.shape[0] == 0:
        raise ValueError(
            "%s: poses: expected an array of shape [P,N,3] (or [N,3] for one pose) with P >= 1, found shape %s"
            % (who, tuple(np.shape(values)))
        )
    if num_atoms is not None and array.shape[1] != num_atoms:
        raise ValueError(
            "%s: poses: expected %d atoms per pose, the atoms the model sees, found shape %s"
            % (who, num_atoms, tuple(array.shape))
        )
    return np.ascontiguousarray(array, dtype=np.float64)


def integer_array(values, who, name):
    """A one-dimensional array of integers (int64)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError("%s: %s: expected a one-dimensional array, found shape %s" % (who, name, array.shape))
    if array.size and array.dtype.kind not in "iu":
        raise TypeError("%s: %s: expected integers, found dtype %s" % (who, name, array.dtype))
    return array.astype(np.int64)


def bool_array(values, who, name):
    """A one-dimensional array of bools; integers 0 and 1 are accepted too."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError("%s: %s: expected a one-dimensional array, found shape %s" % (who, name, array.shape))
    if array.size and array.dtype.kind != "b":
        if array.dtype.kind not in "iu" or not np.isin(array, (0, 1)).all():
            raise TypeError("%s: %s: expected bools (True for ligand atoms), found dtype %s" % (who, name, array.dtype))
    return array.astype(bool)


def topology_arrays(atomic_numbers, ligand_mask, who):
    """Atomic numbers (int64 [N]) and ligand flags (bool [N]) of the same length."""
    numbers = integer_array(atomic_numbers, who, "atomic_numbers")
    mask = bool_array(ligand_mask, who, "ligand_mask")
    if numbers.shape != mask.shape:
        raise ValueError(
            "%s: expected one atomic number and one ligand flag per atom, found %d atomic numbers and %d flags"
            % (who, numbers.size, mask.size)
        )
    return numbers, mask


def particle_arrays(system_indices, atomic_numbers, ligand_mask, who="addParticles"):
    """System indices, atomic numbers and ligand flags of the same length."""
    indices = integer_array(system_indices, who, "systemIndices")
    numbers, mask = topology_arrays(atomic_numbers, ligand_mask, who)
    if indices.shape != numbers.shape:
        raise ValueError(
            "%s: expected one system index per particle, found %d indices and %d atomic numbers"
            % (who, indices.size, numbers.size)
        )
    return indices, numbers, mask


def batch_arguments(batch_size, memory_budget_mib, who):
    """batch_size as an int (0 or more; 0 lets the memory budget choose) and memory_budget_mib as a
    float (positive and finite), as the command-line tools require them; ValueError otherwise."""
    try:
        size = float(batch_size)
    except (TypeError, ValueError):
        size = float("nan")
    if isinstance(batch_size, bool) or not (math.isfinite(size) and size >= 0 and size.is_integer()):
        raise ValueError("%s: batch_size: expected a whole number of poses, 0 or more (0: chosen from the memory "
                         "budget), found %r" % (who, batch_size))
    try:
        budget = float(memory_budget_mib)
    except (TypeError, ValueError):
        budget = float("nan")
    if isinstance(memory_budget_mib, bool) or not (math.isfinite(budget) and budget > 0):
        raise ValueError("%s: memory_budget_mib: expected a positive, finite number of MiB, found %r"
                         % (who, memory_budget_mib))
    return int(size), budget
