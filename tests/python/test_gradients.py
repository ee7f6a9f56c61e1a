# SPDX-License-Identifier: MIT
"""The gradient export from Python against PyTorch itself: the same scripted model with all
poses in one autograd graph and each combination written in torch (scripted_models.py), in
float64, to 1e-9."""

import numpy as np
import pytest
import torch

import openmmaffinity
from openmmaffinity import AffinityLoss, BoltzmannCombination, MaxCombination, MeanCombination, Readout
from scripted_models import BOLTZMANN, complex_poses, complex_topology, scripted_contact_model, torch_combination

TEMPERATURE = 298.15
COMBINATIONS = {
    "mean": (lambda: MeanCombination(), {}),
    "max": (lambda: MaxCombination(-1, 0.5), {"sign": -1, "scale": 0.5}),
    "boltzmann": (lambda: BoltzmannCombination(), {}),
}


def reference(model, poses, name, loss_of_delta_g, pose_loss=None):
    """ΔG, G_n, c_n, dL/dθ and dΔG/dx by full autograd over all poses."""
    numbers, mask = complex_topology()
    x = torch.tensor(poses, dtype=torch.float64, requires_grad=True)
    energies = model(x, torch.as_tensor(numbers), torch.as_tensor(mask))
    delta_g = torch_combination(energies, name, TEMPERATURE, **COMBINATIONS[name][1])
    loss = loss_of_delta_g(delta_g) + (pose_loss(energies) if pose_loss is not None else 0.0)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    parameters = [p for n, p in model.named_parameters() if p.requires_grad]
    coefficients, position_gradients = torch.autograd.grad(delta_g, [energies, x], retain_graph=True)
    gradients = torch.autograd.grad(loss, parameters)
    return {
        "delta_g": delta_g.item(),
        "loss": loss.item(),
        "energies": energies.detach().numpy(),
        "coefficients": coefficients.numpy(),
        "gradients": {n: g.numpy() for n, g in zip(names, gradients)},
        "position_gradients": position_gradients.numpy(),
    }


