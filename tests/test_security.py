"""User text is data, never code.

LANGUAGE.md: "A user string is never handed to eval, exec or sympy.sympify: the
grammar alone decides what it means".  Injection attempts must be rejected with a
PinnError and have no side effect; the package source is checked for the calls that
could run user text; and user names must not capture the generated code's own names.
"""

import ast
import pathlib

import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import symbolic_pinn
from symbolic_pinn import PinnError

PACKAGE = pathlib.Path(symbolic_pinn.__file__).resolve().parent
H1 = "x in [0, 1]\nfield u(x)\n"


def injections(marker: pathlib.Path) -> list[tuple[str, str]]:
    touch = f'__import__("os").system("touch {marker}")'
    return [
        ("__import__ in an equation", H1 + f"Dxx(u) = {touch}\n"),
        ("__import__ as a whole line", H1 + "Dxx(u) = 1\n" + touch + "\n"),
        ("__import__ in a const", H1 + f"const c = {touch}\nDxx(u) = c\n"),
        ("__import__ in a let", H1 + f"let f = {touch}\nDxx(u) = f\n"),
        ("__import__ in a weight", H1 + f"Dxx(u) = 1 weight {touch}\n"),
        ("__import__ in an exact solution", H1 + f"Dxx(u) = 1\nexact u = {touch}\n"),
        ("__import__ in an interval", f"x in [0, {touch}]\nfield u(x)\nDxx(u) = 1\n"),
        ("__import__ in a face", H1 + f"Dxx(u) = 1\nu = 0 at x = {touch}\n"),
        ("eval", H1 + f'Dxx(u) = eval("{touch}")\n'),
        ("eval without quotes", H1 + "Dxx(u) = eval(x)\n"),
        ("exec", H1 + f"Dxx(u) = exec('{touch}')\n"),
        ("exec without quotes", H1 + "Dxx(u) = exec(x)\n"),
        ("compile", H1 + "Dxx(u) = compile(x)\n"),
        ("getattr", H1 + "Dxx(u) = getattr(u, x)\n"),
        ("attribute", H1 + "Dxx(u) = u.__class__\n"),
        ("dunder chain", H1 + "Dxx(u) = ().__class__.__bases__[0].__subclasses__()\n"),
        ("open", H1 + 'Dxx(u) = open("/etc/passwd")\n'),
        ("lambda", H1 + "Dxx(u) = lambda: 0\n"),
        ("lambda in a let", H1 + "let f = lambda x: x\nDxx(u) = f(1)\n"),
        ("import statement", H1 + "import os\nDxx(u) = 1\n"),
        ("semicolon then code", H1 + f"Dxx(u) = 1; {touch}\n"),
        ("string literal", H1 + 'Dxx(u) = "1"\n'),
        ("f-string", H1 + "Dxx(u) = f'{1}'\n"),
        ("SymPy's S", H1 + "Dxx(u) = S(1)\n"),
        ("SymPy's sympify", H1 + "Dxx(u) = sympify(x)\n"),
        ("SymPy's Symbol", H1 + "Dxx(u) = Symbol(x)\n"),
        ("SymPy's Integer", H1 + "Dxx(u) = Integer(1)\n"),
        ("SymPy's oo", H1 + "Dxx(u) = oo\n"),
        ("SymPy's I", H1 + "Dxx(u) = I*u\n"),
        ("Python's True", H1 + "Dxx(u) = True\n"),
        ("Python's None", H1 + "Dxx(u) = None\n"),
        ("jnp", H1 + "Dxx(u) = jnp.sin(x)\n"),
        ("jax", H1 + "Dxx(u) = jax\n"),
        ("builtins", H1 + "Dxx(u) = __builtins__\n"),
        ("underscore variable", "_x in [0, 1]\nfield u(_x)\nDxx(u) = 1\n"),
        ("dunder field", "x in [0, 1]\nfield __class__(x)\nDxx(__class__) = 1\n"),
        ("underscore field", "x in [0, 1]\nfield _u(x)\nDxx(_u) = 1\n"),
        ("dunder const", H1 + "const __import__ = 1\nDxx(u) = 1\n"),
        ("underscore let", H1 + "let _f = x\nDxx(u) = 1\n"),
        ("underscore unknown", H1 + "unknown _k = 1\nDxx(u) = _k\n"),
        ("internal method name", H1 + "Dxx(u) = _expr_Name(x)\n"),
        ("data path traversal", H1 + 'Dxx(u) = 1\ndata "../../../../etc/passwd"\n'),
    ]


