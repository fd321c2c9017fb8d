"""Network architectures (``compile(..., architecture=...)``): random Fourier features and
the modified MLP, against SymPy's derivatives of the same networks written as formulas."""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from test_shared_network import SYSTEM  # the same two-field system, on a shared network

import symbolic_pinn as sp
from symbolic_pinn._errors import PinnError
from symbolic_pinn._product import cli as _cli
from symbolic_pinn._runtime import Network, value_grad_laplacian
from symbolic_pinn._settings import check, read_toml
from symbolic_pinn._training.checkpoint import saved_settings

X, Y = sympy.symbols("x y", real=True)
NEW = ["fourier", "modified"]
PROBLEMS = {  # an equation, and its left side applied to a SymPy formula (the residual is left − right)
    "Δu = 0": lambda u: sympy.diff(u, X, 2) + sympy.diff(u, Y, 2),
    "Δ(Δu) = 0": lambda u: sympy.diff(u, X, 4) + 2 * sympy.diff(u, X, 2, Y, 2) + sympy.diff(u, Y, 4),
}
DEPTH = {"Δu = 0": 2, "Δ(Δu) = 0": 1}  # SymPy's fourth derivatives of two layers take minutes
POISSON = pathlib.Path(__file__).parent.parent / "examples" / "poisson.pinn"
TEXT = POISSON.read_text()
# the tests below compare the network itself with its formula: hard_constraints=False keeps
# u = 0 on ∂Ω a loss term instead of a lift g + φ·N around it


def _dense(h, layer):
    w, b = (np.asarray(a) for a in layer)
    return [sum(float(w[i, j]) * h[i] for i in range(len(h))) + float(b[j]) for j in range(w.shape[1])]


def _sympy_network(architecture, params, centre, half, output=0):
    """The network of ``params`` as a SymPy formula in x, y, written from the definitions."""
    x = [(s - c) / hw for s, c, hw in zip((X, Y), centre, half)]
    if architecture == "fourier":
        angle = [2 * sympy.pi * a for a in _dense(x, (params["B"], np.zeros(np.shape(params["B"])[1])))]
        h = [sympy.sin(a) for a in angle] + [sympy.cos(a) for a in angle]
    else:
        h = x
    if architecture == "modified":
        u = [sympy.tanh(a) for a in _dense(x, params["U"])]
        v = [sympy.tanh(a) for a in _dense(x, params["V"])]
    layers = params if architecture == "mlp" else params["layers"]
    for layer in layers[:-1]:
        z = [sympy.tanh(a) for a in _dense(h, layer)]
        h = [(1 - zj) * uj + zj * vj for zj, uj, vj in zip(z, u, v)] if architecture == "modified" else z
    return _dense(h, layers[-1])[output]


def _numeric(expr, *values):
    f = sympy.lambdify((X, Y), expr, "numpy", cse=True)
    return np.broadcast_to(f(*values), values[0].shape)


def _random_params(compiled, seed):
    """The module's own initialisation, biases and all moved off zero so no term vanishes."""
    params = compiled.init_params(jax.random.PRNGKey(seed))
    leaves, tree = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.PRNGKey(seed + 100), len(leaves))
    return jax.tree.unflatten(tree, [a + 0.3 * jax.random.normal(k, a.shape, a.dtype) for a, k in zip(leaves, keys)])


@pytest.mark.parametrize("architecture", NEW)
@pytest.mark.parametrize("text", list(PROBLEMS))
def test_residual_against_sympy(x64, architecture, text):
    """The residual on the module's own network equals SymPy's derivatives of that network."""
    problem = f"x in [0, 1]; y in [-1, 1]\nfield u(x, y)\n{text}"
    compiled = sp.compile(problem, width=2, depth=DEPTH[text], architecture=architecture)
    params = _random_params(compiled, 1)
    net = compiled.module.fields(params)["u"]
    assert not isinstance(net, Network)  # so value_grad_laplacian and collapsed_jet take the generic paths
    formula = _sympy_network(architecture, params["u"], net.centre, net.half_width)
    rng = np.random.default_rng(2)
    xs, ys = rng.uniform(0, 1, 7), rng.uniform(-1, 1, 7)
    np.testing.assert_allclose(net(jnp.asarray(xs), jnp.asarray(ys)), _numeric(formula, xs, ys), rtol=1e-12)
    got = compiled.module.residual_pde(net, jnp.asarray(xs), jnp.asarray(ys))
    want = _numeric(PROBLEMS[text](formula), xs, ys)
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale)


