"""Stage 5, emit: IR + derivative schedule → a readable, self-contained JAX module.

The module needs only JAX.  It defines the network, one function per loss term that
computes the term's pointwise residual (or integrand) from the fields given as
functions — so the same code evaluates a trained network or a closed-form solution —
and ``losses``/``loss`` that tie them to parameters and points.  Running it as a
script trains a network with plain Adam.  Output is deterministic: the same problem
gives the same text.

Expressions are printed by a table of ``_print_<Node>`` methods with precedence-aware
parentheses, as SymPy's code printers do.
"""

from __future__ import annotations

import dataclasses
import keyword
import pathlib
import textwrap
import typing
import unicodedata

import numpy as np

from .. import _functions as functions
from .. import _runtime
from .._config import NetworkConfig
from .._frontend.regions import home_literal
from .._frontend.time_variable import NAME
from . import ir
from .plan import (
    Collapse,
    Derive,
    Evaluate,
    FieldPlan,
    IntegralPlan,
    Jet,
    Schedule,
    SharedPlan,
    describe_derivative_sum,
    describe_sum,
)

__all__ = ["emit"]


@dataclasses.dataclass(frozen=True)
class _Architecture:
    """How a generated module builds a field's network: the runtime class, the init call, the words of fields()."""

    network: str  # the runtime class that evaluates it
    init: str  # the init_params call of one network, on its key `k` and layer sizes `sizes`
    words: str  # what fields() says each field is


ARCHITECTURES = {
    "mlp": _Architecture("Network", "init_mlp(k, sizes)", "a network"),
    "fourier": _Architecture(
        "FourierNetwork",
        "init_fourier(k, sizes, FOURIER_SCALE)",
        "a network of random Fourier features (then a tanh MLP)",
    ),
    "modified": _Architecture("ModifiedNetwork", "init_modified(k, sizes)", "a modified MLP (Wang et al. 2021)"),
}
assert tuple(ARCHITECTURES) == NetworkConfig.__dataclass_fields__["architecture"].metadata["choices"]
# how the module docstring says derivatives are taken: [by the fused passes of the tanh MLP, generically]
_DERIVATIVES = (
    "Every derivative is taken in forward mode: sums of second derivatives by one fused\n"
    "pass through the network (collapsed Taylor mode), the rest by nested jax.jvp.\n",
    "Every derivative is taken in forward mode, by nested jax.jvp and Taylor-mode jet (the\n"
    "fused passes through the network are written for the plain tanh MLP only).\n",
)


@dataclasses.dataclass(frozen=True)
class _TermKind:
    """How the generated module turns one kind of term (``ir.Term.kind``) into its loss.

    ``function`` prefixes the term's function (``residual_pde``, ``integrand_energy``);
    ``points`` says what its points give (the docstring's "mean square over ..."); a
    ``measured`` term's loss needs the measure of its region (``MEASURES``); ``loss``
    writes the loss from ``r`` (the term's values at its points), given the term, ``w``,
    its point weights (``weight_pde(x, y)`` at the points) or None, and ``n``, the number of
    coordinate columns of its points (an energy's may carry its quadrature weights after them).
    """

    function: str
    points: str
    measured: bool
    loss: typing.Callable[[ir.Term, str, str | None, int], str]


def _times(w: str | None) -> str:
    return "" if w is None else f"{w} * "


_TERM_KINDS = {
    "residual": _TermKind("residual", "mean square", False, lambda term, r, w, n: f"jnp.mean({_times(w)}{r} ** 2)"),
    "integral": _TermKind(
        "integrand",
        "integral",
        True,
        lambda term, r, w, n: f'(MEASURES["{term.name}"] * jnp.mean({r}) - {_number(term.target)}) ** 2',
    ),
    "energy": _TermKind(
        "integrand",
        "integral",
        True,
        lambda term, r, w, n: f'MEASURES["{term.name}"] * jnp.mean({_times(w)}{_quadrature(term, n)} * {r})',
    ),
}


def _columns(program: ir.Program, term: ir.Term) -> int:
    """How many coordinate columns a term's points have: the variables, then the normal where it uses one."""
    return len(program.variables) + (len(program.spatial) if ir.uses_normals(term) else 0)


def _quadrature(term: ir.Term, n: int) -> str:
    """An energy's quadrature weights (see ``quadrature_weights``): a column after its ``n`` coordinates, or 1."""
    return f'quadrature_weights(points["{term.name}"], {n})'


# names the module defines, imports or uses in its own functions, besides the runtime's and
# the term functions': no user name may take them (a local of that name would hide them)
_OWN_NAMES = {
    *("jax", "jnp", "dataclasses", "sys", "saved", "params", "points", "key", "main", "fields", "init_params"),
    *("residuals", "loss", "losses", "net", "terms", "name", "columns", "r", "EXACT", "RANDOMIZED"),
    *("DOMAIN", "FIELDS", "LAYERS", "UNKNOWNS", "WEIGHTS", "REGIONS", "DATA_COLUMNS", "SHAPE", "NORMALS", "MEASURES"),
    *("QUADRATURE_ORDER", "FOURIER_SCALE", "POINT_WEIGHTS", "HOMES"),
}
_RESERVED = set(_runtime.definitions()) | _OWN_NAMES

# precedence: higher binds tighter
_ADD, _MUL, _UNARY, _POW, _ATOM = 1, 2, 3, 4, 5


def python_name(name: str) -> str:
    """A user's name as a Python identifier that cannot clash with the module's own."""
    if name.isidentifier() and unicodedata.normalize("NFKC", name) == name and not keyword.iskeyword(name):
        return name + "_" if name in _RESERVED else name
    return "v_" + "".join(ch if ch.isalnum() and ch.isascii() else f"{ord(ch):x}" for ch in name)


def _strings(names) -> str:
    return ", ".join(f'"{n}"' for n in names) + ("," if len(names) == 1 else "")


