# SPDX-License-Identifier: MIT
"""Losses over sets of ligands from Python against PyTorch itself: every ligand's poses through
the same scripted model in one autograd graph, the combination and the loss written in torch,
in float64, to 1e-9. Ligands differ in atom and pose counts."""

import numpy as np
import openmm
import pytest
import torch

import openmmaffinity as oa
from scripted_models import BOLTZMANN, complex_poses, complex_topology, scripted_contact_model, torch_combination

TEMPERATURE = 298.15
BETA = 1.0 / (BOLTZMANN * TEMPERATURE)
COMBINATIONS = {
    "mean": (lambda: oa.MeanCombination(), {}),
    "max": (lambda: oa.MaxCombination(-1, 0.5), {"sign": -1, "scale": 0.5}),
    "boltzmann": (lambda: oa.BoltzmannCombination(), {}),
}
STRATEGIES = ["store-all", "two-pass", "one-pass"]
# (receptor atoms, ligand atoms, poses) of the three ligands of the set.
SHAPES = [(12, 5, 4), (9, 6, 1), (12, 3, 6)]


def pki(x):
    return -BETA * x / np.log(10.0)


def make_set(model, targets=(6.0, 4.5, 5.2), sigmas=(0.5, 1.0, 2.0), pose_targets=True):
    """Three Ligands of different topologies; ligands 0 and 2 have per-pose targets (kJ/mol)."""
    ligands = []
    for i, (receptor, ligand, count) in enumerate(SHAPES):
        numbers, mask = complex_topology(tuple((6, 7, 8)[k % 3] for k in range(receptor)),
                                         tuple((6, 8, 7, 1, 6, 6)[k] for k in range(ligand)))
        poses = complex_poses(count, receptor, ligand, seed=5 + i)
        targets_n = None
        if pose_targets and i != 1:
            energies = model(torch.as_tensor(poses), torch.as_tensor(numbers), torch.as_tensor(mask)).detach().numpy()
            targets_n = energies + 0.5 * np.sin(np.arange(count) + i)
        ligands.append(oa.Ligand(poses, targets[i], sigmas[i], targets_n, atomic_numbers=numbers, ligand_mask=mask))
    return ligands


def torch_losses():
    def mse(p, q, y, s):
        return ((p - y) ** 2).mean()

    def centred(p, q, y, s):
        e = p - y
        return ((e - e.mean()) ** 2).mean()

    def ranking(p, q, y, s):
        terms = [torch.nn.functional.softplus(-torch.sign(y[i] - y[j]) * (p[i] - p[j]) / 0.7)
                 for i in range(len(p)) for j in range(i + 1, len(p)) if y[i] != y[j]]
        return torch.stack(terms).mean()

    def nll(p, q, y, s):
        return ((p - y) ** 2 / (2 * s ** 2) + torch.log(s) + 0.5 * np.log(2 * np.pi)).mean()

    return {"mse": mse, "centred-mse": centred, "ranking": ranking, "gaussian-nll": nll}


def reference(model, ligands, name, set_loss, readout=pki, pose_weight=0.0, use_ligand_deltas=True):
    """The loss, ΔG_l and dL/dθ by full autograd over every pose of every ligand."""
    p, q, dgs = [], [], []
    pose_terms = torch.zeros((), dtype=torch.float64)
    for ligand in ligands:
        g = model(torch.as_tensor(ligand.poses), torch.as_tensor(ligand.atomic_numbers),
                  torch.as_tensor(ligand.ligand_mask))
        dg = torch_combination(g, name, TEMPERATURE, **COMBINATIONS[name][1])
        dgs.append(dg.item())
        p.append(readout(dg))
        q.append(g)
        if ligand.pose_targets is not None and pose_weight:
            pose_terms = pose_terms + pose_weight / len(ligands) * ((g - torch.as_tensor(ligand.pose_targets)) ** 2).sum()
    y = torch.tensor([ligand.target for ligand in ligands], dtype=torch.float64)
    s = torch.tensor([ligand.sigma for ligand in ligands], dtype=torch.float64)
    loss = set_loss(torch.stack(p), q, y, s) + pose_terms
    names = [n for n, prm in model.named_parameters() if prm.requires_grad]
    grads = torch.autograd.grad(loss, [prm for n, prm in model.named_parameters() if prm.requires_grad])
    return loss.item(), np.array(dgs), {n: g.numpy() for n, g in zip(names, grads)}


