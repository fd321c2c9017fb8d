"""The one error type users see: what went wrong, where, and what to do.

Every stage that rejects a problem raises :class:`PinnError`.  When the problem came
from text, the error carries the line and column and renders the offending line with a
caret under the spot, in the style of rustc::

    error: unknown name 'v'
     --> poisson.pinn:4:3
      |
    4 | -Δv = 1
      |   ^
      = help: declare it, e.g. `field v(x, y)`; names in scope: u, x, y
"""

from __future__ import annotations

import dataclasses

_WINDOW = 80  # characters of a long line shown around an error


@dataclasses.dataclass(frozen=True)
class Span:
    """A place in the source text: 1-based line and column, end exclusive."""

    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


class IllPosedWarning(UserWarning):
    """A problem that compiles but is very likely ill-posed (a missing boundary or initial condition)."""


class ReadingWarning(UserWarning):
    """A problem whose text the compiler had to read one way of several (a time found from the
    equations, data that jump where two conditions meet): it says which reading it took."""


class QuadratureWarning(UserWarning):
    """An integral inside an equation that ``quadrature_order`` Gauss–Legendre nodes do not resolve."""


class OutsideWarning(UserWarning):
    """A trained field evaluated at points outside the domain it was trained on (their values are NaN)."""


class ExactWarning(UserWarning):
    """An ``exact`` solution that does not satisfy an equation or condition of its problem."""


class PinnError(Exception):
    """A problem that symbolic_pinn cannot accept, with where and what to do.

    Args:
        message: what is wrong, in one sentence.
        span: where in the text, if the problem came from text.
        help: what would be right, or the next step.
        source: the whole source text (to render the offending line).
        filename: shown in the location line.
    """

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        *,
        help: str | None = None,
        source: str | None = None,
        filename: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.span = span
        self.help = help
        self.source = source
        self.filename = filename

    def with_source(self, source: str, filename: str | None) -> PinnError:
        """Attach the text the span points into (kept if already set)."""
        if self.source is None:
            self.source = source
        if self.filename is None:
            self.filename = filename
        return self

    def render(self) -> str:
        """The full multi-line message with location and caret."""
        out = [f"error: {self.message}"]
        name = self.filename or "<input>"
        if self.span is not None:
            out.append(f" --> {name}:{self.span.line}:{self.span.column}")
            # lines as the parser counts them: only "\n" ends a line
            lines = (self.source or "").split("\n")
            if 1 <= self.span.line <= len(lines):
                text = "".join(ch if ch.isprintable() else " " for ch in lines[self.span.line - 1].rstrip("\r"))
                column = self.span.column
                width = 1
                if self.span.end_line == self.span.line and self.span.end_column:
                    width = max(1, self.span.end_column - self.span.column)
                width = min(width, max(1, len(text) - column + 1), _WINDOW)
                if len(text) > 2 * _WINDOW:  # show a window around the spot of a long line
                    start = max(0, column - 1 - _WINDOW // 2)
                    text = ("…" if start else "") + text[start : start + _WINDOW] + "…"
                    column = column - start + (1 if start else 0)
                number = str(self.span.line)
                pad = " " * len(number)
                out.append(f"{pad} |")
                out.append(f"{number} | {text}")
                out.append(f"{pad} | {' ' * (column - 1)}{'^' * width}")
        elif self.filename:
            out.append(f" --> {name}")
        if self.help:
            out.append(f"  = help: {self.help}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.render()
