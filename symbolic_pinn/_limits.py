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
from collections.abc import Callable, Mapping

from ._errors import PinnError, Span

__all__ = [
    "DERIVATIVE_ORDER", "EXPONENT", "EXPRESSION_SIZE", "INLINED_SIZE", "MEMORY", "PROBLEM_CHARACTERS", "VARIABLES",
    "Limit", "check_memory",
]  # fmt: skip

_SIMPLIFY = "simplify the expression (split it with `let`, or give the result directly)"


@dataclasses.dataclass(frozen=True)
class Limit:
    """One bound: its name, its default, and what it counts."""

    name: str
    default: int
    counts: str
    help: str = _SIMPLIFY
    default_from: Callable[[], int] | None = None  # a default that depends on the machine

    @property
    def variable(self) -> str:
        return f"SYMBOLIC_PINN_{self.name.upper()}"

    def value(self) -> int:
        """The limit: the environment variable if set, else the default."""
        text = os.environ.get(self.variable)
        default = self.default if self.default_from is None else self.default_from()
        if text is None:
            return default
        if not text.strip().isdigit() or int(text) < 1:
            raise PinnError(
                f"{self.variable} must be a whole number ≥ 1, got {text!r}", help=f"unset it (default {default})"
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
                help=f"{self.help}; to allow more, set the environment variable {self.variable}",
            )


DERIVATIVE_ORDER = Limit(
    "max_derivative_order",
    8,
    "the order of the derivative",
    "write the problem with derivatives of lower order (a system of equations of lower order, for instance)",
)
EXPRESSION_SIZE = Limit("max_expression_size", 20_000, "the size of the expression (nodes of its tree)")
EXPONENT = Limit("max_exponent", 1_000, "the size of the exponent")
# user functions are inlined at each call: one that calls the previous one twice, 60 deep, is 2^60 copies
INLINED_SIZE = Limit(
    "max_inlined_size",
    100_000,
    "the size of the statement with its user functions inlined (nodes of the syntax tree)",
    "call the user functions fewer times (give a repeated value a name with `let`)",
)
# `x[1..d] in [0, 1]` is d variables, each an input of the networks and a tangent of every Laplacian
VARIABLES = Limit(
    "max_variables",
    1_000,
    "the number of variables",
    "declare fewer variables (a problem in d dimensions costs d forward passes per Laplacian)",
)
# a problem is a page of maths: this bounds the parser's time and the checker's
PROBLEM_CHARACTERS = Limit(
    "max_problem_characters",
    50_000,
    "its length in characters",
    "a problem is a page of equations: move data to a `data` file or a table",
)


GIB = 1 << 30


def _physical_memory_gib() -> int:
    """This machine's memory in GiB (16 where the system does not say)."""
    try:
        return max(1, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // GIB)
    except (ValueError, OSError, AttributeError):
        return 16


# what a setting may make training or evaluation allocate, estimated before anything is
MEMORY = Limit(
    "max_memory_gib",
    0,
    "the memory it would take (GiB)",
    "lower the settings named above",
    default_from=_physical_memory_gib,
)


def check_memory(parts: Mapping[str, float], what: str, help: str) -> None:
    """Refuse ``what`` if the bytes of ``parts`` (name → bytes, each explained by its name) add up
    to more than :data:`MEMORY` allows, saying how much, of what, and the limit."""
    limit = MEMORY.value()
    total = sum(parts.values())
    if total > limit * GIB:
        shown = ", ".join(f"{name}: {size / GIB:,.1f} GiB" for name, size in parts.items() if size >= GIB / 10)
        raise PinnError(
            f"{what} would take about {total / GIB:,.1f} GiB of memory ({shown}), above the limit of {limit:,} GiB"
            f"{' (this machine’s memory)' if MEMORY.variable not in os.environ else ''}",
            help=f"{help}; to allow more, set the environment variable {MEMORY.variable}",
        )
