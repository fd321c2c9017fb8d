"""Poisson 2-D and Burgers, trained by symbolic_pinn and by DeepXDE in one run: error at equal wall time.

    pip install -e '.[peers]'          # DeepXDE and a CPU build of PyTorch (optional, about 1 GB)
    python benchmarks/peers.py         # both problems, both libraries, one after the other (about 15 min)
    python benchmarks/peers.py --only poisson

symbolic_pinn trains ``examples/<problem>.pinn`` with its defaults.  DeepXDE (PyTorch
backend, float32, the CPU) trains the same equations, domain, conditions and error
grid, with the settings of its own gallery examples for these problems: a tanh
network, Adam at 1e-3, then L-BFGS.  Both curves are the relative L2 error against
training wall time, sampled every 2 s with the clock stopped while the error is
computed; DeepXDE's run is cut at twice symbolic_pinn's time.  The table gives each
library's error at symbolic_pinn's finishing time, and their ratio.

Run it on an otherwise idle machine: PyTorch's threads spin when another process
holds the cores, and its times become meaningless.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import pathlib
import platform
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import accuracy  # noqa: E402  (this folder's own benchmark: symbolic_pinn's side and the plot)

ROOT = accuracy.ROOT
PROBLEMS = ("poisson", "burgers")
ADAM_LR = 1e-3


def poisson_setup(dde):
    """Like DeepXDE's Poisson examples: [2] + [50]*4 + [1] tanh, 1,200 + 120 points, Adam 5,000 then L-BFGS."""
    import torch

    geometry = dde.geometry.Rectangle([0, 0], [1, 1])

    def pde(x, u):
        laplacian = dde.grad.hessian(u, x, i=0, j=0) + dde.grad.hessian(u, x, i=1, j=1)
        return -laplacian - 2 * math.pi**2 * torch.sin(math.pi * x[:, 0:1]) * torch.sin(math.pi * x[:, 1:2])

    boundary = dde.icbc.DirichletBC(geometry, lambda x: 0, lambda _, on_boundary: on_boundary)
    data = dde.data.PDE(geometry, pde, boundary, num_domain=1200, num_boundary=120)
    network = dde.nn.FNN([2] + [50] * 4 + [1], "tanh", "Glorot normal")
    return data, network, 5000


def burgers_setup(dde):
    """DeepXDE's Burgers example: [2] + [20]*3 + [1] tanh, 2,540 + 80 + 160 points, Adam 15,000 then L-BFGS."""

    geometry = dde.geometry.GeometryXTime(dde.geometry.Interval(-1, 1), dde.geometry.TimeDomain(0, 1))

    def pde(x, u):
        u_x = dde.grad.jacobian(u, x, i=0, j=0)
        u_t = dde.grad.jacobian(u, x, i=0, j=1)
        u_xx = dde.grad.hessian(u, x, i=0, j=0)
        return u_t + u * u_x - 0.01 / math.pi * u_xx

    boundary = dde.icbc.DirichletBC(geometry, lambda x: 0, lambda _, on_boundary: on_boundary)
    initial = dde.icbc.IC(geometry, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    data = dde.data.TimePDE(geometry, pde, [boundary, initial], num_domain=2540, num_boundary=80, num_initial=160)
    network = dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal")
    return data, network, 15000


SETUPS = {"poisson": poisson_setup, "burgers": burgers_setup}


def reference(name: str):
    """The error grid (points, columns in the problem's variable order) and the exact values on it."""
    import symbolic_pinn
    from symbolic_pinn._training.domain import test_grid

    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(ROOT / "examples" / f"{name}.pinn"))
    grid = test_grid(compiled.ir)
    if name == "burgers":  # the same Cole–Hopf solution as the accuracy table
        return grid, accuracy.cole_hopf(grid[:, 0], grid[:, 1])
    return grid, np.sin(np.pi * grid[:, 0]) * np.sin(np.pi * grid[:, 1])


def deepxde_run(name: str, budget: float) -> dict:
    """Train ``name`` with DeepXDE for at most ``budget`` seconds; its error curve and final error."""
    os.environ["DDE_BACKEND"] = "pytorch"
    import deepxde as dde

    dde.config.set_random_seed(0)
    grid, exact = reference(name)
    data, network, adam_steps = SETUPS[name](dde)
    model = dde.Model(data, network)

    def error() -> float:
        predicted = model.predict(grid.astype(np.float32))[:, 0]
        return float(np.linalg.norm(predicted - exact) / np.linalg.norm(exact))

    class Curve(dde.callbacks.Callback):
        """Error every 2 s of training; stops the run at the budget."""

        def __init__(self, phase: str, clock: accuracy.Curve):
            super().__init__()
            self.phase, self.clock = phase, clock

        def on_epoch_end(self):
            if self.clock.due():
                self.clock.sample(lambda: {"u": error()}, phase=self.phase)
            if self.clock.clock() > budget:
                self.model.stop_training = True

    clock = accuracy.Curve(error=None)
    model.compile("adam", lr=ADAM_LR)
    model.train(iterations=adam_steps, callbacks=[Curve("adam", clock)], display_every=1000, verbose=0)
    if clock.clock() < budget:
        model.compile("L-BFGS")
        model.train(callbacks=[Curve("lbfgs", clock)], display_every=1000, verbose=0)
    seconds = clock.clock()
    final = error()
    return {
        "library": f"DeepXDE {dde.__version__} (PyTorch)",
        "seconds": seconds,
        "rel_l2": {"u": final},
        "curve": clock.points + [{"seconds": round(seconds, 3), "phase": "end", "u": final}],
    }


def error_at(curve: list[dict], seconds: float) -> float:
    """The last error measured at or before ``seconds`` (the first one if none was)."""
    before = [p["u"] for p in curve if p["seconds"] <= seconds]
    return before[-1] if before else curve[0]["u"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(PROBLEMS), choices=PROBLEMS)
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "peers.json"))
    args = parser.parse_args()
    try:
        import deepxde  # noqa: F401
    except ImportError:
        sys.exit("benchmarks/peers.py needs DeepXDE and PyTorch: pip install -e '.[peers]'")
    rows = []
    for name in args.only:
        ours = accuracy.run(name)
        ours["library"] = "symbolic_pinn"
        theirs = deepxde_run(name, budget=2 * ours["seconds"])
        theirs["example"] = name
        rows += [ours, theirs]
        at = ours["seconds"]
        mine, other = error_at(ours["curve"], at), error_at(theirs["curve"], at)
        print(
            f"{name}: at {at:.0f} s symbolic_pinn {mine:.2e}, {theirs['library']} {other:.2e} "
            f"({other / mine:.0f}× higher); DeepXDE's own end: {theirs['rel_l2']['u']:.2e} at {theirs['seconds']:.0f} s"
        )
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    for row in rows:
        row["label"] = f"{row['example']}: {row['library']}"
    accuracy.plot_curves(rows, out.with_suffix(".png"), f"error at equal wall time ({meta['date']}, {meta['machine']})")
    print(f"wrote {out} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