def _tuple(items) -> str:
    """A Python tuple literal of already formatted items: ``(a, b)``, ``(a,)``."""
    items = list(items)
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _string_literal(text: str) -> str:
    """A user string (a file name) as a safe Python string literal."""
    return repr(str(text))


def _docstring(text: str, indent: str = "") -> str:
    """A triple-quoted literal showing ``text``, whatever it contains.

    User text (the problem, a file name) is quoted in docstrings; escaping
    backslashes, quotes and non-printable characters means it can never end the
    string early or make the module fail to load.
    """
    safe = []
    for ch in text:
        if ch == "\\":
            safe.append("\\\\")
        elif ch == '"':
            safe.append('\\"')
        elif ch == "\n" or ch.isprintable():
            safe.append(ch)
        else:
            safe.append(ch.encode("unicode_escape").decode("ascii"))
    body = "".join(safe).replace("\n", "\n" + indent)
    return f'"""{body}"""'


class _Namer:
    """Python identifiers for everything a generated module names, in one namespace.

    The module's own names (the runtime's, the constants, ``residual_<term>``) are
    taken first, then user names (variables, unknowns); the functions of a field
    (``exact_u``), derivative values, derivative functions and collapsed sums then get
    their natural names (``u_xx``, ``u_x_fn``, ``lap_u``) unless taken, in which case a
    numbered suffix.  Keys are structured, so two different things never share a name,
    and no name can hide another.
    """

    def __init__(self, program: ir.Program):
        self.program = program
        self.names: dict = {}
        self.taken = (
            set(_RESERVED)
            | {f"{k.function}_{t.name}" for t in program.terms for k in _TERM_KINDS.values()}
            | {f"weight_{t.name}" for t in program.terms}
        )
        for v in program.variables:
            self._claim(("var", v.name), python_name(v.name))
        for name, _ in program.unknowns:
            self._claim(("var", name), python_name(name))

    def _claim(self, key, preferred: str) -> str:
        if key not in self.names:
            name, i = preferred, 2
            while name in self.taken:
                name, i = f"{preferred}_{i}", i + 1
            self.taken.add(name)
            self.names[key] = name
        return self.names[key]

    def var(self, name: str) -> str:
        return self._claim(("var", name), python_name(name))  # declared first; integration variables later

    def value(self, field: str, alpha, at=None) -> str:
        args = self.program.field(field).args
        name = python_name(ir.derivative_name(field, alpha, args)) + self._point_suffix(field, at)
        return self._claim(("value", field, alpha, at), name)

    def _point_suffix(self, field: str, at) -> str:
        """``_at_m1`` for u(-1, t), ``_at_s`` for u(s, t), ``_at`` for other points."""
        if at is None:
            return ""
        own = [ir.Var(a) for a in self.program.field(field).args]
        parts = []
        for arg, slot in zip(at, own):
            if arg == slot:
                continue
            if isinstance(arg, ir.Num):
                parts.append(_number(arg.value).replace("-", "m").replace(".", "p").replace("+", ""))
            elif isinstance(arg, ir.Var):
                parts.append(python_name(arg.name))
            else:
                return "_at"
        return "_at_" + "_".join(parts)

    def field_function(self, kind: str, field: str) -> str:
        """The module-level function ``exact_u``, ``boundary_u`` or ``distance_u`` of a field."""
        return self._claim((kind, field), f"{kind}_{python_name(field)}")

    def integral(self, node: ir.Integral) -> str:
        return self._claim(("integral", node), "integral")

    def integrand(self, node: ir.Integral) -> str:
        return self._claim(("integrand", node), "integrand")

    def function(self, field: str, alpha) -> str:
        args = self.program.field(field).args
        return self._claim(("fn", field, alpha), python_name(ir.derivative_name(field, alpha, args) + "_fn"))

    def normal(self, variable: str) -> str:
        return self._claim(("normal", variable), python_name(f"n_{variable}"))

    def observed(self, field: str) -> str:
        return self._claim(("observed", field), python_name(f"{field}_observed"))

    def table(self, name: str) -> str:
        return self._claim(("table", name), python_name(f"TABLE_{name}"))

    def second_order(self, node: ir.SecondOrderSum) -> str:
        args = self.program.field(node.name).args
        name = python_name(ir.second_order_name(node, args)) + self._point_suffix(node.name, node.at)
        return self._claim(("sum", node), name)

    def derivative_sum(self, node: ir.DerivativeSum) -> str:
        args = self.program.field(node.name).args
        name = python_name(ir.derivative_sum_name(node, args)) + self._point_suffix(node.name, node.at)
        return self._claim(("sum", node), name)


