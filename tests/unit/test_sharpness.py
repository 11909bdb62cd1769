"""The sharpness probes against exact references: a quadratic bowl and a tiny network's explicit Hessian."""
import math

import pytest
import torch
from torch import nn
from torch.func import functional_call

from lecturelib.sharpness import hessian_vector_product, perturbation_sharpness, top_hessian_eigenvalue


class Point(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.theta = nn.Parameter(torch.zeros(n, dtype=torch.float64))


def bowl(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    eig = torch.linspace(0.5, 7.0, n, dtype=torch.float64)
    a = q @ torch.diag(eig) @ q.T
    return a, eig, (lambda model, x, y: 0.5 * model.theta @ a @ model.theta)


def dummy(n=3):
    return torch.zeros(n, 1), torch.zeros(n, dtype=torch.long)


def test_quadratic_top_eigenvalue_and_hvp():
    a, eig, loss = bowl()
    model = Point(len(eig))
    x, y = dummy()
    v = [torch.randn(len(eig), dtype=torch.float64)]
    assert torch.allclose(hessian_vector_product(model, x, y, v, loss_fn=loss)[0], a @ v[0])
    top = top_hessian_eigenvalue(model, x, y, loss_fn=loss, iters=500, tol=1e-12)
    assert top == pytest.approx(float(eig.max()), rel=1e-6)


def test_quadratic_perturbation_rise_is_half_r2_mean_curvature():
    a, eig, loss = bowl()
    model = Point(len(eig))
    x, y = dummy()
    rise = perturbation_sharpness(model, x, y, radius=0.3, samples=4000, loss_fn=loss)
    expected = 0.3 ** 2 * float(eig.sum()) / (2 * len(eig))     # E[δᵀAδ]/2 on the sphere
    assert rise == pytest.approx(expected, rel=0.05)
    assert float(model.theta.detach().abs().max()) == 0.0       # weights restored


def test_tiny_network_matches_its_explicit_hessian():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    x, y = torch.randn(32, 4, dtype=torch.float64), torch.randint(0, 2, (32,))
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    flat0 = torch.cat([p.detach().flatten() for p in model.parameters()])

    def loss_of(flat):
        parts, i = {}, 0
        for name, shape in zip(names, shapes):
            k = math.prod(shape)
            parts[name] = flat[i:i + k].view(shape)
            i += k
        return nn.functional.cross_entropy(functional_call(model, parts, (x,)), y)

    h = torch.autograd.functional.hessian(loss_of, flat0)
    eig = torch.linalg.eigvalsh(h)
    exact = float(eig[eig.abs().argmax()])
    got = top_hessian_eigenvalue(model, x, y, iters=2000, tol=1e-12, chunk=7)   # chunks must not change it
    assert got == pytest.approx(exact, rel=1e-5)


def test_bad_inputs():
    model = nn.Linear(2, 2)
    x, y = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    with pytest.raises(TypeError, match="model must be"):
        top_hessian_eigenvalue("net", x, y)
    with pytest.raises(ValueError, match="equal length"):
        top_hessian_eigenvalue(model, x, y[:2])
    with pytest.raises(ValueError, match="iters must be"):
        top_hessian_eigenvalue(model, x, y, iters=0)
    with pytest.raises(ValueError, match="radius must be"):
        perturbation_sharpness(model, x, y, radius=0.0)
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        perturbation_sharpness(model, x, y, radius=1.0, loss_fn=3)
    with pytest.raises(ValueError, match="one tensor per trainable parameter"):
        hessian_vector_product(model, x, y, [torch.zeros(2)])


def test_perturbation_cancels_the_slope():
    """Away from the minimum of a bowl, ±δ pairs still measure only the curvature."""
    a, eig, loss = bowl()
    model = Point(len(eig))
    with torch.no_grad():
        model.theta.fill_(3.0)                                   # a steep slope here
    x, y = dummy()
    rise = perturbation_sharpness(model, x, y, radius=0.3, samples=3, loss_fn=loss)
    g = torch.Generator().manual_seed(0)
    directions = [torch.randn(len(eig), generator=g).double() for _ in range(3)]   # as the probe draws them
    exact = sum(0.5 * 0.09 * float(d @ a @ d) / float(d @ d) for d in directions) / 3
    assert rise == pytest.approx(exact, rel=1e-9)