CASES = injections(pathlib.Path("/tmp/PWNED_x"))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[name for name, _ in CASES])
def test_injection_is_rejected_without_side_effect(index, tmp_path):
    marker = tmp_path / "PWNED_x"
    _, text = injections(marker)[index]
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.compile(text)
    assert caught.value.span is not None
    with pytest.raises(PinnError):
        symbolic_pinn.parse(text)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (H1 + "Dxx(u) = eval(x)\n", "unknown function 'eval'"),
        (H1 + "Dxx(u) = exec(x)\n", "unknown function 'exec'"),
        (H1 + "Dxx(u) = open(x)\n", "unknown function 'open'"),
        (H1 + "Dxx(u) = oo\n", "unknown name 'oo'"),
        (H1 + "Dxx(u) = I*u\n", "unknown name 'I'"),
        (H1 + "Dxx(u) = jax\n", "unknown name 'jax'"),
        (H1 + "Dxx(u) = _expr_Name(x)\n", "unknown function '_expr_Name'"),
        # `_call_<name>` methods of the checker must not be reachable from user text.
        (H1 + "subscripted(u) = 0\n", "unknown function 'subscripted'"),
        (H1 + "user(u) = 0\n", "unknown function 'user'"),
    ],
)
def test_user_names_do_not_reach_internal_functions(text, message):
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.compile(text)
    if message is not None:
        assert caught.value.message == message


# ---- the generated module must not carry user text as code -----------------------------


def test_a_comment_cannot_break_out_of_the_generated_docstring(tmp_path):
    marker = tmp_path / "PWNED_doc"
    text = H1 + f'# """; __import__("os").system("touch {marker}"); """\nDxx(u) = 1\n'
    try:
        problem = symbolic_pinn.compile(text)
    except PinnError:
        problem = None
    assert not marker.exists(), "a comment in the problem ran as code when the generated module was loaded"
    if problem is not None:
        assert f"touch {marker}" not in _code_without_strings(problem.source)


def test_a_file_name_cannot_break_out_of_the_generated_docstring(tmp_path):
    marker = tmp_path / "PWNED_name"
    spec = symbolic_pinn.parse(H1 + "Dxx(u) = 1\n", filename=f'p"""+__import__("os").system("touch {marker}")+""".pinn')
    try:
        symbolic_pinn.compile(spec)
    except PinnError:
        pass
    assert not marker.exists(), "the file name ran as code when the generated module was loaded"


@pytest.mark.parametrize(
    "text",
    [
        H1 + "# a Windows path C:\\new\\table\\x41\n" + "Dxx(u) = 1\n",
        H1 + "# \\N{bad} and \\u12 and \\x\n" + "Dxx(u) = 1\n",
        H1 + "# ends with a backslash \\\n" + "Dxx(u) = 1\n",
        H1 + "# quotes ' \" ''' \"\"\"\n" + "Dxx(u) = 1\n",
        H1 + "Dxx(u) = 1 \\\n + x\n",
        H1 + "# a NUL \x00 byte\n" + "Dxx(u) = 1\n",
        H1 + "# backslash space \\ here\n" + "Dxx(u) = 1\n",
    ],
    ids=["Windows path", "bad escapes", "trailing backslash", "quotes", "line continuation", "NUL", "backslash space"],
)
def test_any_comment_or_layout_gives_loadable_code(text):
    """What the user writes around the maths cannot make the generated module invalid."""
    problem = symbolic_pinn.compile(text)
    ast.parse(problem.source)