class _Printer:
    """IR expression → Python source text; field derivatives → local value names."""

    def __init__(self, program: ir.Program, namer: _Namer):
        self.program = program
        self.namer = namer

    def __call__(self, expr: ir.Expr) -> str:
        return self.print(expr)[0]

    def print(self, e: ir.Expr) -> tuple[str, int]:
        return getattr(self, f"_print_{type(e).__name__}")(e)

    def _wrap(self, e: ir.Expr, at_least: int) -> str:
        text, precedence = self.print(e)
        return f"({text})" if precedence < at_least else text

    def _print_Num(self, e):
        return _number(e.value), (_UNARY if e.value < 0 else _ATOM)

    def _print_Const(self, e):
        return f"jnp.{e.name}", _ATOM

    def _print_Var(self, e):
        return self.namer.var(e.name), _ATOM

    _print_Unknown = _print_Var

    def _print_Field(self, e):
        return self.namer.value(e.name, e.alpha, e.at), _ATOM

    def _print_Integral(self, e):
        return self.namer.integral(e), _ATOM

    def _print_Normal(self, e):
        return self.namer.normal(e.variable), _ATOM

    def _print_Observed(self, e):
        return self.namer.observed(e.name), _ATOM

    def _print_SecondOrderSum(self, e):
        return self.namer.second_order(e), _ATOM

    def _print_DerivativeSum(self, e):
        return self.namer.derivative_sum(e), _ATOM

    def _print_Call(self, e):
        return functions.lookup(e.fn).call([self.print(e.arg)[0]]), _ATOM

    def _print_Table(self, e):
        args = [self.namer.table(e.name)] + [self.print(a)[0] for a in e.args]
        if any(e.alpha):
            args.append(f"derivative={_tuple(map(str, e.alpha))}")
        return f"interpolate({', '.join(args)})", _ATOM

    def _print_CallMany(self, e):
        return functions.lookup(e.fn).call([self.print(a)[0] for a in e.args]), _ATOM

    def _print_Compare(self, e):
        return f"{self._wrap(e.left, _ADD)} {e.op} {self._wrap(e.right, _ADD)}", 0  # wrapped inside arithmetic

    def _print_Logic(self, e):
        args = [self.print(a)[0] for a in e.args]
        text = args[0]
        for arg in args[1:]:  # jnp.logical_and takes two arguments
            text = f"jnp.logical_{e.op}({text}, {arg})"
        return (f"jnp.logical_not({text})" if e.op == "not" else text), _ATOM

    def _print_Where(self, e):
        cond, then, otherwise = (self.print(a)[0] for a in (e.cond, e.then, e.otherwise))
        return f"jnp.where({cond}, {then}, {otherwise})", _ATOM

    def _print_Add(self, e):
        text = self._wrap(e.args[0], _ADD)
        for arg in e.args[1:]:
            part = self._wrap(arg, _ADD)
            text += f" - {part[1:]}" if part.startswith("-") and self.print(arg)[1] == _UNARY else f" + {part}"
        return text, _ADD

    def _print_Mul(self, e):
        numerator, denominator = [], []
        sign = ""
        for factor in e.args:
            if isinstance(factor, ir.Num) and factor.value == -1 and not sign and not numerator:
                sign = "-"
            elif isinstance(factor, ir.Pow) and isinstance(factor.exp, ir.Num) and factor.exp.value < 0:
                flipped = -factor.exp.value
                denominator.append(factor.base if flipped == 1 else ir.Pow(factor.base, ir.Num(flipped)))
            else:
                numerator.append(factor)
        text = " * ".join(self._wrap(f, _MUL) for f in numerator) or "1"
        if denominator:
            text += " / " + " / ".join(self._wrap(f, _MUL + 1) for f in denominator)
        if sign:
            return f"-{text}", _UNARY
        return text, _MUL

    def _print_Pow(self, e):
        if isinstance(e.exp, ir.Num):
            if e.exp.value == 0.5:
                return f"jnp.sqrt({self.print(e.base)[0]})", _ATOM
            if e.exp.value == -0.5:
                return f"1 / jnp.sqrt({self.print(e.base)[0]})", _MUL
            if e.exp.value == -1:
                return f"1 / {self._wrap(e.base, _MUL + 1)}", _MUL
        return f"{self._wrap(e.base, _ATOM)} ** {self._wrap(e.exp, _POW)}", _POW


def _table_constant(table, name: str) -> str:
    """A table's grid and values, written out: the module needs no file to run."""

    def block(array, indent: str) -> str:
        if array.ndim == 1:
            return _filled([_number(float(v)) for v in array], indent) + ("," if len(array) == 1 else "")
        return "\n".join(f"{indent}(\n{block(a, indent + '    ')}\n{indent})," for a in array)

    axes = "\n".join(
        f"        (  # {v}\n{block(np.asarray(a), '            ')}\n        ),"
        for v, a in zip(table.variables, table.axes)
    )
    return (
        f"# {table.describe()}: (coordinates along each axis, values)\n"
        f"{name} = (\n    (\n{axes}\n    ),\n    (\n{block(table.array(), '        ')}\n    ),\n)"
    )


def _filled(numbers: list[str], indent: str, width: int = 116) -> str:
    """``numbers`` joined by ", " in lines of at most ``width`` characters (textwrap.fill's result,
    in time linear in the count: a table holds up to 512² of them)."""
    lines, line = [], indent
    for i, n in enumerate(numbers):
        piece = n + ("," if i < len(numbers) - 1 else "")
        if line != indent and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = indent
        line += piece if line == indent else " " + piece
    return "\n".join([*lines, line])


def _coords(program: ir.Program, namer: _Namer) -> str:
    return ", ".join(namer.var(v.name) for v in program.variables)


def _estimated(term_plan) -> bool:
    """Whether a term estimates a sum from random coordinates (and so takes a ``key``)."""
    return any(fp.samples for fp in term_plan.field_plans())


def _term_function(program: ir.Program, term: ir.Term, schedule: Schedule, printer: _Printer) -> str:
    namer = printer.namer
    term_plan = schedule.term(term.name)
    used_unknowns = ir.unknowns_of(term)
    zero = {f.name: (0,) * len(f.args) for f in program.fields}
    params = [namer.function(f, zero[f]) for f in term_plan.field_names()] + [namer.var(u) for u in used_unknowns]
    kind, what = _TERM_KINDS[term.kind].function, _TERM_KINDS[term.kind].points
    where = term.region.describe()
    observed = [namer.observed(f) for f in ir.observed_fields(program, term)]
    normals = [namer.normal(v) for v in program.spatial] if ir.uses_normals(term) else []
    key = ["key"] if _estimated(term_plan) else []
    lines = [
        f"def {kind}_{term.name}({', '.join(params + [_coords(program, namer)] + normals + observed + key)}):",
        "    " + _docstring(f"{term.label}    ({what} over {where} points)", "    "),
    ]
    like = namer.var(program.variables[0].name)
    lines += _scope(program, term_plan.fields, term_plan.integrals, printer, "    ", like)
    lines.append(f"    return {_body(term_plan.expr, printer, like)}")
    return "\n".join(lines)


