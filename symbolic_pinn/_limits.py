"""Bounds on what a problem may ask for, so that no input makes checking or training run away.

A problem is a page of maths; these limits are far above what a PDE needs (the examples
use derivatives of order 4 at most and expressions of a few dozen nodes), and far below
what would take minutes or gigabytes: a 50-fold derivative compiles to a network
evaluation of gigabytes, the Laplacian of a product of 50 factors has millions of
terms.  An error names the limit and the environment variable that raises it::

    SYMBOLIC_PINN_MAX_DERIVATIVE_ORDER=12 symbolic-pinn check problem.pinn

The variables are read when a problem is checked (nothing is read at import).
"""

from __future__ import annotations

import dataclasses
import os

from ._errors import PinnError, Span

__all__ = ["DERIVATIVE_ORDER", "EXPONENT", "EXPRESSION_SIZE", "Limit"]


@dataclasses.dataclass(frozen=True)
class Limit:
    """One bound: its name, its default, and what it counts."""

    name: str
    default: int
    counts: str

    @property
    def variable(self) -> str:
        return f"SYMBOLIC_PINN_{self.name.upper()}"

    def value(self) -> int:
        """The limit: the environment variable if set, else the default."""
        text = os.environ.get(self.variable)
        if text is None:
            return self.default
        if not text.strip().isdigit() or int(text) < 1:
            raise PinnError(
                f"{self.variable} must be a whole number ≥ 1, got {text!r}", help=f"unset it (default {self.default})"
            )
        return int(text)

    def check(self, got: float, span: Span | None, what: str) -> None:
        """Raise a located PinnError if ``got`` is above the limit."""
        limit = self.value()
        got = float(got)
        if got > limit:
            shown = f"{got:,.0f}" if got < 1e15 else f"about {got:.1e}"
            raise PinnError(
                f"{what}: {self.counts} is {shown}, above the limit of {limit:,}",
                span,
                help=f"simplify the expression (split it with `let`, or give the result directly); "
                f"to allow more, set the environment variable {self.variable}",
            )


DERIVATIVE_ORDER = Limit("max_derivative_order", 8, "the order of the derivative")
EXPRESSION_SIZE = Limit("max_expression_size", 20_000, "the size of the expression (nodes of its tree)")
EXPONENT = Limit("max_exponent", 1_000, "the size of the exponent")