def assert_matches(result, expected):
    assert result.delta_g == pytest.approx(expected["delta_g"], rel=1e-9, abs=1e-12)
    assert result.loss == pytest.approx(expected["loss"], rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(result.energies, expected["energies"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.coefficients, expected["coefficients"], rtol=1e-9, atol=1e-12)
    assert sorted(result.gradients) == sorted(expected["gradients"])
    for name, gradient in expected["gradients"].items():
        assert result.gradients[name].shape == gradient.shape
        scale = max(np.abs(gradient).max(), 1e-300)
        np.testing.assert_allclose(result.gradients[name], gradient, rtol=1e-9, atol=1e-9 * scale, err_msg=name)
    assert any(np.abs(g).max() > 0 for g in expected["gradients"].values())


@pytest.mark.parametrize("strategy", ["store-all", "two-pass", "one-pass"])
@pytest.mark.parametrize("name", ["mean", "max", "boltzmann"])
def test_combined_gradient_matches_pytorch(name, strategy):
    model = scripted_contact_model()
    numbers, mask = complex_topology()
    poses = complex_poses(7)
    scorer = openmmaffinity.Scorer(model, numbers, mask, temperature=TEMPERATURE)
    target = -3.0
    result = scorer.combined_gradient(poses, COMBINATIONS[name][0](), AffinityLoss(target), strategy=strategy,
                                      batch_size=3, position_gradients=True)
    expected = reference(model, poses, name, lambda g: (g - target) ** 2)
    assert_matches(result, expected)
    np.testing.assert_allclose(result.position_gradients, expected["position_gradients"], rtol=1e-9, atol=1e-12)
    assert result.weights.sum() == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(result.loss_coefficients, 2 * (result.delta_g - target) * result.coefficients,
                               rtol=1e-12)


@pytest.mark.parametrize("name", ["mean", "max", "boltzmann"])
def test_readout_and_pose_terms_match_pytorch(name):
    model = scripted_contact_model()
    numbers, mask = complex_topology()
    poses = complex_poses(5)
    pose_targets = np.linspace(-1.0, 1.0, len(poses))
    loss = AffinityLoss(6.5, Readout(Readout.PKi))
    loss.setPoseTargets(pose_targets, 0.25)
    beta = 1.0 / (BOLTZMANN * TEMPERATURE)
    scorer = openmmaffinity.Scorer(model, numbers, mask)
    result = scorer.combined_gradient(poses, COMBINATIONS[name][0](), loss, strategy="one-pass")
    expected = reference(model, poses, name, lambda g: (-beta * g / np.log(10.0) - 6.5) ** 2,
                         lambda e: 0.25 * ((e - torch.as_tensor(pose_targets)) ** 2).sum())
    assert_matches(result, expected)
    assert result.position_gradients is None


def test_scorer_energies_and_dtype():
    model = scripted_contact_model()
    numbers, mask = complex_topology()
    poses = complex_poses(4)
    expected = model(torch.as_tensor(poses), torch.as_tensor(numbers), torch.as_tensor(mask)).detach().numpy()
    scorer = openmmaffinity.Scorer(model, numbers, mask)
    assert (scorer.device, scorer.dtype, scorer.num_atoms) == ("cpu", "float64", len(numbers))
    np.testing.assert_allclose(scorer.pose_energies(poses, batch_size=3), expected, rtol=1e-12)
    single = openmmaffinity.Scorer(model, numbers, mask, dtype=torch.float32)
    assert single.dtype == "float32"
    np.testing.assert_allclose(single.pose_energies(poses), expected, rtol=1e-4)


def test_for_each_pose_gradient_matches_pytorch_pose_by_pose():
    model = scripted_contact_model()
    numbers, mask = complex_topology()
    poses = complex_poses(4)
    scorer = openmmaffinity.Scorer(model, numbers, mask)
    seen = []
    scorer.for_each_pose_gradient(poses, seen.append, position_gradients=True)
    assert [g.pose for g in seen] == [0, 1, 2, 3]
    parameters = dict(model.named_parameters())
    assert set(seen[0].gradients) == set(parameters) == set(scorer.parameter_names)
    for pose, gradient in zip(poses, seen):
        x = torch.tensor(pose, requires_grad=True)
        energy = model(x, torch.as_tensor(numbers), torch.as_tensor(mask))
        grads = torch.autograd.grad(energy, [x] + list(parameters.values()))
        assert gradient.energy == pytest.approx(energy.item(), rel=1e-12)
        np.testing.assert_allclose(gradient.position_gradient, grads[0].numpy(), rtol=1e-9, atol=1e-12)
        for name, expected in zip(parameters, grads[1:]):
            np.testing.assert_allclose(gradient.gradients[name], expected.numpy(), rtol=1e-9, atol=1e-12)


def test_callback_exception_propagates_and_stops_the_loop():
    class Stop(Exception):
        pass

    calls = []

    def callback(gradient):
        calls.append(gradient.pose)
        if gradient.pose == 1:
            raise Stop("stopped at pose 1")

    numbers, mask = complex_topology()
    scorer = openmmaffinity.Scorer(scripted_contact_model(), numbers, mask)
    with pytest.raises(Stop, match="stopped at pose 1"):
        scorer.for_each_pose_gradient(complex_poses(4), callback)
    assert calls == [0, 1]


@pytest.mark.parametrize("name", ["mean", "max", "boltzmann"])
def test_combination_objects_match_their_definitions(name):
    energies = np.array([-12.0, -10.5, -15.25, -9.0])
    combination = COMBINATIONS[name][0]()
    combined = combination.combine(energies, 310.0)
    g = torch.tensor(energies, requires_grad=True)
    delta_g = torch_combination(g, name, 310.0, **COMBINATIONS[name][1])
    (coefficients,) = torch.autograd.grad(delta_g, g)
    assert combination.getName() == name
    assert combined.delta_g == pytest.approx(delta_g.item(), rel=1e-12)
    np.testing.assert_allclose(combined.coefficients, coefficients.numpy(), rtol=1e-10, atol=1e-15)
    assert combined.weights.sum() == pytest.approx(1.0, rel=1e-12)