class _StepWriter:
    """The lines of one field's derivative steps, one ``_emit_<Step>`` method per kind of step."""

    def __init__(self, namer: _Namer, fp: FieldPlan, field_plans, args: str, indent: str, defined: set[str]):
        self.namer, self.fp, self.field_plans = namer, fp, field_plans
        self.args, self.indent, self.defined = args, indent, defined

    def value(self, alpha) -> str:
        return self.namer.value(self.fp.field, alpha, self.fp.at) if alpha is not None else "_"

    def fn(self, alpha) -> str:
        return self.namer.function(self.fp.field, alpha)

    def _emit_Jet(self, step: Jet) -> list[str]:
        indent, value = self.indent, self.value
        series = _tuple(
            _tuple(value(a) for a in lower) if any(a is not None for a in lower) else "_" for lower in step.series
        )
        directions = _tuple(_tuple(_number(c) for c in v) for v in step.directions)
        weights = _tuple(_number(w) for w in step.weights)
        target = f"{indent}{value(step.value)}, {series}, {self.namer.derivative_sum(step.output)} = "
        call = f"collapsed_jet({self.fn(step.fn)}, {directions}, {weights}, {step.order})({self.args})"
        if len(target + call) <= 100:
            return [target + call]
        return [  # one argument per line
            f"{target}collapsed_jet(",
            f"{indent}    {self.fn(step.fn)},",
            f"{indent}    {directions},  # directions vⱼ",
            f"{indent}    {weights},  # weights wⱼ",
            f"{indent}    {step.order},",
            f"{indent})({self.args})",
        ]

    def _emit_Collapse(self, step: Collapse) -> list[str]:
        weights = _tuple(_number(w) for w in step.weights)
        total = self.namer.second_order(step.output)
        if step.samples:
            # the sums of a scope draw apart: index = how many this scope drew before
            index = [other for other in self.field_plans if other.samples].index(self.fp)
            return [
                f"{self.indent}{self.value(step.value)}, _, {total} = collapsed_jet({self.fn(step.fn)}, "
                f"*sampled_coordinates(key, {index}, {weights}, {step.samples}), 2)({self.args})"
            ]
        gradient = _tuple(self.value(g) for g in step.gradient)
        return [
            f"{self.indent}{self.value(step.value)}, {gradient}, {total} = "
            f"value_grad_laplacian({self.fn(step.fn)}, {weights})({self.args})"
        ]

    def _emit_Derive(self, step: Derive) -> list[str]:
        if self.fn(step.name) in self.defined:  # derivative functions are shared by every point of a field
            return []
        self.defined.add(self.fn(step.name))
        return [f"{self.indent}{self.fn(step.name)} = derivative({self.fn(step.parent)}, {step.arg})"]

    def _emit_Evaluate(self, step: Evaluate) -> list[str]:
        outputs = ", ".join(self.value(o) for o in step.outputs)
        if step.arg is None:
            return [f"{self.indent}{outputs} = {self.fn(step.fn)}({self.args})"]
        how = "value_and_derivative" if len(step.outputs) == 2 else "derivative"
        return [f"{self.indent}{outputs} = {how}({self.fn(step.fn)}, {step.arg})({self.args})"]


def _scope(
    program: ir.Program,
    field_plans: tuple[FieldPlan, ...],
    integrals: tuple[IntegralPlan, ...],
    printer: _Printer,
    indent: str,
    like: str,
) -> list[str]:
    """The lines that compute a scope's field derivatives and integrals.

    ``like`` names an array of the batch's shape, to broadcast constant coordinates.
    """
    namer = printer.namer
    lines: list[str] = []
    defined: set[str] = set()  # derivative functions are shared by every point of a field
    for fp in field_plans:
        decl = program.field(fp.field)
        # a field at a fixed point (`p(1, 1.5) = c`) is evaluated once, then broadcast to the batch
        fixed = fp.at is not None and not any(isinstance(n, ir.Var) for a in fp.at for n in ir.walk(a))
        if fp.at is None:
            args = ", ".join(namer.var(a) for a in decl.args)
            point = ""
        else:
            one = f"{like}[:1]" if fixed else like
            coords = [
                printer(a) if any(isinstance(n, ir.Var) for n in ir.walk(a)) else f"jnp.full_like({one}, {printer(a)})"
                for a in fp.at
            ]
            args = ", ".join(coords)
            point = f" at ({', '.join(ir.format_expr(a, program) for a in fp.at)})"
        names = ", ".join(namer.value(fp.field, a, fp.at) for a in fp.needed)

        writer = _StepWriter(namer, fp, field_plans, args, indent, defined)
        if fp.collapsed is not None and fp.samples:
            lines.append(
                f"{indent}# {fp.field}{point}: {describe_sum(fp.collapsed, decl)} — estimated (unbiased) "
                f"from {fp.samples} coordinates drawn at random with `key`"
            )
        elif fp.collapsed is not None:
            lines.append(f"{indent}# {fp.field}{point}: {describe_sum(fp.collapsed, decl)} — collapsed Taylor mode")
        if fp.high is not None:
            jet = fp.jet
            lines.append(
                f"{indent}# {fp.field}{point}: {describe_derivative_sum(fp.high, decl)} — collapsed Taylor mode: "
                f"Σⱼ wⱼ (vⱼ·∇)^{jet.order} {fp.field} over {len(jet.directions)} "
                f"direction{'s' * (len(jet.directions) > 1)} vⱼ"
            )
        if fp.needed:
            how = "nested forward mode (jax.jvp)" if any(map(any, fp.needed)) else "value"
            lines.append(f"{indent}# {fp.field}{point}: {names} — {how}")
        for step in fp.steps:
            lines += getattr(writer, f"_emit_{type(step).__name__}")(step)
        if fixed:
            sums = [namer.second_order(fp.collapsed)] if fp.collapsed is not None else []
            sums += [namer.derivative_sum(fp.high)] if fp.high is not None else []
            for name in [namer.value(fp.field, a, fp.at) for a in sorted(fp.gives)] + sums:
                lines.append(f"{indent}{name} = jnp.broadcast_to({name}, {like}.shape)")
    for ip in integrals:
        node = ip.node
        dummy = namer.var(node.dummy)
        f = namer.integrand(node)
        lines.append(f"{indent}def {f}({dummy}):")
        lines.append(
            f"{indent}    # {ir.format_expr(node.integrand, program)}, at the quadrature nodes of {node.dummy}"
        )
        lines += _scope(program, ip.fields, ip.integrals, printer, indent + "    ", dummy)
        lines.append(f"{indent}    return {_body(ip.expr, printer, dummy)}")
        lo, hi = printer(node.lo), printer(node.hi)
        lines.append(
            f"{indent}{namer.integral(node)} = gauss_legendre({f}, {lo}, {hi}, QUADRATURE_ORDER, like={like})"
            f"  # ∫ d{node.dummy} from {ir.format_expr(node.lo, program)} to {ir.format_expr(node.hi, program)}"
        )
    return lines


