# SPDX-License-Identifier: MIT
"""Scorer: a TorchScript affinity model bound to one complex topology on a chosen device,
without an OpenMM Context; per-pose energies and the gradient export, in numpy."""

import numbers

import numpy as np

from ._arrays import batch_arguments, pose_array, topology_arrays
from ._model_source import is_torch_module, model_bytes
from ._results import CombinedGradient, PoseGradient
from ._units import per_kj
from .openmmaffinity import DEFAULT_MEMORY_BUDGET_MIB, DEFAULT_TEMPERATURE, AffinityLoss, Combination, _PoseArrayModel

_STRATEGIES = ("store-all", "two-pass", "one-pass")


def _dtype_name(dtype):
    """"float32", "float64" or "" (the model's own) for None, a string, a torch or numpy dtype."""
    if dtype is None:
        return ""
    name = str(dtype).replace("torch.", "")
    name = {"float": "float32", "double": "float64"}.get(name, name)
    if name not in ("float32", "float64"):
        raise ValueError("Scorer: dtype: expected float32 or float64, found %s" % (dtype,))
    return name


class Scorer:
    """A TorchScript affinity model bound to one complex topology (the atomic number and ligand
    flag of each atom) on one device: it scores poses and exports gradients without an OpenMM
    Context, through the same C++ code as the platforms of AffinityForce.

    The scorer runs its own copy of the model, loaded in C++ from the model's TorchScript
    bytes. When it is made from a torch.jit.ScriptModule it follows that module: before each
    call it copies the module's current state_dict() (floating-point parameters and buffers,
    by name) into its copy, so a Python training loop that steps the module's parameters is
    always scored with the current values. Gradients are returned, by parameter name; nothing
    is written to the module unless CombinedGradient.add_to_grad() is called.

    Parameters
    ----------
    model : str, os.PathLike, bytes or torch.jit.ScriptModule
        the model: a TorchScript file, its bytes, or a scripted module
    atomic_numbers : array of int [N]
        the atomic number of each atom the model sees, 1 to 118
    ligand_mask : array of bool [N]
        for each atom, whether it belongs to the ligand
    device : str or torch.device
        where the model runs: "cpu", "cuda" or "cuda:N"
    dtype : None, "float32", "float64", torch.float32 or torch.float64
        the dtype of positions and parameters; None keeps the model's own
    temperature : float (K) or openmm.unit.Quantity
        T, for models that return kT and for β = 1/(k_B T) in the combinations
    follow_module : bool
        whether to copy a ScriptModule's state_dict() in before each call (see above)
    """

    def __init__(self, model, atomic_numbers, ligand_mask, device="cpu", dtype=None, temperature=DEFAULT_TEMPERATURE,
                 follow_module=True):
        numbers, mask = topology_arrays(atomic_numbers, ligand_mask, "Scorer")
        self._module = model if follow_module and is_torch_module(model) else None
        self._scorer = _PoseArrayModel(model_bytes(model, "Scorer"), numbers.tolist(), mask.tolist(), str(device),
                                       _dtype_name(dtype), temperature)

    @classmethod
    def for_force(cls, force, device="cpu", dtype=None):
        """A Scorer for the model, particles and temperature of an AffinityForce."""
        if force.getNumParticles() == 0:
            raise ValueError("Scorer.for_force: the AffinityForce has no particles; add the particles the model sees")
        return cls(force.getModelBytes(), force.getAtomicNumbers(), force.getLigandMask(), device, dtype,
                   force.getTemperature())

    def for_topology(self, atomic_numbers, ligand_mask):
        """A Scorer of another complex topology (another ligand, another pocket) that shares this
        scorer's model: the same parameters (in C++), device, dtype and temperature, and the same
        followed module. The scorers of a set of ligands (combined_gradient_set) must share one
        model."""
        numbers, mask = topology_arrays(atomic_numbers, ligand_mask, "Scorer.for_topology")
        other = Scorer.__new__(Scorer)
        other._module = self._module
        other._scorer = self._scorer.withTopology(numbers.tolist(), mask.tolist())
        return other

    def combined_gradient_set(self, ligands, combination, loss="mse", **options):
        """The gradient of a loss over a set of ligands (openmmaffinity.combined_gradient_set) scored by
        this scorer's model: a ligand without a scorer of its own is scored by this scorer, or, if it
        gives its topology (atomic_numbers, ligand_mask), by a scorer for_topology() makes."""
        from .ligand_sets import combined_gradient_set

        return combined_gradient_set(ligands, combination, loss, scorer=self, **options)

    def evaluate_set(self, ligands, combination, loss="mse", **options):
        """The loss over a set of ligands without gradients (openmmaffinity.evaluate_set), as
        combined_gradient_set()."""
        from .ligand_sets import evaluate_set

        return evaluate_set(ligands, combination, loss, scorer=self, **options)

    @property
    def device(self):
        """The device the model runs on, e.g. "cpu" or "cuda:0"."""
        return self._scorer.getDevice()

    @property
    def dtype(self):
        """The dtype of positions and parameters: "float32" or "float64"."""
        return self._scorer.getDtype()

    @property
    def num_atoms(self):
        """The number of atoms in each pose."""
        return self._scorer.getNumAtoms()

    @property
    def temperature(self):
        """T in K."""
        return self._scorer.getTemperature()

    @temperature.setter
    def temperature(self, kelvin):
        self._scorer.setTemperature(kelvin)

    @property
    def matmul_precision(self):
        """How a float32 model's matrix products run on CUDA: "float32" (the default: full float32)
        or "tf32" (TF32 tensor cores: inputs rounded to a 10-bit mantissa, sums in float32; faster,
        with energies and forces 1e-4 to 1e-3 relative from float64's). No effect on the CPU or in float64.
        for_topology() keeps it. Setting it raises ValueError for any other value."""
        return self._scorer.getMatmulPrecision()

    @matmul_precision.setter
    def matmul_precision(self, precision):
        if precision not in ("float32", "tf32"):
            raise ValueError("Scorer.matmul_precision: expected 'float32' or 'tf32', found %r" % (precision,))
        self._scorer.setMatmulPrecision(precision)

    @property
    def parameter_names(self):
        """The names of the model's trainable parameters, as named_parameters() gives them."""
        return list(self._scorer.getParameterNames())

    def load_state_dict(self, state_dict):
        """Copy the floating-point tensors of a state_dict (name → tensor or array) into the scorer's
        copy of the model. Raises OpenMMException for a name the model does not have or a size that
        differs; entries that are not floating point (integer counters) are left out."""
        for name, value in state_dict.items():
            if hasattr(value, "detach"):
                if not value.is_floating_point():
                    continue
                value = value.detach().cpu().double().numpy()
            array = np.ascontiguousarray(value, dtype=np.float64).reshape(-1)
            self._scorer.setTensorValues(name, array)

    def _follow(self):
        if self._module is not None:
            self.load_state_dict(self._module.state_dict())

    def pose_energies(self, poses, batch_size=0, memory_budget_mib=DEFAULT_MEMORY_BUDGET_MIB, unit="kJ/mol"):
        """The energy of each pose in kJ/mol (or unit="kcal/mol"), a numpy array [P], evaluated in
        batches without autograd graphs.

        poses: [P,N,3] (or [N,3]) in nm: a numpy array, list, torch tensor or openmm.unit.Quantity.
        batch_size: poses per model call, 0 or more; 0 chooses it from memory_budget_mib (MiB, > 0)."""
        factor = per_kj(unit, "pose_energies")
        size, budget = batch_arguments(batch_size, memory_budget_mib, "pose_energies")
        array = pose_array(poses, self.num_atoms, "pose_energies")
        self._follow()
        return np.array(self._scorer.poseEnergies(array, size, budget), dtype=np.float64) * factor

    def combined_gradient(self, poses, combination, loss, strategy="two-pass", batch_size=0,
                          memory_budget_mib=DEFAULT_MEMORY_BUDGET_MIB, position_gradients=False, unit="kJ/mol"):
        """The gradient of a loss on the combined ΔG of one ligand's poses.

        Parameters
        ----------
        poses : [P,N,3] in nm (as for pose_energies)
        combination : Combination
            MeanCombination(), MaxCombination(sign, scale) or BoltzmannCombination()
        loss : AffinityLoss or float
            the loss; a number y stands for AffinityLoss(y), L = (ΔG − y)² with y in kJ/mol
        strategy : "store-all", "two-pass" or "one-pass"
            how the gradient is assembled (see GradientExport.h); all give the same result
        batch_size, memory_budget_mib :
            poses per model call for "two-pass" (0: chosen from the memory budget, MiB)
        position_gradients : bool
            whether to return dΔG/dx_n for each pose as well
        unit : "kJ/mol" (default) or "kcal/mol"
            the unit of the energies returned (ΔG, G_n, position gradients); the loss and dL/dθ
            are the loss's own (its target y is in kJ/mol)

        Returns
        -------
        CombinedGradient
            ΔG, the loss, G_n, the weights, c_n, g_n, dL/dθ by parameter name, and the position
            gradients when asked for.
        """
        factor = per_kj(unit, "combined_gradient")
        size, budget = batch_arguments(batch_size, memory_budget_mib, "combined_gradient")
        if not isinstance(combination, Combination):
            raise TypeError(
                "combined_gradient: combination: expected a MeanCombination, MaxCombination or BoltzmannCombination, "
                "found %s" % type(combination).__name__
            )
        if isinstance(loss, numbers.Real):
            loss = AffinityLoss(float(loss))
        elif not isinstance(loss, AffinityLoss):
            raise TypeError("combined_gradient: loss: expected an AffinityLoss or a target ΔG in kJ/mol, found %s"
                            % type(loss).__name__)
        if strategy not in _STRATEGIES:
            raise ValueError("combined_gradient: strategy: expected one of %s, found %r" % (", ".join(_STRATEGIES),
                                                                                           strategy))
        array = pose_array(poses, self.num_atoms, "combined_gradient")
        self._follow()
        result = self._scorer.combinedGradient(array, combination, loss, strategy, size, budget,
                                               bool(position_gradients))
        return CombinedGradient.from_dict(result, self.num_atoms, factor)

    def for_each_pose_gradient(self, poses, callback, position_gradients=False, unit="kJ/mol"):
        """Evaluate each pose with autograd, each pose a model call of its own (on a GPU a few
        side by side), and call callback(PoseGradient) for each, in order: its energy G_n, dG_n/dθ
        by parameter name and, when asked, dG_n/dx [N,3], in kJ/mol (or unit="kcal/mol").

        No pose's autograd graph is alive when the callback runs, and memory does not grow with
        the number of poses. An exception raised by the callback stops the loop and propagates."""
        factor = per_kj(unit, "for_each_pose_gradient")
        if not callable(callback):
            raise TypeError("for_each_pose_gradient: callback: expected a callable, found %s"
                            % type(callback).__name__)
        array = pose_array(poses, self.num_atoms, "for_each_pose_gradient")
        self._follow()
        num_atoms = self.num_atoms
        self._scorer._forEachPoseGradient(array, lambda values: callback(PoseGradient.from_dict(values, num_atoms, factor)),
                                          bool(position_gradients))