@pytest.mark.parametrize("architecture", NEW)
def test_each_output_of_a_shared_network(x64, architecture):
    """One network, an output per field: each field is its own output, Laplacian and all."""
    compiled = sp.compile(
        SYSTEM, width=2, depth=1, shared_network=True, architecture=architecture, hard_constraints=False
    )
    assert compiled.module.LAYERS == {"_shared": (2, 2, 2)}
    params = _random_params(compiled, 3)
    nets = compiled.module.fields(params)
    xs, ys = np.linspace(0.1, 0.9, 5), np.linspace(0.8, 0.3, 5)
    for output, name in enumerate("uv"):
        net = nets[name]
        formula = _sympy_network(architecture, params["_shared"], net.centre, net.half_width, output)
        value, _, lap = value_grad_laplacian(net, (1, 1))(jnp.asarray(xs), jnp.asarray(ys))
        np.testing.assert_allclose(value, _numeric(formula, xs, ys), rtol=1e-12)
        np.testing.assert_allclose(lap, _numeric(PROBLEMS["Δu = 0"](formula), xs, ys), rtol=1e-9, atol=1e-9)
    assert not np.allclose(nets["u"](jnp.asarray(xs), jnp.asarray(ys)), nets["v"](jnp.asarray(xs), jnp.asarray(ys)))


def test_the_architecture_changes_the_network():
    """Negative control: the same seed and sizes give other values with another architecture,
    and the MLP's formula does not describe the new networks."""
    text = TEXT
    xs, ys = jnp.linspace(0.1, 0.9, 6), jnp.linspace(0.2, 0.7, 6)
    values = {}
    for architecture in ["mlp", *NEW]:
        compiled = sp.compile(text, width=4, depth=2, architecture=architecture, hard_constraints=False)
        values[architecture] = np.asarray(
            compiled.module.fields(compiled.init_params(jax.random.PRNGKey(0)))["u"](xs, ys)
        )
    for a in NEW:
        assert not np.allclose(values[a], values["mlp"], atol=1e-3)
    assert not np.allclose(values["fourier"], values["modified"], atol=1e-3)
    compiled = sp.compile(text, width=4, depth=2, architecture="modified", hard_constraints=False)
    params = _random_params(compiled, 0)
    net = compiled.module.fields(params)["u"]
    as_mlp = _sympy_network("mlp", [params["u"]["U"], *params["u"]["layers"][1:]], net.centre, net.half_width)
    assert not np.allclose(net(xs, ys), _numeric(as_mlp, np.asarray(xs), np.asarray(ys)), atol=1e-3)


def test_fourier_matrix_is_fixed():
    """B comes from the seed and its gradient is stopped, so no optimiser moves it."""
    compiled = sp.compile(TEXT, width=4, depth=1, architecture="fourier", fourier_scale=3.0, hard_constraints=False)
    assert "FOURIER_SCALE = 3.0" in compiled.source
    a, b = (compiled.init_params(jax.random.PRNGKey(s)) for s in (0, 1))
    assert a["u"]["B"].shape == (2, 2) and not np.allclose(a["u"]["B"], b["u"]["B"])
    points = {
        "pde": (jnp.linspace(0.1, 0.9, 8), jnp.linspace(0.2, 0.8, 8)),
        "bc": (jnp.zeros(4), jnp.linspace(0, 1, 4)),
    }
    grads = jax.grad(compiled.loss)(a, points)
    assert not np.any(grads["u"]["B"])
    assert all(np.any(g) for g in jax.tree.leaves(grads["u"]["layers"]))
    trained = compiled.module.main(steps=3, n=8)  # the module's own Adam, from seed 0
    np.testing.assert_array_equal(trained["u"]["B"], a["u"]["B"])
    assert not np.allclose(trained["u"]["layers"][0][0], a["u"]["layers"][0][0])