def _networks(program: ir.Program, network: NetworkConfig, constraints: dict) -> tuple[dict, dict]:
    """Each network's layer sizes, and (network, output) of each field that shares one.

    A network takes one input per argument of its field, and one more per periodic one (cos and sin).
    """

    def inputs(f: ir.FieldDecl) -> int:
        return len(f.args) + (len(constraints[f.name].periodic) if f.name in constraints else 0)

    if network.shared_network and len(program.fields) > 1:
        shared = {"_shared": network.layers(inputs(program.fields[0]), len(program.fields))}
        return shared, {f.name: ("_shared", i) for i, f in enumerate(program.fields)}
    return {f.name: network.layers(inputs(f), 1) for f in program.fields}, {}


def _built_in(constraints: dict) -> str:
    """The end of fields()'s docstring: how conditions are built into the networks, if any are."""
    words = []
    if any(c.lift is not None for c in constraints.values()):
        words.append("a field with conditions built in is g + φ·network (see boundary_*, distance_*)")
    if any(c.periodic for c in constraints.values()):
        words.append("a periodic coordinate reaches the network as its cos and sin (PeriodicInputs)")
    return ";\n    ".join([""] + words) + "."


def _shared_name(shared: SharedPlan) -> str:
    return "residuals_" + "_".join(shared.terms)


def _shared_function(program: ir.Program, shared: SharedPlan, schedule: Schedule, printer: _Printer) -> str:
    """``residuals_<terms>(fields..., coordinates)``: the residuals of terms at the same points, each
    field's derivatives computed once for all of them (their own functions compute them apart)."""
    namer = printer.namer
    by_name = {t.name: t for t in reversed(program.terms)}  # a search per term was quadratic
    terms = [by_name[name] for name in shared.terms]
    zero = {f.name: (0,) * len(f.args) for f in program.fields}
    unknowns = list(dict.fromkeys(u for term in terms for u in ir.unknowns_of(term)))
    params = [namer.function(fp.field, zero[fp.field]) for fp in shared.fields] + [namer.var(u) for u in unknowns]
    names = ", ".join(shared.terms[:-1]) + f" and {shared.terms[-1]}"
    own = ", ".join(f"residual_{t}" for t in shared.terms)
    lines = [
        f"def {_shared_name(shared)}({', '.join(params + [_coords(program, namer)])}):",
        "    "
        + _docstring(
            f"{names} at the same points ({terms[0].region.describe()}): each field's derivatives\n"
            f"once for all of them ({own} compute them apart).",
            "    ",
        ),
    ]
    like = namer.var(program.variables[0].name)
    lines += _scope(program, shared.fields, (), printer, "    ", like)
    lines.append("    return {")
    for term in terms:
        lines.append(f'        "{term.name}": {_body(schedule.term(term.name).expr, printer, like)},')
    lines.append("    }")
    return "\n".join(lines)


def _body(expr: ir.Expr, printer: _Printer, like: str) -> str:
    """An expression as code, broadcast to the points' shape where it depends on none of them."""
    body = printer(expr)
    varying = (ir.Var, ir.Field, ir.SecondOrderSum, ir.DerivativeSum, ir.Integral)
    if not any(isinstance(n, varying) for n in ir.walk(expr)):
        body = f"jnp.full_like({like}, {body})"
    return body


