"""How an energy's integral is taken: Gauss–Legendre on a box against the Monte Carlo mean.

    python benchmarks/energy_quadrature.py                      # poisson_ritz, interface, seed
    python benchmarks/energy_quadrature.py --only poisson_ritz --orders 8 16 64

Each example with an energy is trained in one process, alternating the variants, with the
defaults but for:

- ``before``: the Monte Carlo mean over the Sobol points, and the finish's flat-loss rule
  of sums of squares (1e-10): the defaults before Gauss–Legendre quadrature;
- ``mean``: the Monte Carlo mean with the energies' flat-loss rule (``ENERGY_FLAT_RTOL``);
- ``gauss p``: the default rule (``energy_quadrature = auto``) with p nodes per panel
  (``quadrature.ORDER``; 8 is the default).

The table gives the relative L2 error of the first field (the seed: the drop of mean
|∂ₓu|, which has no exact solution; see docs/benchmarks.md), the final loss, the seconds and
the steps.  Under load the times are rough; the variants alternate so load hits them alike.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import jax
from rich.console import Console
from rich.table import Table

import symbolic_pinn
from symbolic_pinn._training import quadrature, stopping
from symbolic_pinn._training import train as _train
from symbolic_pinn._training.train import TrainConfig, result_precision, train

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

EXAMPLES = ("poisson_ritz", "interface", "seed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=list(EXAMPLES))
    parser.add_argument("--orders", nargs="*", type=int, default=[quadrature.ORDER], help="nodes per panel")
    parser.add_argument("--variants", nargs="*", default=["before", "mean", "gauss"])
    args = parser.parse_args()
    from accuracy import error_function, mean_abs_dx

    table = Table(title="energy quadrature, one process, variants alternating (under load: times rough)")
    for column in ("example", "variant", "error", "loss", "seconds", "steps", "quadrature"):
        table.add_column(column)
    default_order, default_rtol = quadrature.ORDER, _train.flat_rtol
    for name in args.only:
        compiled = symbolic_pinn.compile(ROOT / "examples" / f"{name}.pinn")
        variants = [v for v in args.variants if v != "gauss"]
        variants += [f"gauss {p}" for p in args.orders] if "gauss" in args.variants else []
        for variant in variants:
            quadrature.ORDER = int(variant.split()[1]) if variant.startswith("gauss") else default_order
            _train.flat_rtol = (lambda compiled: stopping.FLAT_RTOL) if variant == "before" else default_rtol
            config = TrainConfig(progress=False, energy_quadrature="gauss" if variant.startswith("gauss") else "mean")
            started = time.perf_counter()
            result = train(compiled, config)
            seconds = time.perf_counter() - started
            with result_precision(result.params):
                if name == "seed":
                    initial = mean_abs_dx(compiled, compiled.init_params(jax.random.PRNGKey(0)))
                    final = mean_abs_dx(compiled, result.params)
                    error = f"mean |∂ₓu| ×1/{initial / final:.3g}" if final > 0 else "mean |∂ₓu| → 0"
                else:
                    error = f"{next(iter(error_function(name, compiled)(result.params).values())):.3g}"
            metrics = result.metrics
            row = (name, variant, error, f"{metrics['loss']:.12g}", f"{seconds:.0f}", str(metrics["steps"]))
            table.add_row(*row, metrics["energy_quadrature"]["reason"])
            print(*row, metrics["ended"], flush=True)
        quadrature.ORDER, _train.flat_rtol = default_order, default_rtol
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