def assert_gradients(gradients, expected):
    assert sorted(gradients) == sorted(expected)
    for name, gradient in expected.items():
        scale = max(np.abs(gradient).max(), 1e-300)
        np.testing.assert_allclose(np.asarray(gradients[name]), gradient, rtol=1e-9, atol=1e-9 * scale, err_msg=name)
    assert any(np.abs(g).max() > 0 for g in expected.values())


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("combination", ["mean", "max", "boltzmann"])
@pytest.mark.parametrize("loss", ["mse", "centred-mse", "ranking", "gaussian-nll"])
def test_builtin_set_losses_match_pytorch(loss, combination, strategy):
    model = scripted_contact_model()
    ligands = make_set(model)
    options = {"scale": 0.7} if loss == "ranking" else {}
    result = oa.combined_gradient_set(ligands, COMBINATIONS[combination][0](), loss, model=model, strategy=strategy,
                                      readout="pki", pose_weight=0.2, batch_size=2, **options)
    expected_loss, expected_dg, expected = reference(model, ligands, combination, torch_losses()[loss],
                                                     pose_weight=0.2)
    assert result.loss == pytest.approx(expected_loss, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(result.delta_g, expected_dg, rtol=1e-12)
    assert [len(e) for e in result.energies] == [shape[2] for shape in SHAPES]
    assert_gradients(result.gradients, expected)
    for by_dg, c, by_pose, g in zip(result.loss_by_delta_g, result.coefficients, result.loss_by_pose_energy,
                                    result.loss_coefficients):
        np.testing.assert_allclose(g, by_dg * c + by_pose, rtol=1e-12, atol=1e-15)


def test_one_ligand_mse_equals_the_one_ligand_combined_gradient_bit_for_bit():
    model = scripted_contact_model()
    numbers, mask = complex_topology()
    poses = complex_poses(7)
    scorer = oa.Scorer(model, numbers, mask)
    targets = np.linspace(-2.0, 1.0, 7)
    for strategy in STRATEGIES:
        loss = oa.AffinityLoss(5.5, oa.Readout(oa.Readout.PKi))
        loss.setPoseTargets(targets, 0.25)
        single = scorer.combined_gradient(poses, oa.BoltzmannCombination(), loss, strategy=strategy, batch_size=3)
        multi = scorer.combined_gradient_set([oa.Ligand(poses, 5.5, pose_targets=targets)], oa.BoltzmannCombination(),
                                             "mse", readout="pki", pose_weight=0.25, strategy=strategy, batch_size=3)
        assert multi.loss == single.loss
        assert multi.delta_g[0] == single.delta_g
        assert np.array_equal(multi.loss_coefficients[0], single.loss_coefficients)
        for name in single.gradients:
            assert np.array_equal(multi.gradients[name], single.gradients[name]), name


def pairwise_softplus(predictions, pose_predictions, targets):
    """A user loss: softplus of the pairwise differences, a squared error, and a per-pose term."""
    d = predictions.unsqueeze(0) - predictions.unsqueeze(1)
    pose_term = sum((q ** 2).mean() for q in pose_predictions)
    return torch.nn.functional.softplus(d / 2.0).sum() + ((predictions - targets) ** 2).sum() + 0.01 * pose_term


class ScriptedLoss(torch.nn.Module):
    def forward(self, predictions, pose_predictions: list[torch.Tensor], targets, sigmas):
        d = predictions.unsqueeze(0) - predictions.unsqueeze(1)
        loss = torch.nn.functional.softplus(d / 2.0).sum() + (((predictions - targets) / sigmas) ** 2).sum()
        for q in pose_predictions:
            loss = loss + 0.01 * (q ** 2).mean()
        return loss


@pytest.mark.parametrize("combination", ["mean", "max", "boltzmann"])
def test_python_and_torchscript_losses_match_pytorch(combination):
    model = scripted_contact_model()
    ligands = make_set(model)
    scripted = torch.jit.script(ScriptedLoss())
    for loss, torch_loss in [(pairwise_softplus, lambda p, q, y, s: pairwise_softplus(p, q, y)),
                             (scripted, lambda p, q, y, s: ScriptedLoss()(p, q, y, s))]:
        expected_loss, _, expected = reference(model, ligands, combination, torch_loss, readout=lambda x: x)
        for strategy in ["store-all", "two-pass"]:
            result = oa.combined_gradient_set(ligands, COMBINATIONS[combination][0](), loss, model=model,
                                              strategy=strategy)
            assert result.loss == pytest.approx(expected_loss, rel=1e-9)
            assert_gradients(result.gradients, expected)
        with pytest.raises(openmm.OpenMMException, match="one-pass strategy cannot apply"):
            oa.combined_gradient_set(ligands, COMBINATIONS[combination][0](), loss, model=model, strategy="one-pass")


def test_python_loss_without_pose_terms_in_one_pass_and_as_torch():
    model = scripted_contact_model()
    ligands = make_set(model)

    def loss(p, q, y):
        return torch.nn.functional.softplus(p.unsqueeze(0) - p.unsqueeze(1)).mean()

    expected_loss, _, expected = reference(model, ligands, "boltzmann", lambda p, q, y, s: loss(p, q, y),
                                           readout=pki)
    result = oa.combined_gradient_set(ligands, oa.BoltzmannCombination(), loss, model=model, strategy="one-pass",
                                      readout="pki", as_torch=True)
    assert isinstance(result.delta_g, torch.Tensor) and isinstance(result.gradients["radial.weight"], torch.Tensor)
    assert result.loss == pytest.approx(expected_loss, rel=1e-9)
    assert_gradients({n: g.numpy() for n, g in result.gradients.items()}, expected)
    validation = oa.evaluate_set(ligands, oa.BoltzmannCombination(), loss, model=model, readout="pki")
    assert validation.loss == pytest.approx(expected_loss, rel=1e-9) and validation.gradients == {}


@pytest.mark.parametrize("pose_energies", [False, True])
def test_combined_dg_backward_fills_the_module_grad_as_full_autograd(pose_energies):
    model = scripted_contact_model()
    ligands = make_set(model)
    y = torch.tensor([ligand.target for ligand in ligands], dtype=torch.float64)

    def loss_of(dg, energies):
        loss = ((pki(dg) - y) ** 2).mean() + torch.nn.functional.softplus(dg[0] - dg[2])
        if energies is not None:
            loss = loss + 0.01 * sum((g ** 2).sum() for g in energies)
        return loss

    expected_loss, expected_dg, expected = reference(
        model, ligands, "boltzmann",
        lambda p, q, yy, s: ((p - y) ** 2).mean() + torch.nn.functional.softplus(-(p[0] - p[2]) / (BETA / np.log(10.0)))
        + (0.01 * sum((g ** 2).sum() for g in q) if pose_energies else 0.0))
    # The reference's p is pki(ΔG): ΔG_0 − ΔG_2 = −(p_0 − p_2) ln 10 / β.
    out = oa.combined_dg(ligands, oa.BoltzmannCombination(), model=model, pose_energies=pose_energies, batch_size=2)
    dg, energies = out if pose_energies else (out, None)
    assert dg.requires_grad and dg.shape == (3,)
    np.testing.assert_allclose(dg.detach().numpy(), expected_dg, rtol=1e-12)
    if pose_energies:
        assert [len(g) for g in energies] == [shape[2] for shape in SHAPES]
    for p in model.parameters():
        p.grad = None
    loss = loss_of(dg, energies)
    loss.backward()
    assert loss.item() == pytest.approx(expected_loss, rel=1e-9)
    assert_gradients({n: p.grad.numpy() for n, p in model.named_parameters()}, expected)


def test_scorer_for_topology_shares_the_model_and_ligand_tuples():
    model = scripted_contact_model()
    ligands = make_set(model, pose_targets=False)
    base = oa.Scorer(model, ligands[0].atomic_numbers, ligands[0].ligand_mask)
    scorers = [base] + [base.for_topology(ligand.atomic_numbers, ligand.ligand_mask) for ligand in ligands[1:]]
    tuples = [(scorer, ligand.poses, ligand.target) for scorer, ligand in zip(scorers, ligands)]
    from_tuples = oa.combined_gradient_set(tuples, oa.MeanCombination(), "centred-mse")
    from_ligands = oa.combined_gradient_set(ligands, oa.MeanCombination(), "centred-mse", model=model)
    assert from_tuples.loss == pytest.approx(from_ligands.loss, rel=1e-12)
    for name, gradient in from_ligands.gradients.items():
        np.testing.assert_allclose(from_tuples.gradients[name], gradient, rtol=1e-12)
    # A training step changes the module: every scorer of the set follows it.
    with torch.no_grad():
        model.radial.weight.mul_(1.5)
    moved = oa.combined_gradient_set(tuples, oa.MeanCombination(), "centred-mse")
    _, _, expected = reference(model, ligands, "mean", torch_losses()["centred-mse"], readout=lambda x: x)
    assert_gradients(moved.gradients, expected)


def test_bad_set_input_is_refused_with_a_clear_message():
    model = scripted_contact_model()
    ligands = make_set(model)
    combination = oa.MeanCombination()
    with pytest.raises(ValueError, match="the set of ligands is empty"):
        oa.combined_gradient_set([], combination, model=model)
    empty = oa.Ligand(np.zeros((0, 17, 3)), 1.0, atomic_numbers=ligands[0].atomic_numbers,
                      ligand_mask=ligands[0].ligand_mask)
    with pytest.raises(ValueError, match=r"ligands\[1\]"):
        oa.combined_gradient_set([ligands[0], empty], combination, model=model)
    with pytest.raises(ValueError, match="expected a scalar"):
        oa.combined_gradient_set(ligands, combination, lambda p, q, y: p - y, model=model)
    with pytest.raises(openmm.OpenMMException, match="the loss is nan"):
        oa.combined_gradient_set(ligands, combination, lambda p, q, y: p.sum() * float("nan"), model=model)
    with pytest.raises(TypeError, match="takes 2 positional arguments; expected 3 to 5"):
        oa.combined_gradient_set(ligands, combination, lambda p, y: p.sum(), model=model)

    class TwoArguments(torch.nn.Module):
        def forward(self, predictions, targets):
            return predictions.sum()

    with pytest.raises(openmm.OpenMMException, match="forward takes 2 arguments"):
        oa.combined_gradient_set(ligands, combination, torch.jit.script(TwoArguments()), model=model)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        oa.combined_gradient_set(ligands, combination, "hinge", model=model)
    other = oa.Scorer(scripted_contact_model(), ligands[1].atomic_numbers, ligands[1].ligand_mask)
    with pytest.raises(ValueError, match=r"ligands\[1\]: its scorer does not share the model"):
        oa.combined_gradient_set([ligands[0], (other, ligands[1].poses, 1.0)], combination, model=model)
    with pytest.raises(openmm.OpenMMException, match="sigma of ligand 1 is 0"):
        bad = make_set(model, sigmas=(1.0, 0.0, 1.0))
        oa.combined_gradient_set(bad, combination, "gaussian-nll", model=model)
    # A failing backward leaves the module's gradients as they were.
    for p in model.parameters():
        p.grad = torch.full_like(p, 7.0)
    dg = oa.combined_dg(ligands, combination, model=model)
    with pytest.raises(openmm.OpenMMException, match="derivative by ΔG of ligand 0 is not finite"):
        (dg * torch.tensor([float("nan"), 1.0, 1.0], dtype=torch.float64)).sum().backward()
    for p in model.parameters():
        assert torch.equal(p.grad, torch.full_like(p, 7.0))