def _residuals_function(program: ir.Program, schedule: Schedule, namer: _Namer, randomized: list[str]) -> str:
    """``residuals(params, points[, key])``: each term's pointwise residual (an energy's integrand).

    The one place that calls the term functions, for the terms ``points`` names:
    ``losses`` asks for all of them, Levenberg–Marquardt for one at a time.
    """
    summary = (
        "Each term's residual (an energy's integrand) at its points ``points[term]``,\n"
        "    for the terms that ``points`` names."
    )
    if randomized:
        lines = [
            "def residuals(params, points, key=None):",
            f'    """{summary}',
            "",
            "    ``key`` draws the coordinates of the estimated sums (default: the same draw each call).",
            '    """',
            "    key = jax.random.PRNGKey(0) if key is None else key",
        ]
    else:
        lines = ["def residuals(params, points):", f'    """{summary}"""']
    lines.append("    net = fields(params)")
    for name, _ in program.unknowns:
        lines.append(f'    {namer.var(name)} = params["unknowns"]["{name}"]')
    lines.append("    terms = {")
    for term in program.terms:
        args = ", ".join(
            [f'net["{f}"]' for f in schedule.term(term.name).field_names()]
            + [namer.var(u) for u in ir.unknowns_of(term)]
            + ["*columns" if term.kind != "energy" else f"*columns[:{_columns(program, term)}]"]  # (quadrature weights)
            + ([f"key=jax.random.fold_in(key, {randomized.index(term.name)})"] if term.name in randomized else [])
        )
        kind = _TERM_KINDS[term.kind].function
        lines.append(f'        "{term.name}": lambda columns: {kind}_{term.name}({args}),')
    lines.append("    }")
    if not schedule.shared:
        lines.append("    return {name: terms[name](columns) for name, columns in points.items()}\n")
        return "\n".join(lines)
    lines.append("    shared = {}  # terms given the same points: see SHARED")
    by_name = {t.name: t for t in reversed(program.terms)}  # a search per term was quadratic
    for shared in schedule.shared:
        fields = ", ".join(f'net["{fp.field}"]' for fp in shared.fields)
        terms = [by_name[name] for name in shared.terms]
        unknowns = [namer.var(u) for u in dict.fromkeys(u for term in terms for u in ir.unknowns_of(term))]
        lines.append(f"    if together(points, ({_strings(shared.terms)})):")
        args = ", ".join([fields, *unknowns, f'*points["{shared.terms[0]}"]'])
        lines.append(f"        shared |= {_shared_name(shared)}({args})")
    lines.append(
        "    return {name: shared[name] if name in shared else terms[name](columns)"
        " for name, columns in points.items()}\n"
    )
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class _Module:
    """What the sections of one generated module read: the problem, its schedule and networks."""

    program: ir.Program
    schedule: Schedule
    network: NetworkConfig
    constraints: dict  # field → hard.Exact, for the fields with conditions built in
    printer: _Printer
    layers: dict  # network → layer sizes
    networks: dict  # field → (network, output) where networks are shared
    randomized: tuple[str, ...]  # the terms that estimate a sum from random coordinates

    @property
    def arch(self) -> _Architecture:
        return ARCHITECTURES[self.network.architecture]

    @property
    def namer(self) -> _Namer:
        return self.printer.namer

    @property
    def data_terms(self) -> list[ir.Term]:
        return [t for t in self.program.terms if isinstance(t.region, ir.Data)]


def emit(
    program: ir.Program,
    schedule: Schedule,
    *,
    network: NetworkConfig,
    source: str | None = None,
    filename: str | None = None,
    constraints: dict | None = None,
) -> str:
    """The JAX module (as text) for a program, its schedule and network settings.

    ``constraints`` maps a field with conditions built into its network to its
    :class:`symbolic_pinn._compiler.hard.Exact` (u = g + φ·N, periodic inputs).
    The module is its sections in order; the runtime it uses goes after the docstring.
    """
    constraints = constraints or {}
    layers, networks = _networks(program, network, constraints)
    schedule_terms = {t.term: t for t in schedule.terms}
    module = _Module(
        program,
        schedule,
        network,
        constraints,
        _Printer(program, _Namer(program)),
        layers,
        networks,
        tuple(t.name for t in program.terms if _estimated(schedule_terms[t.name])),
    )
    problem = [
        "# ---- the problem ----\n",
        _constants(module),
        _init_params(module),
        *_built_in_functions(module),
        _fields_function(module),
        *_term_functions(module),
        *_exact_solutions(module),
        _residuals_function(program, schedule, module.namer, list(module.randomized)),
        _losses_function(module),
        _loss_function(module),
        _randomized_constant(module),
        _main(module),
    ]
    return "\n\n".join([_header(module, source, filename), *_runtime_closure(problem, program), *problem])


def _header(module: _Module, source: str | None, filename: str | None) -> str:
    """The module docstring: what the problem is (its text) and how derivatives are taken."""
    from .. import __version__

    # the file name only: the same problem gives the same module wherever it lives
    title = f"the problem in {pathlib.PurePath(filename).name}" if filename else "a symbolic_pinn problem"
    problem_text = textwrap.indent((source or "").strip(), "    ") if source else "    (built from SymPy)"
    return (
        _docstring(
            f"Physics-informed loss for {title}, generated by symbolic_pinn {__version__}.\n\n"
            f"{problem_text}\n\n"
            + _DERIVATIVES[module.network.architecture != "mlp"]
            + "Run this file with plain JAX to train a small network: python THIS_FILE.py\n"
        )
        + "\n"
    )


def _runtime_closure(problem: list[str], program: ir.Program) -> list[str]:
    """The imports and the runtime code that the problem's sections use (and nothing else).

    A table's values (up to 512² numbers) name nothing: they are left out of the scan.
    """
    code = "\n".join(problem)
    for table in program.tables:
        start = code.find(f"# {table.describe()}")
        end = code.find("\n)\n", start)
        if start >= 0 and end >= 0:
            code = code[:start] + code[end + 3 :]
    imports, runtime = _runtime.closure(code)
    return [
        "\n".join([*imports, *([""] if imports else []), "import jax", "import jax.numpy as jnp"]) + "\n",
        "# ---- the runtime this problem uses (from symbolic_pinn._runtime) ----\n",
        runtime,
    ]