def _code_without_strings(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.unparse(tree)


# ---- user names never capture the generated code's own names ---------------------------


def _losses_with(problem, fields: dict, unknowns: dict, points) -> dict:
    """The generated ``losses`` with the networks replaced by closed-form functions."""
    module = problem.module
    original = module.fields
    module.fields = lambda params: fields
    try:
        return module.losses({"unknowns": unknowns}, points)
    finally:
        module.fields = original


XS = jnp.linspace(0.0, 1.0, 9)


def test_a_field_named_like_a_derivative():
    problem = symbolic_pinn.compile("x in [0, 1]\nfield u(x), u_x(x)\nDx(u) - u_x = 0\n")
    losses = _losses_with(problem, {"u": lambda x: x**2, "u_x": lambda x: 0 * x}, {}, {"pde": (XS,)})
    np.testing.assert_allclose(losses["pde"], np.mean((2 * np.asarray(XS)) ** 2), rtol=1e-5)


def test_an_unknown_named_like_a_derivative():
    problem = symbolic_pinn.compile(H1 + "unknown u_xx = 3\nDxx(u) = u_xx*u\n")
    losses = _losses_with(problem, {"u": lambda x: x**3}, {"u_xx": jnp.asarray(3.0)}, {"pde": (XS,)})
    xs = np.asarray(XS)
    np.testing.assert_allclose(losses["pde"], np.mean((6 * xs - 3 * xs**3) ** 2), rtol=1e-5)


def test_a_variable_named_like_a_derivative():
    problem = symbolic_pinn.compile("x in [0, 1]; u_x in [0, 1]\nfield u(x, u_x)\nD(u, x) = u_x\n")
    c = jnp.full_like(XS, 0.25)
    losses = _losses_with(problem, {"u": lambda x, y: x**2 + 0 * y}, {}, {"pde": (XS, c)})
    np.testing.assert_allclose(losses["pde"], np.mean((2 * np.asarray(XS) - 0.25) ** 2), rtol=1e-5)


@pytest.mark.parametrize(
    "name", ["u_fn", "u_x_fn", "derivative", "value_and_derivative", "jnp", "jax", "params", "points"]
)
def test_an_unknown_named_like_generated_code_compiles_and_is_right(name):
    problem = symbolic_pinn.compile(H1 + f"unknown {name} = 2\nDxx(u) = {name}\n")
    losses = _losses_with(problem, {"u": lambda x: x**3}, {name: jnp.asarray(2.0)}, {"pde": (XS,)})
    np.testing.assert_allclose(losses["pde"], np.mean((6 * np.asarray(XS) - 2) ** 2), rtol=1e-5)


@pytest.mark.parametrize(
    "name", ["lambda", "class", "None", "import", "def", "print", "sum", "float", "fields", "loss", "main"]
)
def test_python_words_as_names(name):
    problem = symbolic_pinn.compile(f"x in [0, 1]\nfield {name}(x)\nDxx({name}) = 1\n")
    ast.parse(problem.source)
    losses = _losses_with(problem, {name: lambda x: x**2}, {}, {"pde": (XS,)})
    np.testing.assert_allclose(losses["pde"], 1.0, rtol=1e-5)


# ---- the package source: what could run user text --------------------------------------


def _calls(name: str) -> dict[str, list[ast.Call]]:
    """Calls of ``name(...)`` or ``something.name(...)`` in each module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):  # every folder of the package
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == name)
                or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
            )
        ]
        if calls:
            found[path.relative_to(PACKAGE).as_posix()] = calls
    return found


def test_the_package_never_calls_eval():
    assert _calls("eval") == {}


def test_exec_is_only_in_load_on_generated_source():
    calls = _calls("exec")
    assert set(calls) == {"_compiler/loader.py"}
    (call,) = calls["_compiler/loader.py"]
    # exec(compile(source, filename, "exec"), ...): the module text that emit produced
    assert isinstance(call.args[0], ast.Call) and getattr(call.args[0].func, "id", None) == "compile"


def test_the_builtin_compile_is_only_used_by_load():
    modes = {
        module: [c for c in calls if len(c.args) == 3 and isinstance(c.args[2], ast.Constant)]
        for module, calls in _calls("compile").items()
    }
    assert {m for m, calls in modes.items() if calls} == {"_compiler/loader.py"}


def _is_numpy(call: ast.Call) -> bool:
    """``np.load(...)``, ``tomllib.load(...)``, ``_checkpoint.load(...)``: another module's
    ``load`` reading data (observations, settings, a checkpoint), not our module loader."""
    return isinstance(call.func, ast.Attribute) and getattr(call.func.value, "id", None) not in ("_load", "loader")


def _defines_load(module: str) -> bool:
    """Whether the module defines a ``load`` of its own (the checkpoint's, the run directory's)
    and imports none: its bare ``load(...)`` calls are then its own."""
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    defined = any(isinstance(n, ast.FunctionDef) and n.name == "load" for n in tree.body)
    imported = any(isinstance(n, ast.ImportFrom) and any(a.name == "load" for a in n.names) for n in ast.walk(tree))
    return defined and not imported


def test_load_only_receives_emitted_source():
    calls = _calls("load")
    callers = {
        m: [c for c in found if not _is_numpy(c)]
        for m, found in calls.items()
        if m != "_compiler/loader.py" and not _defines_load(m)
    }
    # compiling, and the quadrature check (which emits a probe module at two orders)
    loaders = {"_compiler/pipeline.py", "_compiler/quadrature.py"}
    assert {m for m, calls in callers.items() if calls} == loaders
    for module in loaders:
        source = (PACKAGE / module).read_text(encoding="utf-8")
        assert "source = emit(" in source


@pytest.mark.parametrize(
    "name", ["sympify", "parse_expr", "S", "lambdify", "__import__", "import_module", "literal_eval"]
)
def test_no_string_parsing_helpers_except_guarded_sympify(name):
    calls = _calls(name)
    if name == "import_module":  # the package's lazy exports: a fixed table of our own modules, no user text
        (call,) = calls.pop("__init__.py")
        assert ast.unparse(call.args[0]) == "f'.{module}'"
        exports = ast.literal_eval(ast.unparse(_assigned(PACKAGE / "__init__.py", "_EXPORTS")))
        assert all((PACKAGE / f"{module.replace('.', '/')}.py").is_file() for module in exports.values())
        # the runtime's lazy attributes: a module of its own folder, named by its definitions table
        (call,) = calls.pop("_runtime/__init__.py")
        assert ast.unparse(call.args[0]) == "f'{__name__}.{definition.module}'"
    if name == "lambdify":  # a table of an expression: SymPy prints a built expression as NumPy calls
        (call,) = calls.pop("_frontend/table.py")
        assert any(k.arg == "dummify" and getattr(k.value, "value", None) is True for k in call.keywords)
        source = (PACKAGE / "_frontend/table.py").read_text(encoding="utf-8")
        guard = source.index("if not isinstance(expression, sympy.Basic):")
        assert guard < source.index("sympy.lambdify(")  # a string is refused before it could be parsed
    if name != "sympify":
        assert calls == {}
        return
    assert set(calls) == {"_frontend/sympy_input.py"}
    tree = ast.parse((PACKAGE / "_frontend/sympy_input.py").read_text(encoding="utf-8"))
    for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        body = list(ast.walk(function))
        sympify = [n for n in body if n in calls["_frontend/sympy_input.py"]]
        if not sympify:
            continue
        # the function refuses str and bytes before it calls sympify(..., strict=True)
        guards = [
            n
            for n in body
            if isinstance(n, ast.Call)
            and getattr(n.func, "id", None) == "isinstance"
            and "str" in ast.unparse(n.args[1])
            and "bytes" in ast.unparse(n.args[1])
        ]
        assert guards and all(g.lineno < s.lineno for g in guards for s in sympify)
        assert all(
            any(k.arg == "strict" and getattr(k.value, "value", None) is True for k in s.keywords) for s in sympify
        )


def _assigned(path, name: str) -> ast.expr:
    """The value assigned to module-level ``name`` in the file ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (value,) = [n.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == name]
    return value


def test_no_module_imports_sympy_parsing():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "sympy.parsing" not in text and "parse_expr" not in text, path.name


# ---- from_sympy refuses text ------------------------------------------------------------

x, y = sympy.symbols("x y")
u = sympy.Function("u")(x, y)


@pytest.mark.parametrize(
    "build",
    [
        lambda: symbolic_pinn.from_sympy(variables={x: (0, 1), y: (0, 1)}, fields=[u], terms=["u - 1"]),
        lambda: symbolic_pinn.from_sympy(
            variables={x: (0, 1), y: (0, 1)}, fields=[u], terms=[symbolic_pinn.Equation("u - 1")]
        ),
        lambda: symbolic_pinn.from_sympy(
            variables={x: (0, 1), y: (0, 1)}, fields=[u], terms=[symbolic_pinn.Equation('__import__("os").getcwd()')]
        ),
        lambda: symbolic_pinn.from_sympy(
            variables={x: (0, 1), y: (0, 1)}, fields=[u], terms=[symbolic_pinn.Minimize("u**2")]
        ),
        lambda: symbolic_pinn.from_sympy(
            variables={x: (0, 1), y: (0, 1)}, fields=[u], terms=[symbolic_pinn.Equation(b"u - 1")]
        ),
        lambda: symbolic_pinn.from_sympy(
            variables={x: (0, 1), y: (0, 1)}, fields=[u], terms=[sympy.Eq(u, 0)], exact={u: "sin(x)"}
        ),
        lambda: symbolic_pinn.from_sympy(variables={x: (0, 1), y: (0, 1)}, fields=["u(x, y)"], terms=[sympy.Eq(u, 0)]),
        lambda: symbolic_pinn.from_sympy(variables={"x": (0, 1)}, fields=[u], terms=[sympy.Eq(u, 0)]),
    ],
    ids=["term", "Equation", "Equation with code", "Minimize", "bytes", "exact", "field", "variable"],
)
def test_from_sympy_refuses_strings(build):
    with pytest.raises(PinnError):
        build()