# fourier's training is slow-marked: the same loop as modified's, one more compilation
@pytest.mark.parametrize(
    "architecture", [a if a == "modified" else pytest.param(a, marks=pytest.mark.slow) for a in NEW]
)
def test_short_training_lowers_the_loss_and_resumes_alike(architecture, tmp_path):
    """100 Adam steps lower the loss; the checkpoint records the architecture, and
    `train --resume` compiles the same code (its hash is what a resume checks)."""
    compiled = sp.compile(sp.parse_file(POISSON), width=8, depth=2, architecture=architecture, fourier_scale=0.5)
    result = compiled.train(
        tmp_path,
        adam_steps=100,
        bfgs_steps=0,
        interior_points=64,
        boundary_points=32,
        learning_rate=1e-2,
        progress=False,
    )
    losses = [row["loss"] for row in result.history]
    assert losses[-1] < 0.5 * losses[0]
    saved = saved_settings(tmp_path)
    assert saved["architecture"] == architecture and saved["fourier_scale"] == 0.5
    assert _cli._compile(POISSON, saved).source_hash == compiled.source_hash  # how `train --resume` compiles
    if architecture == "fourier":
        assert _cli._compile(POISSON, saved | {"fourier_scale": 1.0}).source_hash != compiled.source_hash


def test_mlp_is_the_default_and_its_code_unchanged():
    """The goldens (tests/test_pipeline.py) pin the MLP's module; the new runtime is not in it."""
    text = TEXT
    default, mlp = sp.compile(text), sp.compile(text, architecture="mlp")
    assert default.source == mlp.source and default.network_settings["architecture"] == "mlp"
    for name in ("FourierNetwork", "init_fourier", "ModifiedNetwork", "init_modified", "FOURIER_SCALE"):
        assert name not in mlp.source
    fourier = sp.compile(text, architecture="fourier").source
    modified = sp.compile(text, architecture="modified").source
    assert "class FourierNetwork" in fourier and "ModifiedNetwork" not in fourier
    assert "class ModifiedNetwork" in modified and "FourierNetwork" not in modified
    assert '"""Each field as a modified MLP (Wang et al. 2021) on its coordinates' in modified
    assert '"""Each field as a network of random Fourier features (then a tanh MLP) on its' in fourier


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(PinnError) as err:
        sp.compile(TEXT, architecture="resnet")
    assert "setting 'architecture' given to compile() must be one of mlp, fourier, modified" in err.value.render()
    assert "got 'resnet'" in err.value.render()
    with pytest.raises(PinnError, match="must be one of mlp, fourier, modified; got 'resnet'"):
        check({"architecture": "resnet"}, "in x.toml [train]")
    with pytest.raises(PinnError, match="even width"):
        sp.compile(TEXT, width=5, architecture="fourier")


def test_flags(capsys, tmp_path):
    """--architecture and --fourier-scale are flags of `train` (and `compile`), with their choices."""
    with pytest.raises(SystemExit):
        _cli.main(["train", "--help"])
    help_text = capsys.readouterr().out
    assert "--architecture {mlp,fourier,modified}" in help_text and "--fourier-scale" in help_text
    args = _cli._parser().parse_args(["train", str(POISSON), "--out", str(tmp_path), "--architecture", "modified"])
    settings = _cli._train_settings(args)
    assert settings["architecture"] == "modified" and settings["fourier_scale"] == 1.0
    assert "ModifiedNetwork(" in _cli._compile(POISSON, settings).source
    assert _cli.main(["compile", str(POISSON), "--architecture", "fourier", "--fourier-scale", "3"]) == 0
    assert "FOURIER_SCALE = 3.0" in capsys.readouterr().out


def test_toml_settings(tmp_path):
    path = tmp_path / "fourier.toml"
    path.write_text('[train]\narchitecture = "fourier"\nfourier_scale = 2\n')
    assert read_toml(path) == {"architecture": "fourier", "fourier_scale": 2.0}
    path.write_text('[train]\narchitecture = "siren"\n')
    with pytest.raises(PinnError, match="must be one of mlp, fourier, modified; got 'siren'"):
        read_toml(path)