def _constants(module: _Module) -> str:
    """DOMAIN, FIELDS, LAYERS, ..., MEASURES: the problem as data, and each table's values."""
    program, schedule = module.program, module.schedule
    domain = ", ".join(f'"{v.name}": ({_number(v.lo)}, {_number(v.hi)})' for v in program.variables)
    constants = []
    constants.append(f"DOMAIN = {{{domain}}}")
    constants.append("FIELDS = {" + ", ".join(f'"{f.name}": ({_strings(f.args)})' for f in program.fields) + "}")
    constants.append(
        "LAYERS = {" + ", ".join(f'"{name}": {tuple(sizes)!r}' for name, sizes in module.layers.items()) + "}"
    )
    constants.append("UNKNOWNS = {" + ", ".join(f'"{n}": {_number(v)}' for n, v in program.unknowns) + "}")
    constants.append("WEIGHTS = {" + ", ".join(f'"{t.name}": {_number(t.weight)}' for t in program.terms) + "}")
    constants.append("REGIONS = {" + ", ".join(f'"{t.name}": {t.region.literal()}' for t in program.terms) + "}")
    constants.append(
        "DATA_COLUMNS = {"
        + ", ".join(
            f'"{t.name}": ({_strings([v.name for v in program.variables] + ir.observed_fields(program, t))})'
            for t in module.data_terms
        )
        + "}"
    )
    constants += [_table_constant(table, module.namer.table(table.name)) for table in program.tables]
    constants.append(f"SHAPE = {program.shape!r}  # (variables, Shape) of a non-box domain")
    if any(f.region for f in program.fields):
        homes = ", ".join(f'"{f.name}": {home_literal(f.region)}' for f in program.fields if f.region)
        constants.append(f"HOMES = {{{homes}}}  # the box or shape each field lives in (`field u1(x) in A`)")
    if program.parameters:
        constants.append(f"PARAMETERS = ({_strings(program.parameters)})  # network inputs, not coordinates of space")
    constants.append(
        "NORMALS = ("
        + _strings([t.name for t in program.terms if ir.uses_normals(t)])
        + ")  # terms given the outward normal"
    )
    constants.append(
        "SHARED = ("
        + "".join(f"({_strings(shared.terms)}), " for shared in schedule.shared).rstrip()
        + ")  # terms whose derivatives are computed together when given the same points"
    )
    measured = [t for t in program.terms if _TERM_KINDS[t.kind].measured]
    constants.append(
        "MEASURES = {" + ", ".join(f'"{t.name}": {_number(t.region.measure(program))}' for t in measured) + "}"
    )
    if any(isinstance(n, ir.Integral) for t in program.terms for n in ir.walk(t.expr)):
        constants.append(
            f"QUADRATURE_ORDER = {module.network.quadrature_order}  # Gauss–Legendre nodes per integral in an equation"
        )
    if module.network.architecture == "fourier":
        constants.append(
            f"FOURIER_SCALE = {module.network.fourier_scale!r}  # standard deviation of the fixed Fourier matrix B"
        )
    return "\n".join(constants) + "\n"


def _init_params(module: _Module) -> str:
    return (
        "def init_params(key):\n"
        '    """Network weights of every field, and the initial unknowns."""\n'
        "    keys = jax.random.split(key, len(LAYERS))\n"
        f"    params = {{name: {module.arch.init} for k, (name, sizes) in zip(keys, LAYERS.items())}}\n"
        '    params["unknowns"] = {name: jnp.asarray(value, dtype=float) for name, value in UNKNOWNS.items()}\n'
        "    return params\n"
    )


def _built_in_functions(module: _Module) -> list[str]:
    """``boundary_u`` (g) and ``distance_u`` (φ) of each field with conditions built in: u = g + φ·N."""
    program, printer = module.program, module.printer
    out = []
    for name, built in module.constraints.items():
        if built.lift is None:
            continue
        args = ", ".join(printer.namer.var(a) for a in program.field(name).args)
        like = printer.namer.var(program.field(name).args[0])
        conditions = ", ".join(f"`{t.label}`" for t in built.imposed)
        for kind, expr, doc in (
            ("boundary", built.lift, f"g: meets {conditions} exactly, extended inside as written."),
            ("distance", built.distance, "φ: zero where those conditions hold, so g + φ·N meets them exactly."),
        ):
            body = printer(expr)
            if not any(isinstance(n, ir.Var) for n in ir.walk(expr)):
                body = f"jnp.full_like({like}, {body})"
            out.append(
                f"def {printer.namer.field_function(kind, name)}({args}):\n"
                f"    {_docstring(doc, '    ')}\n    return {body}\n"
            )
    return out


def _fields_function(module: _Module) -> str:
    """``fields(params)``: each field as its network, scaled to [-1, 1], with conditions built in."""
    program, constraints, arch = module.program, module.constraints, module.arch
    field_lines = [
        "def fields(params):",
        f'    """Each field as {arch.words} on its coordinates (scaled inside to [-1, 1]){_built_in(constraints)}"""',
        "    return {",
    ]
    for f in program.fields:
        built = constraints.get(f.name)
        periodic = {a: (lo, hi) for a, lo, hi in built.periodic} if built else {}
        centres, halves = [], []
        for a in f.args:
            v = next(v for v in program.variables if v.name == a)
            centres += ["0", "0"] if a in periodic else [_number((v.lo + v.hi) / 2)]
            halves += ["1", "1"] if a in periodic else [_number((v.hi - v.lo) / 2)]
        network, output = module.networks.get(f.name, (f.name, 0))
        where = f", output={output}" if network != f.name else ""
        net = f'{arch.network}(params["{network}"], centre={_tuple(centres)}, half_width={_tuple(halves)}{where})'
        if periodic:
            embedded = _tuple(
                _tuple([str(f.args.index(a)), _number(lo), _number(hi)]) for a, (lo, hi) in periodic.items()
            )
            net = f"PeriodicInputs({net}, {embedded})"
        if built is not None and built.lift is not None:
            boundary, distance = (module.namer.field_function(kind, f.name) for kind in ("boundary", "distance"))
            if len(net) > 60:  # one argument per line
                net = f"HardDirichlet(\n            {net},\n            {boundary},\n            {distance},\n        )"
            else:
                net = f"HardDirichlet({net}, {boundary}, {distance})"
        field_lines.append(f'        "{f.name}": {net},')
    field_lines.append("    }\n")
    return "\n".join(field_lines)


def _term_functions(module: _Module) -> list[str]:
    """One function per term (its residual or integrand), then one per group of terms sharing derivatives,
    then the point weights (``weight 1 - 20*abs(x)``) and ``POINT_WEIGHTS``, which names them."""
    program, schedule, printer = module.program, module.schedule, module.printer
    weighted = [t for t in program.terms if t.point_weight is not None]
    out = [_term_function(program, term, schedule, printer) + "\n" for term in program.terms] + [
        _shared_function(program, shared, schedule, printer) + "\n" for shared in schedule.shared
    ]
    if not weighted:
        return out
    coords = _coords(program, printer.namer)
    like = printer.namer.var(program.variables[0].name)
    for term in weighted:
        squared = "residual" if term.kind == "residual" else "integrand"
        out.append(
            f"def weight_{term.name}({coords}):\n"
            f'    """The weight of each point\'s {squared} in term {term.name}: {term.label}"""\n'
            f"    return {_body(term.point_weight, printer, like)}\n"
        )
    names = ", ".join(f'"{t.name}": weight_{t.name}' for t in weighted)
    out.append(f"POINT_WEIGHTS = {{{names}}}  # term → weight at (DOMAIN's) coordinates\n")
    return out


