"""How a compiled problem and a run show themselves in Jupyter: Markdown with LaTeX.

A cell that ends with a compiled problem shows its equations (SymPy's LaTeX of each
term, where it holds), the exact solution, and the plan: which conditions are built
into the networks (``u = g + φ·N``), which stay in the loss with which weight, and the
finisher the default settings choose.  A run shows the same equations and the summary
table the trainer prints (``_training.metrics.summary_table``: each term's final loss,
the errors, the unknowns, the steps).  ``_repr_latex_`` gives the equations alone.

The classes of ``run.py`` take these as mixins; nothing here is imported unless shown.
"""

from __future__ import annotations

__all__ = ["ProblemDisplay", "RunDisplay", "equations_latex", "problem_markdown", "run_markdown"]

_WHERE = {"interior": r"\text{in } \Omega", "boundary": r"\text{on } \partial\Omega"}


def _latex(expr, spec) -> str:
    """SymPy's LaTeX of ``expr``, with each field written ``u`` rather than ``u(x, t)``."""
    from sympy.printing.latex import LatexPrinter

    fields = {field.func: field.args for field in spec.fields}

    class Printer(LatexPrinter):
        def _print_Function(self, e, exp=None):
            if fields.get(e.func) == e.args:  # a field at its own coordinates
                name = self._deal_with_super_sub(e.func.__name__)
                return name if exp is None else f"{name}^{{{exp}}}"
            return super()._print_Function(e, exp)

    return Printer().doprint(expr)


def _where(region) -> str:
    if region.kind == "face":
        import sympy

        return rf"\text{{at }} {sympy.latex(sympy.Symbol(region.variable))} = {region.value:g}"
    return _WHERE.get(region.kind) or r"\text{at } " + _text(region.describe())


def _anywhere(expr, spec) -> bool:
    """Whether ``expr`` has a field at its own coordinates (not only at points: ``p(1, 1.5)``, ``u(-1, t)``)."""
    import sympy

    own = {field.func: field.args for field in spec.fields}
    free = expr.replace(lambda e: isinstance(e, sympy.Subs), lambda e: sympy.S.Zero)
    return any(own.get(f.func) == f.args for f in free.atoms(sympy.core.function.AppliedUndef))


def _text(words: str) -> str:
    """Plain words inside LaTeX: ``\\text{...}`` with its special characters escaped."""
    escaped = "".join("\\" + c if c in "#$%&_{}" else c for c in words)
    return r"\text{" + escaped + "}"


def _rows(spec) -> list[str]:
    """One line of an ``aligned`` block per term: its equation, where it holds."""
    rows = []
    for term in spec.terms:
        expr = _latex(term.expr, spec)
        if term.kind == "energy":
            equation = rf"\min\ & \int {expr}"
        elif term.kind == "integral":
            equation = rf"\int {expr} &= {term.target:g}"
        else:
            equation = rf"{expr} &= 0"
        where = _where(term.region) if term.region.kind != "interior" or _anywhere(term.expr, spec) else ""
        rows.append(rf"{equation} && {where}")
    return rows


def equations_latex(spec) -> str:
    """The problem's terms, and its exact solution, as one LaTeX ``aligned`` block in ``$$``."""
    rows = _rows(spec)
    names = {str(f.func.__name__): f for f in spec.fields}
    for name, expr in spec.exact:
        head = _latex(names[name], spec) if name in names else name
        rows.append(rf"{head} &= {_latex(expr, spec)} && \text{{exact}}")
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


def _cell(text: str) -> str:
    """Text in a Markdown table cell, as code."""
    return "`" + " ".join(str(text).split()).replace("|", "\\|").replace("`", "'") + "`"


def _plan(problem) -> list[str]:
    """The Markdown lines of the plan: each term's fate, the networks, the finisher."""
    from .._config import BFGS_MAX_PARAMS, TrainConfig
    from .._training.train import finisher_for, parameter_count

    built = {t.label: (name, t.name) for name, e in problem.exact.items() for t in e.imposed + e.pairs}
    kept = {t.label: t for t in problem.ir.terms}
    lines = ["| term | as written | where | in training |", "|---|---|---|---|"]
    for term in problem.spec.terms:
        if term.label in built:
            fate, name = f"built into {built[term.label][0]}", built[term.label][1]
        elif term.label in kept:
            fate, name = f"loss, weight {kept[term.label].weight:g}", kept[term.label].name
        else:
            fate, name = "loss", ""
        where = {"interior": "Ω", "boundary": "∂Ω"}.get(term.region.kind, term.region.describe())
        lines.append(f"| {name} | {_cell(term.label)} | {where} | {fate} |")
    from .._compiler.hard import format_exact

    networks = format_exact(problem.exact, problem.ir)
    if networks:
        lines += ["", "Networks (`--emit plan`):", "", "```", networks.rstrip("\n"), "```"]
    config = TrainConfig()
    finisher, count = finisher_for(problem, config), parameter_count(problem)
    why = f"{count:,} parameters, {'≤' if count <= BFGS_MAX_PARAMS else '>'} {BFGS_MAX_PARAMS:,}"
    lines += [
        "",
        f"Training with the default settings: Adam ({config.adam_steps:,} steps), then {finisher} "
        f"(at most {config.bfgs_steps:,} steps; {why}).",
    ]
    return lines


def _heading(problem) -> str:
    spec = problem.spec
    if spec.filename:
        return f"**Problem** `{spec.filename}`"
    return "**Problem** (from SymPy)" if spec.source is None else "**Problem**"


def problem_markdown(problem) -> str:
    """A compiled problem in Markdown: its equations in LaTeX, then its plan."""
    return "\n".join([_heading(problem), "", equations_latex(problem.spec), "", *_plan(problem)]) + "\n"


def run_markdown(run) -> str:
    """A run in Markdown: where it is, its equations, and the summary of its result."""
    from .._training.metrics import summary_table

    where = f"**Run** in `{run.run_dir}`" if run.run_dir is not None else "**Run** (no run directory)"
    lines = [where, "", equations_latex(run.problem.spec), ""]
    try:
        table = summary_table(run.metrics)
    except (KeyError, TypeError, AttributeError) as err:  # metrics.json of an older version, or edited
        return "\n".join(lines + [f"(no summary: metrics lack {err})"]) + "\n"
    lines += ["| quantity | value |", "|---|---:|"]
    quantities, values = (list(column.cells) for column in table.columns)
    lines += [f"| {' '.join(str(q).split())} | {_cell(v)} |" for q, v in zip(quantities, values)]
    if run.metrics.get("stopped"):
        lines += ["", f"Stopped early: {run.metrics['stopped']}"]
    return "\n".join(lines) + "\n"


class ProblemDisplay:
    """Jupyter display of a compiled problem (a mixin of ``CompiledProblem``)."""

    def _repr_markdown_(self) -> str:
        return problem_markdown(self)

    def _repr_latex_(self) -> str:
        return equations_latex(self.spec)


class RunDisplay:
    """Jupyter display of a run (a mixin of ``Run``)."""

    def _repr_markdown_(self) -> str:
        return run_markdown(self)

    def _repr_latex_(self) -> str:
        return equations_latex(self.problem.spec)
