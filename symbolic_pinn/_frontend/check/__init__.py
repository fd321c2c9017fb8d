"""Stage 2, check: syntax tree → :class:`Spec`, rejecting what does not make sense.

The checker resolves every name (variables, fields, constants, ``let`` macros,
unknowns, built-in functions), turns each expression into SymPy — derivatives of
expressions by SymPy's chain rule — and reports every semantic error with the line,
column and a caret.  User text reaches SymPy only as symbols and numbers built here;
nothing is ever handed to ``eval``, ``exec`` or ``sympify``.

One module per concern, each adding the methods of its statements or nodes
(``_stmt_<Statement>``, ``_expr_<Node>``, ``_call_<operator>``, found by name) to
the :class:`~.scope.Scope` they share:

- :mod:`.scope`: the names declared so far, the variables, fields and terms;
- :mod:`.declarations`: variables, domains, fields, constants, ``let``, ``exact``;
- :mod:`.indices`: families of variables ``x[1..d]``, ``x[i]`` and sums ``sum(i, 1, d, f)``;
- :mod:`.geometry`: the shape of a domain;
- :mod:`.terms`: equations, integral constraints and energies;
- :mod:`.where`: where a term holds (the regions, resolved by :class:`..regions.Resolver`);
- :mod:`.subdomains`: `region A = x < 0.5`, fields living in one, `in A`, `on interface(A, B)`;
- :mod:`.files`: observations and tables read from files;
- :mod:`.expressions`: numbers, names, arithmetic, conditions, integrals;
- :mod:`.operators`: derivatives, operators and calls.
"""

from __future__ import annotations

from ..._errors import PinnError, Span
from .. import syntax as ast
from ..conditions import settle
from ..maps import unmap
from ..spec import Spec, TermSpec, warn_ill_posed
from ..subdomains import check_regions, restrict
from .declarations import Declarations
from .expressions import Expressions, _finite
from .files import Files
from .geometry import Geometry
from .indices import Indices
from .operators import Operators
from .subdomains import Subdomains
from .terms import Terms
from .where import Where

__all__ = ["check"]


class _Checker(Declarations, Indices, Geometry, Terms, Where, Subdomains, Files, Operators, Expressions):
    """Checks one program, statement by statement, into a :class:`Spec`."""

    def run(self) -> Spec:
        for statement in self.program.statements:
            self.inlined = 0
            try:
                getattr(self, f"_stmt_{type(statement).__name__}")(statement)
            except RecursionError:
                raise PinnError(
                    "the expression is nested too deeply", statement.span, help="split it with `let` definitions"
                ) from None
        if not self.fields:
            raise PinnError(
                "the problem declares no field",
                help="declare the unknown function, e.g. `field u(x, y)`",
            )
        for statement in self.data_statements:
            self._read_data(statement)
        if not self.terms:
            raise PinnError(
                "the problem has no equation and nothing to minimize",
                help="add an equation such as `-Δu = f` or an energy `minimize ∫ ...`",
            )
        for node, _, _, expr, *_ in self.terms:
            _finite(expr, node)
        for name, expr in self.exact:
            _finite(
                expr,
                next(
                    s
                    for s in self.program.statements
                    if isinstance(s, ast.Definition) and name in (s.name.name, f"{s.name.name}_re", f"{s.name.name}_im")
                ),
            )
        lines = self.program.source.splitlines()
        terms = tuple(
            TermSpec(
                kind,
                region,
                expr,
                weight if isinstance(weight, float) else 1.0,
                _label(lines, node.span),
                node.span.line,
                *target,
                point_weight=None if isinstance(weight, float) else weight,
            )
            for node, kind, region, expr, weight, *target in self.terms
        )
        spec = Spec(
            variables=tuple(self.variables),
            fields=tuple(self.fields),
            unknowns=tuple(self.unknowns),
            terms=terms,
            exact=tuple(self.exact),
            source=self.program.source,
            filename=self.program.filename,
            data=tuple(self.data),
            shape=self.shape,
            parameters=tuple(self.parameters),
            time=self.time,
        )
        if self.maps and self.homes:
            first = next(iter(self.homes))
            raise PinnError(
                f"'{first}' lives in a region, beside a mapped variable",
                self.names[first].span,
                help="regions of mapped intervals are not supported: declare the field on all of Ω",
            )
        spec = unmap(spec, tuple(self.maps))  # `x in [0, ∞) with x = s/(1 - s), s in [0, 1]`: in s from here
        spec = settle(spec)  # ∂Ω beside conditions on faces or parts: the rest; contradictions refused
        homes = {field: self.names[region].value for field, region in self.homes.items()}
        spec = restrict(spec, homes, self._spatial_names())  # fields living in a region: there
        check_regions(spec, homes)
        return spec


def _label(lines: list[str], span: Span) -> str:
    if 1 <= span.line <= len(lines):
        line = lines[span.line - 1]
        end = span.end_column if span.end_line == span.line and span.end_column else len(line) + 1
        return line[span.column - 1 : end - 1].strip()
    return ""


def check(program: ast.Program) -> Spec:
    """Resolve names and build the SymPy form of a parsed problem."""
    try:
        spec = _Checker(program).run()
    except PinnError as err:
        raise err.with_source(program.source, program.filename) from None
    except RecursionError:
        raise PinnError(
            "the expression is nested too deeply",
            help="split it with `let` definitions",
            source=program.source,
            filename=program.filename,
        ) from None
    warn_ill_posed(spec)
    return spec