def _exact_solutions(module: _Module) -> list[str]:
    """``exact_u`` for each field with an exact solution, and ``EXACT``, which names them."""
    program, printer, namer = module.program, module.printer, module.namer
    out = []
    for name, expr in program.exact:
        args = [namer.var(a) for a in program.field(name).args]
        body = printer(expr)
        if not any(isinstance(n, ir.Var) for n in ir.walk(expr)):
            body = f"jnp.full_like({args[0]}, {body})"
        out.append(f"def {namer.field_function('exact', name)}({', '.join(args)}):\n    return {body}\n")
    out.append("EXACT = {" + ", ".join(f'"{n}": {namer.field_function("exact", n)}' for n, _ in program.exact) + "}\n")
    return out


def _losses_function(module: _Module) -> str:
    """``losses(params, points)``: each term's loss from its residuals, as its kind says."""
    program, randomized = module.program, module.randomized
    kinds = {t.kind for t in program.terms}
    doc = "Each term's loss: the mean square of its residuals; an energy's, its integral (the measure of its region"
    doc += " times the mean integrand"
    doc += ", each point weighted by its quadrature weight: quadrature_weights)" if "energy" in kinds else ")"
    doc += "; an integral constraint's, the square of its integral minus its value." if "integral" in kinds else "."
    loss_lines = [
        f"def losses(params, points{', key=None' if randomized else ''}):",
        '    """' + textwrap.fill(doc, 89, subsequent_indent="    ") + '"""',
        f"    r = residuals(params, points{', key' if randomized else ''})",
        "    return {",
    ]
    count = len(program.variables)
    for term in program.terms:
        values = f'r["{term.name}"]'
        w = None if term.point_weight is None else f'weight_{term.name}(*points["{term.name}"][:{count}])'
        loss = _TERM_KINDS[term.kind].loss(term, values, w, _columns(program, term))
        loss_lines.append(f'        "{term.name}": {loss},')
    loss_lines.append("    }\n")
    return "\n".join(loss_lines)


def _loss_function(module: _Module) -> str:
    key = ", key=None" if module.randomized else ""
    return (
        f"def loss(params, points{key}):\n"
        '    """The weighted sum of the terms: what training minimises."""\n'
        f"    terms = losses(params, points{', key' if module.randomized else ''})\n"
        "    return sum(WEIGHTS[name] * value for name, value in terms.items())\n"
    )


def _randomized_constant(module: _Module) -> str:
    names = "".join(f'"{name}", ' for name in module.randomized)
    return f"RANDOMIZED = ({names.rstrip()})  # terms whose loss takes a random key: see losses\n"


def _main(module: _Module) -> str:
    """``main()``: train with plain Adam and report the errors, when the module is run as a script."""
    program = module.program
    # not space for sample_region: the parameters, and a time it would not know by its name `t`
    parts = ["PARAMETERS"] if program.parameters else []
    if program.time not in (None, NAME):
        parts.append(f'("{program.time}",)')
    parameters = f", parameters={' + '.join(parts)}" if parts else ""
    # a region restricted by a predicate (`where x < 0.5`) needs sample_points; the others sample_region alone
    sampler = "sample_points" if any(t.region.kind == "where" for t in program.terms) else "sample_region"
    sampled = (
        f"tuple(jnp.asarray(c) for c in {sampler}(seed + i, region, n, DOMAIN, SHAPE, name in NORMALS{parameters}))"
    )
    return (
        "def main(steps=2000, n=1000, seed=0, saved=None):\n"
        '    """Train with plain Adam on quasi-random points and report the errors; with ``saved``\n'
        '    (a training run\'s params.npz), report the errors of those parameters instead."""\n'
        "    points = {\n"
        + (
            "        name: load_observations(region[1], DATA_COLUMNS[name])\n"
            '        if region[0] == "data"\n'
            f"        else {sampled}\n"
            if module.data_terms
            else f"        name: {sampled}\n"
        )
        + "        for i, (name, region) in enumerate(REGIONS.items(), start=1)\n"
        "    }\n"
        "    params = load_params(saved) if saved else "
        "adam(loss, init_params(jax.random.PRNGKey(seed)), points, steps)\n"
        '    test = [jnp.asarray(c) for c in sample_region(seed, ("interior",), 4 * n, DOMAIN, SHAPE)]\n'
        "    net = fields(params)\n"
        "    for name, exact in EXACT.items():\n"
        + (
            "        inside = in_home(HOMES.get(name, ()), dict(zip(DOMAIN, test)))  # its error where it lives\n"
            "        args = [test[list(DOMAIN).index(a)][inside] for a in FIELDS[name]]\n"
            if any(f.region for f in program.fields)
            else "        args = [test[list(DOMAIN).index(a)] for a in FIELDS[name]]\n"
        )
        + "        error = jnp.linalg.norm(net[name](*args) - exact(*args)) / jnp.linalg.norm(exact(*args))\n"
        '        print(f"relative L2 error of {name}: {float(error):.3e}")\n'
        '    for name, value in params["unknowns"].items():\n'
        '        print(f"{name} = {float(value):.6g}")\n'
        "    return params\n\n\n"
        'if __name__ == "__main__":  # python THIS_FILE.py [params.npz]\n'
        "    import sys\n\n"
        "    main(saved=sys.argv[1] if len(sys.argv) > 1 else None)\n"
    )
