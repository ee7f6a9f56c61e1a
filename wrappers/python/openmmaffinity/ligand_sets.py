# SPDX-License-Identifier: MIT
"""Losses over sets of ligands: the combined gradient of L(ΔG_1 … ΔG_L, {G_l,n}) with respect
to a model's parameters, and a torch.autograd.Function whose forward is the set's ΔG.

Every ligand has its own poses and complex topology (atom count); all ligands are scored by
one model. The loss and its derivatives are evaluated once, on the L + ΣN numbers ΔG_l and
G_l,n (by the plugin's C++ code for the built-in losses and TorchScript losses, by torch
autograd in Python for a Python function); autograd never runs through the model for more
than one batch of poses at a time (see GradientExport.h)."""

import inspect
import numbers
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import numpy as np

from ._arrays import batch_arguments, pose_array, topology_arrays
from ._model_source import is_torch_module, model_bytes
from ._results import _doubles, _named_arrays, add_gradients_to_module
from ._units import per_kj
from .openmmaffinity import (
    DEFAULT_MEMORY_BUDGET_MIB,
    DEFAULT_TEMPERATURE,
    CentredMeanSquaredError,
    Combination,
    GaussianNllLoss,
    LigandSetLoss,
    MeanSquaredError,
    PairwiseRankingLoss,
    Readout,
    _LigandSet,
    _pythonSetLoss,
    _torchScriptSetLoss,
)
from .scorer import _STRATEGIES, Scorer

_LOSS_NAMES = {
    "mse": MeanSquaredError,
    "centred-mse": CentredMeanSquaredError,
    "centered-mse": CentredMeanSquaredError,
    "ranking": PairwiseRankingLoss,
    "gaussian-nll": GaussianNllLoss,
}


@dataclass
class Ligand:
    """One ligand of a set: its poses, its targets and what scores it.

    poses: [P,N,3] in nm (as for Scorer.pose_energies), at least one pose.
    target: y, in the unit of the loss's readout (kJ/mol without one).
    sigma: σ, the uncertainty of y in the same unit (the Gaussian NLL loss; > 0 there).
    pose_targets: y_n, one per pose, in the unit of the loss's pose readout; or None.
    scorer: the Scorer of this ligand's topology; or None to give the topology instead
        (atomic_numbers, ligand_mask), or to use the set's scorer."""

    poses: Any
    target: float = 0.0
    sigma: float = 1.0
    pose_targets: Optional[Any] = None
    scorer: Optional[Scorer] = None
    atomic_numbers: Optional[Any] = None
    ligand_mask: Optional[Any] = None


@dataclass
class SetGradient:
    """What combined_gradient_set (and evaluate_set, without gradients) found for a set of ligands."""

    loss: float
    """The loss L."""
    delta_g: Any
    """ΔG_l in kJ/mol, [L]."""
    energies: List[Any]
    """G_l,n in kJ/mol, one array [P_l] per ligand."""
    weights: List[Any]
    """The pose weights of the combination, one array per ligand."""
    coefficients: List[Any]
    """c_l,n = ∂ΔG_l/∂G_l,n, one array per ligand."""
    loss_by_delta_g: Any
    """∂L/∂ΔG_l, [L]."""
    loss_by_pose_energy: List[Any]
    """∂L/∂G_l,n taken directly (not through ΔG_l), one array per ligand."""
    loss_coefficients: List[Any]
    """g_l,n = ∂L/∂ΔG_l · c_l,n + ∂L/∂G_l,n, one array per ligand."""
    gradients: Dict[str, Any]
    """dL/dθ by parameter name (named_parameters()), in the parameters' shapes; empty from evaluate_set."""

    @classmethod
    def from_dict(cls, values, as_torch=False):
        counts = list(values["pose_counts"])
        offsets = np.cumsum([0] + counts)

        def per_ligand(key):
            flat = _doubles(values[key])
            if flat.size == 0:
                return [np.zeros(c) for c in counts]
            return [flat[offsets[i]:offsets[i + 1]] for i in range(len(counts))]

        result = cls(
            loss=values["loss"],
            delta_g=_doubles(values["delta_g"]),
            energies=per_ligand("energies"),
            weights=per_ligand("weights"),
            coefficients=per_ligand("coefficients"),
            loss_by_delta_g=_doubles(values["loss_by_delta_g"]),
            loss_by_pose_energy=per_ligand("loss_by_pose_energy"),
            loss_coefficients=per_ligand("loss_coefficients"),
            gradients=_named_arrays(values["gradients"]),
        )
        if as_torch:
            import torch

            def convert(x):
                return torch.from_numpy(np.array(x))

            for name in ("delta_g", "loss_by_delta_g"):
                setattr(result, name, convert(getattr(result, name)))
            for name in ("energies", "weights", "coefficients", "loss_by_pose_energy", "loss_coefficients"):
                setattr(result, name, [convert(x) for x in getattr(result, name)])
            result.gradients = {name: convert(g) for name, g in result.gradients.items()}
        return result

    def add_to_grad(self, module):
        """Add the gradients to the .grad of a torch module's parameters, by name, as backward() would."""
        add_gradients_to_module(self.gradients, module)


def _positional_count(function):
    """How many positional arguments a callable takes (3 when that cannot be told)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 3
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return 5
    return sum(1 for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _split(flat, counts, requires_grad):
    import torch

    values, start = [], 0
    for count in counts:
        values.append(torch.tensor(flat[start:start + count], dtype=torch.float64, requires_grad=requires_grad))
        start += count
    return values


def _python_formula(function):
    """The callback that the C++ CallableSetLoss calls (see PythonValues.h): it evaluates a torch
    function of (predictions [L], pose_predictions [list of [P_l]], targets [L][, sigmas [L][,
    pose_targets (list)]]) with autograd on these numbers and returns the value and derivatives."""
    import torch

    arguments = _positional_count(function)
    if not 3 <= arguments <= 5:
        raise TypeError(
            "loss: the function takes %d positional arguments; expected 3 to 5: (predictions, pose_predictions, "
            "targets[, sigmas[, pose_targets]])" % arguments
        )

    def formula(predictions, pose_predictions, pose_counts, targets, sigmas, pose_targets, pose_target_counts):
        p = torch.tensor(np.frombuffer(predictions, dtype=np.float64), requires_grad=True)
        q = _split(np.frombuffer(pose_predictions, dtype=np.float64), pose_counts, True)
        inputs = [p, q, torch.tensor(np.frombuffer(targets, dtype=np.float64)),
                  torch.tensor(np.frombuffer(sigmas, dtype=np.float64)),
                  _split(np.frombuffer(pose_targets, dtype=np.float64), pose_target_counts, False)]
        with torch.enable_grad():
            value = function(*inputs[:arguments])
        if not isinstance(value, torch.Tensor):
            if isinstance(value, numbers.Real):
                return float(value), [0.0] * len(p), None
            raise TypeError("loss: the function returned a %s; expected a scalar torch.Tensor" % type(value).__name__)
        if value.numel() != 1:
            raise ValueError("loss: the function returned a tensor of shape %s; expected a scalar"
                             % (tuple(value.shape),))
        if not value.requires_grad:
            return float(value), [0.0] * len(p), None
        grads = torch.autograd.grad(value.reshape(()), [p] + q, allow_unused=True)
        by_ligand = grads[0] if grads[0] is not None else torch.zeros_like(p)
        by_pose = [g if g is not None else torch.zeros_like(x) for g, x in zip(grads[1:], q)]
        flat = torch.cat(by_pose).tolist() if by_pose else []
        return float(value.detach()), by_ligand.tolist(), flat

    return formula


def set_loss(loss="mse", readout=None, pose_readout=None, pose_weight=None, **options):
    """A LigandSetLoss from a name, an object, a TorchScript module or a torch function.

    loss:
        "mse", "centred-mse" ("centered-mse"), "ranking" or "gaussian-nll" (the built-in losses
        of LigandSetLoss.h; options such as scale=, tie_tolerance= go to PairwiseRankingLoss);
        a LigandSetLoss object (returned as it is: set its readouts and pose weight on it);
        a torch.jit.ScriptModule whose forward is (predictions, pose_predictions, targets[,
        sigmas[, pose_targets]]) -> scalar (a TorchScriptSetLoss, evaluated by LibTorch); or a
        Python function of the same arguments, as torch tensors (predictions [L] float64, a
        list of [P_l] tensors, targets [L], ...), returning a scalar tensor: it is evaluated
        with torch autograd on these L + ΣN numbers only.
    readout, pose_readout: a Readout (or its name: "none", "pic50", "pki") of ΔG_l and of
        G_l,n that the loss and the targets see; default ΔG and G in kJ/mol.
    pose_weight: λ of the per-pose terms (λ/L) Σ_l Σ_n (q_l,n − y_l,n)² over the ligands with
        pose targets; default 0.
    """
    if isinstance(loss, LigandSetLoss):
        if readout is not None or pose_readout is not None or pose_weight is not None or options:
            raise ValueError("loss: readout, pose_readout, pose_weight and options go with a loss name or "
                             "function; set them on the %s object instead" % type(loss).__name__)
        return loss
    if isinstance(loss, str):
        if loss not in _LOSS_NAMES:
            raise ValueError("loss: unknown loss %r; expected one of %s, a LigandSetLoss, a ScriptModule or a "
                             "function" % (loss, ", ".join(sorted(_LOSS_NAMES))))
        if options and loss != "ranking":
            raise ValueError("loss: %r takes no options; found %s" % (loss, sorted(options)))
        if loss == "ranking":
            made = PairwiseRankingLoss(float(options.pop("scale", 1.0)), float(options.pop("tie_tolerance", 0.0)))
            if options:
                raise ValueError("loss: 'ranking' takes scale and tie_tolerance; found %s" % sorted(options))
        else:
            made = _LOSS_NAMES[loss]()
    elif options:
        raise ValueError("loss: options %s go with a loss name only" % sorted(options))
    elif is_torch_module(loss):
        made = _torchScriptSetLoss(model_bytes(loss, "loss"))
    elif callable(loss):
        made = _pythonSetLoss(_python_formula(loss), getattr(loss, "__name__", "callable"))
    else:
        raise TypeError("loss: expected a loss name, a LigandSetLoss, a torch.jit.ScriptModule or a function, found %s"
                        % type(loss).__name__)
    if readout is not None:
        made.setReadout(readout if isinstance(readout, Readout) else Readout.fromName(readout))
    if pose_readout is not None:
        made.setPoseReadout(pose_readout if isinstance(pose_readout, Readout) else Readout.fromName(pose_readout))
    if pose_weight is not None:
        made.setPoseWeight(float(pose_weight))
    return made


def _as_ligand(item, index):
    if isinstance(item, Ligand):
        return item
    if isinstance(item, tuple) and 2 <= len(item) <= 5:
        first, rest = item[0], item[1:]
        values = dict(zip(("poses", "target", "sigma", "pose_targets"), rest))
        if isinstance(first, Scorer):
            return Ligand(scorer=first, **values)
        if isinstance(first, tuple) and len(first) == 2:
            return Ligand(atomic_numbers=first[0], ligand_mask=first[1], **values)
    raise TypeError(
        "ligands[%d]: expected a Ligand or a tuple (scorer or (atomic_numbers, ligand_mask), poses, target[, sigma[, "
        "pose_targets]]), found %s" % (index, type(item).__name__)
    )


class _ScoredSet:
    """A set of ligands resolved to scorers that share one model, and its C++ LigandSet."""

    def __init__(self, ligands, base=None, model=None, device="cpu", dtype=None, temperature=DEFAULT_TEMPERATURE):
        items = [_as_ligand(item, i) for i, item in enumerate(ligands)]
        if not items:
            raise ValueError("ligands: the set of ligands is empty; expected at least one ligand")
        # The set's scorer: scorer=, else one made from model=, else the first ligand's scorer.
        if base is None and model is not None:
            first = next((item for item in items if item.atomic_numbers is not None), None)
            if first is None:
                raise ValueError("ligands: model= is given but no ligand gives its topology (atomic_numbers, "
                                 "ligand_mask)")
            base = Scorer(model, first.atomic_numbers, first.ligand_mask, device, dtype, temperature)
        if base is None:
            base = next((item.scorer for item in items if item.scorer is not None), None)
        if base is None:
            raise ValueError("ligands: no ligand has a scorer; give model= and each ligand's topology "
                             "(atomic_numbers, ligand_mask)")
        self.base = base
        by_topology = {}
        self.scorers, self.pose_counts = [], []
        self.ligand_set = _LigandSet()
        for i, item in enumerate(items):
            scorer = item.scorer
            if scorer is None and item.atomic_numbers is not None:
                numbers, mask = topology_arrays(item.atomic_numbers, item.ligand_mask, "ligands[%d]" % i)
                key = (numbers.tobytes(), mask.tobytes())
                if key not in by_topology:
                    by_topology[key] = base.for_topology(numbers, mask)
                scorer = by_topology[key]
            scorer = scorer if scorer is not None else base
            if not scorer._scorer.sharesModelWith(base._scorer):
                raise ValueError("ligands[%d]: its scorer does not share the model of the set's first scorer; make "
                                 "the scorers of a set with Scorer.for_topology()" % i)
            poses = pose_array(item.poses, scorer.num_atoms, "ligands[%d]" % i)
            if poses.shape[0] == 0:
                raise ValueError("ligands[%d]: the ligand has no poses; expected at least one" % i)
            pose_targets = [] if item.pose_targets is None else [float(y) for y in np.ravel(item.pose_targets)]
            self.scorers.append(scorer)
            self.pose_counts.append(int(poses.shape[0]))
            self.ligand_set.addLigand(scorer._scorer, poses, float(item.target), float(item.sigma), pose_targets)
        # The scorers share one C++ model: copy each followed module's parameters in once.
        followed = {}
        for scorer in [base] + self.scorers:
            if scorer._module is not None:
                followed.setdefault(id(scorer._module), scorer)
        for scorer in followed.values():
            scorer._follow()
        self.module = base._module


def _check_combination(combination, who):
    if not isinstance(combination, Combination):
        raise TypeError("%s: combination: expected a MeanCombination, MaxCombination or BoltzmannCombination, found %s"
                        % (who, type(combination).__name__))


def combined_gradient_set(ligands, combination, loss="mse", *, model=None, strategy="two-pass", readout=None,
                          pose_readout=None, pose_weight=None, batch_size=0,
                          memory_budget_mib=DEFAULT_MEMORY_BUDGET_MIB, device="cpu", dtype=None,
                          temperature=DEFAULT_TEMPERATURE, as_torch=False, scorer=None, **loss_options):
    """The gradient of a loss over a set of ligands with respect to the model's parameters.

    Parameters
    ----------
    ligands : list of Ligand, or of tuples (scorer or (atomic_numbers, ligand_mask), poses, target[, sigma[,
            pose_targets]])
        each ligand's poses, target(s) and scorer or topology; the ligands may differ in atom and pose
        counts. Scorers must share one model (Scorer.for_topology() makes them). The set's model is
        scorer='s, else a Scorer(model, ...) for the first topology given, else the first ligand's
        scorer's; ligands given by topology get scorers of it (for_topology()).
    combination : MeanCombination(), MaxCombination(sign, scale) or BoltzmannCombination()
    loss : see set_loss(): "mse" (default), "centred-mse", "ranking", "gaussian-nll", a LigandSetLoss,
            a torch.jit.ScriptModule or a torch function of (predictions, pose_predictions, targets[,
            sigmas[, pose_targets]])
    model : str, bytes or torch.jit.ScriptModule
        the model, when no ligand has a scorer (with device, dtype, temperature as for Scorer)
    strategy : "two-pass" (default), "one-pass" or "store-all" (see GradientExport.h)
    readout, pose_readout, pose_weight, **loss_options : see set_loss()
    batch_size, memory_budget_mib : poses per model call (0: chosen from the memory budget, MiB)
    as_torch : bool
        whether the arrays of the result are torch tensors rather than numpy arrays

    Returns
    -------
    SetGradient: the loss, ΔG_l, G_l,n, c_l,n, the loss's derivatives, g_l,n and dL/dθ by parameter name.
    Nothing is written to any module; SetGradient.add_to_grad(module) does that.
    """
    _check_combination(combination, "combined_gradient_set")
    if strategy not in _STRATEGIES:
        raise ValueError("combined_gradient_set: strategy: expected one of %s, found %r"
                         % (", ".join(_STRATEGIES), strategy))
    size, budget = batch_arguments(batch_size, memory_budget_mib, "combined_gradient_set")
    made = set_loss(loss, readout, pose_readout, pose_weight, **loss_options)
    scored = _ScoredSet(ligands, scorer, model, device, dtype, temperature)
    result = scored.ligand_set.combinedGradient(combination, made, strategy, size, budget)
    return SetGradient.from_dict(result, as_torch)


def evaluate_set(ligands, combination, loss="mse", *, model=None, readout=None, pose_readout=None, pose_weight=None,
                 batch_size=0, memory_budget_mib=DEFAULT_MEMORY_BUDGET_MIB, device="cpu", dtype=None,
                 temperature=DEFAULT_TEMPERATURE, as_torch=False, scorer=None, **loss_options):
    """The loss over a set of ligands and its derivatives, without any gradient of the model (the
    validation step of a training loop): arguments as for combined_gradient_set; the result's
    gradients are empty."""
    _check_combination(combination, "evaluate_set")
    size, budget = batch_arguments(batch_size, memory_budget_mib, "evaluate_set")
    made = set_loss(loss, readout, pose_readout, pose_weight, **loss_options)
    scored = _ScoredSet(ligands, scorer, model, device, dtype, temperature)
    result = scored.ligand_set.evaluate(combination, made, size, budget)
    return SetGradient.from_dict(result, as_torch)


def _combined_delta_g_function():
    import torch

    class CombinedDeltaG(torch.autograd.Function):
        """Forward: pass 1 of two-pass (every pose of every ligand without a graph): ΔG [L] and the
        per-pose energies [ΣN]. Backward: pass 2, with the incoming gradients as ∂L/∂ΔG_l and
        ∂L/∂G_l,n, one batch's graph at a time; returns dL/dθ for the module's parameters."""

        @staticmethod
        def forward(ctx, scored, combination, batch_size, budget, names, *parameters):
            values = scored.ligand_set.score(combination, batch_size, budget)
            ctx.scored, ctx.names, ctx.batch = scored, names, (batch_size, budget)
            ctx.parameter_types = [(p.dtype, p.device) for p in parameters]
            delta_g = torch.from_numpy(np.array(_doubles(values["delta_g"])))
            energies = torch.from_numpy(np.array(_doubles(values["energies"])))
            return delta_g, energies

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, grad_delta_g, grad_energies):
            by_delta_g = grad_delta_g.detach().to("cpu", torch.float64).reshape(-1).tolist()
            by_pose = np.ascontiguousarray(grad_energies.detach().to("cpu", torch.float64).numpy().reshape(-1))
            values = ctx.scored.ligand_set.backpropagate(by_delta_g, by_pose, *ctx.batch)
            gradients = _named_arrays(values["gradients"])
            return (None, None, None, None, None) + tuple(
                torch.from_numpy(np.array(gradients[name])).to(dtype=dtype, device=device)
                for name, (dtype, device) in zip(ctx.names, ctx.parameter_types)
            )

    return CombinedDeltaG


_FUNCTION = []


def combined_dg(ligands, combination, *, model=None, pose_energies=False, batch_size=0,
                memory_budget_mib=DEFAULT_MEMORY_BUDGET_MIB, device="cpu", dtype=None, temperature=DEFAULT_TEMPERATURE,
                scorer=None, unit="kJ/mol"):
    """ΔG of each ligand of a set as a torch tensor [L] (float64, kJ/mol) that backpropagates into
    the model's parameters, so that ``loss(combined_dg(ligands, combination, model=module)).backward()``
    fills ``module``'s parameters' ``.grad`` as if every pose had gone through the module in one
    autograd graph, while only one batch's graph exists at a time.

    The model is a torch.jit.ScriptModule: given as model=, or the module that the ligands'
    scorers follow. The forward scores every pose without a graph (pass 1 of two-pass); the
    backward re-evaluates each batch with autograd, weighted by the incoming gradients
    (pass 2), and autograd adds dL/dθ to the module's parameters' .grad. Ligands are as for
    combined_gradient_set. With pose_energies=True it returns (ΔG [L], [G_l [P_l] per ligand]),
    and the loss may use the per-pose energies too. The backward may run once per forward.
    With unit="kcal/mol" the energies are in kcal/mol (a loss on them is then in kcal/mol too),
    and the gradients follow.

    A training step is then plain PyTorch::

        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(combined_dg(ligands, combination, model=module), targets)
        loss.backward()
        optimizer.step()
    """
    import torch

    if not _FUNCTION:
        _FUNCTION.append(_combined_delta_g_function())
    _check_combination(combination, "combined_dg")
    factor = per_kj(unit, "combined_dg")
    size, budget = batch_arguments(batch_size, memory_budget_mib, "combined_dg")
    scored = _ScoredSet(ligands, scorer, model, device, dtype, temperature)
    module = scored.module
    if module is None:
        raise ValueError("combined_dg: the set's scorer does not follow a torch module; pass model= a "
                         "torch.jit.ScriptModule, or make the scorers from one")
    names, parameters = [], []
    for name, parameter in module.named_parameters():
        if parameter.requires_grad:
            names.append(name)
            parameters.append(parameter)
    missing = sorted(set(names) - set(scored.base.parameter_names))
    if missing:
        raise ValueError("combined_dg: the module's parameters %s are not the scorer's model's" % missing)
    delta_g, energies = _FUNCTION[0].apply(scored, combination, size, budget, names, *parameters)
    if factor != 1.0:
        delta_g, energies = delta_g * factor, energies * factor
    if not pose_energies:
        return delta_g
    return delta_g, list(torch.split(energies, scored.pose_counts))
