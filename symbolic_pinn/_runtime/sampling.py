"""Collocation points: the unit cube (Sobol, Halton, uniform) and every region of a domain."""

from .geometry import _curve_points


def unit_cube(m, k, rng, sampler="sobol"):
    """``m`` points of the unit cube [0, 1]^k, drawn with the generator ``rng``.

    ``sampler`` is "sobol" or "halton" (scrambled quasi-random points, which cover the
    cube more evenly than random ones), "uniform" (independent uniform random points) or
    "lattice" (a fixed rank-1 lattice: the midpoints (i + 1/2)/m along the first axis, the
    Kronecker sequence of the generalised golden ratio along the others, Roberts' R_d; no
    randomness, and no SciPy, whose import costs seconds where a problem is only checked).
    """
    import numpy as np

    if k == 0:
        return np.zeros((m, 0))
    if sampler == "uniform":
        return rng.random((m, k))
    if sampler == "lattice":
        phi = 2.0
        for _ in range(64):  # the root of φ^(k+1) = φ + 1 by fixed-point iteration
            phi = (1 + phi) ** (1 / (k + 1))
        steps = np.concatenate([[1.0], phi ** -np.arange(1.0, k)])
        return ((np.arange(m)[:, None] + 0.5) * (steps / np.array([m] + [1] * (k - 1)))) % 1.0
    from scipy.stats import qmc

    if sampler == "halton":
        return qmc.Halton(k, scramble=True, seed=rng).random(m)
    if sampler == "sobol":  # a power of two keeps Sobol points balanced; the first m of them
        return qmc.Sobol(k, scramble=True, seed=rng).random_base2(max(0, int(np.ceil(np.log2(max(m, 1))))))[:m]
    raise ValueError(f"unknown sampler {sampler!r}: choose sobol, halton or uniform")


def sample_region(seed, region, n, domain, shape=None, normals=False, sampler="sobol", parameters=()):
    """``n`` points of a region of the domain, as a tuple of coordinate arrays.

    ``domain`` maps each variable to its interval; ``shape``, if not None, is
    ``(variables, Shape)``: those variables range together over the shape (see
    ``geometry``), the others over their intervals.  ``region`` is
    ``("interior",)``, ``("boundary",)``, ``("face", variable, value)``,
    ``("faces", ((variable, value), ...))``, some end faces of the spatial intervals (the
    rest of the boundary), ``("part", part)``, a part of the shape's boundary
    (``geometry.Shape.in_part``), ``("within", region, ((variable, lo, hi), ...))``, the
    points of a region inside a box of some variables (a `region` of the problem), or
    ``("shaped", region, (variables, Shape))``, a region of the domain that the shape (a
    `region` given by a shape, already cut to Ω) makes in place of Ω's own; a region
    restricted by a predicate is :func:`sample_points`'s.  The boundary of a time-dependent
    problem is the spatial boundary at every time: a variable ``t`` has no faces there
    (initial conditions are faces of their own), and boundary points are spread over the
    parts of the boundary by area.  With ``normals=True`` the outward unit normal follows,
    one array per spatial variable.

    Points are scrambled Sobol points unless ``sampler`` says "halton" or "uniform"
    (see :func:`unit_cube`); the same seed gives the same points.  The variables named in
    ``parameters`` (``param k in [1, 3]``) are sampled like ``t``: not coordinates of space.
    """
    import numpy as np

    if region[0] == "within":
        return _within(seed, region[1], region[2], n, domain, shape, normals, sampler, parameters)
    if region[0] == "shaped":  # a region given by a shape, cut to Ω: the domain that shape makes
        return sample_region(seed, region[1], n, domain, region[2], normals, sampler, parameters)
    rng = np.random.default_rng(seed)

    def unit(m, k):  # m points of the unit cube [0, 1]^k
        return unit_cube(m, k, rng, sampler)

    names = list(domain)
    parameters = (*parameters, *getattr(shape[1], "parameters", ())) if shape else parameters  # a family's too
    spatial = [v for v in names if v != "t" and v not in parameters]
    lo = np.array([domain[v][0] for v in names], float)
    hi = np.array([domain[v][1] for v in names], float)
    shaped = [names.index(v) for v in shape[0]] if shape else []
    boxed = [i for i in range(len(names)) if i not in shaped]

    def fill(points, columns, count):
        points[:, columns] = lo[columns] + (hi - lo)[columns] * unit(count, len(columns))

    def inside(count, axis=None, value=None):
        """Points of the domain, or of its plane ``names[axis] = value``."""
        points = np.empty((count, len(names)))
        fill(points, [i for i in boxed if i != axis], count)
        if shape:
            points[:, shaped] = shape[1].interior(count, unit)
        if axis is not None:
            points[:, axis] = value
        return points

    def along(count, axis, sign):
        """The outward normal ±e of an end face of the spatial variable ``names[axis]``."""
        normal = np.zeros((count, len(spatial)))
        normal[:, spatial.index(names[axis])] = sign
        return normal

    normal = None  # no normal inside the domain, nor on a face that is not an end
    if region[0] == "interior":
        points = inside(n)
    elif region[0] == "face":
        axis = names.index(region[1])
        points = inside(n, axis, region[2])
        if names[axis] in spatial and region[2] in (lo[axis], hi[axis]):
            normal = along(n, axis, 1.0 if region[2] == hi[axis] else -1.0)
    elif region[0] == "curve":  # a curve inside Ω (a segment, a circle), at every value of the other variables
        _, plane, curve = region
        axes = [names.index(v) for v in plane]
        points = np.empty((n, len(names)))
        fill(points, [i for i in range(len(names)) if i not in axes], n)
        on, outward = _curve_points(curve, unit(n, 1)[:, 0])  # uniform in the parameter: in arc length
        points[:, axes] = on
        normal = np.zeros((n, len(spatial)))
        normal[:, [spatial.index(v) for v in plane]] = outward
    elif region[0] == "part":  # a part of a shape's boundary, at every value of the other variables
        points = np.empty((n, len(names)))
        fill(points, boxed, n)
        on, outward = shape[1].part_boundary(n, unit, rng, region[1])
        points[:, shaped] = on
        normal = np.zeros((n, len(spatial)))
        normal[:, [spatial.index(names[i]) for i in shaped if names[i] in spatial]] = outward
    else:  # the boundary: the shape's, then each face of a spatial interval (or the faces named)
        chosen = None if region[0] == "boundary" else {(v, float(value)) for v, value in region[1]}
        pieces = []  # (area, sampler of count points → (points, normals))
        rest = [i for i in boxed if names[i] in spatial]
        widths = hi - lo

        def curved(count):
            points = np.empty((count, len(names)))
            fill(points, boxed, count)
            on, outward = shape[1].boundary(count, unit, rng)
            points[:, shaped] = on
            normal = np.zeros((count, len(spatial)))
            normal[:, [spatial.index(names[i]) for i in shaped if names[i] in spatial]] = outward
            return points, normal

        def flat(axis, value, sign):
            return lambda count: (inside(count, axis, value), along(count, axis, sign))

        base = shape[1].measure() if shape else 1.0
        if shape and chosen is None:
            pieces.append((shape[1].measure(boundary=True) * np.prod(widths[rest]), curved))
        for axis in rest:
            area = base * np.prod(widths[[i for i in rest if i != axis]])
            for value, sign in ((lo[axis], -1.0), (hi[axis], 1.0)):
                if chosen is None or (names[axis], float(value)) in chosen:
                    pieces.append((area, flat(axis, value, sign)))
        areas = np.array([a for a, _ in pieces])
        counts = np.maximum(1, np.round(n * areas / areas.sum())).astype(int)
        if len(spatial) == 1 and not shape and len(names) == 1:
            counts[:] = 1  # the ends of an interval
        parts = [sampler(int(c)) for (_, sampler), c in zip(pieces, counts)]
        points = np.concatenate([p for p, _ in parts])
        normal = np.concatenate([q for _, q in parts])
    columns = [points[:, j] for j in range(len(names))]
    if normals:
        normal = np.zeros((len(points), len(spatial))) if normal is None else normal
        columns += [normal[:, j] for j in range(len(spatial))]
    return tuple(columns)


def sample_points(seed, region, n, domain, shape=None, normals=False, sampler="sobol", parameters=()):
    """``n`` points of any region, as :func:`sample_region` takes them, or of ``("where", region,
    predicate)``: the points of ``region`` that satisfy the predicate (``u = 1 at y = 1 where
    x < 0.5``), by rejection.  Points of the whole region are drawn in rounds, each from its own
    seed, and those that fail are dropped, so the kept points are spread over the restricted set
    as the whole region's are over it (by length, area or volume).

    Rejection rather than sampling a sub-interval: a predicate may be any comparison of the
    coordinates (``x^2 + y^2 > 1``), and SciPy has no sampler of such sets.  (A module whose
    regions have no predicate calls sample_region and carries none of this.)
    """
    import numpy as np

    if region[0] != "where":
        return sample_region(seed, region, n, domain, shape, normals, sampler, parameters)

    names = list(domain)
    rng = np.random.default_rng(seed)
    kept, found, drawn = [], 0, 0
    for _ in range(32):  # each round draws what is missing at the rate seen so far (8 times more if none)
        count = 2 * n if not drawn else 8 * drawn if not found else 5 * (n - found) * drawn // (4 * found)
        count = min(1 << 22, max(64, count))
        columns = sample_region(
            int(rng.integers(1 << 31)), region[1], count, domain, shape, normals, sampler, parameters
        )
        with np.errstate(all="ignore"):  # sqrt(x) < 1 at x < 0 is nan, and false
            keep = np.asarray(predicate_holds(region[2], dict(zip(names, columns))), bool)
        keep = np.broadcast_to(keep, columns[0].shape)
        kept.append([c[keep] for c in columns])
        found, drawn = found + int(keep.sum()), drawn + len(keep)
        if found >= n:
            break
    if not found:
        raise ValueError(f"no point of {region[1]} satisfies the predicate {region[2]}")
    # n of them evenly through the list: the region's points come piece by piece (each face of the
    # boundary in turn), so the first n would leave out the last pieces; every k-th keeps their shares
    chosen = (np.arange(min(n, found)) * (found / min(n, found))).astype(int)
    return tuple(np.concatenate([part[j] for part in kept])[chosen] for j in range(len(kept[0])))


def predicate_holds(node, values):
    """The value of a predicate (or of an expression in it) at points: ``values`` maps each
    variable's name to its coordinates.  A predicate is nested tuples, as a region's literal
    holds it: a name is a coordinate, a number itself, ``(op, *arguments)`` an operation —
    ``+ * ^``, the comparisons ``< <= > >= ==``, ``and or not`` and NumPy's functions by name."""
    import functools

    import numpy as np

    if isinstance(node, str):
        return np.asarray(values[node], float)
    if not isinstance(node, tuple):
        return float(node)
    op, *arguments = node
    args = [predicate_holds(a, values) for a in arguments]
    operations = {
        "+": lambda *a: functools.reduce(np.add, a),
        "*": lambda *a: functools.reduce(np.multiply, a),
        "^": np.power,
        "<": np.less,
        "<=": np.less_equal,
        ">": np.greater,
        ">=": np.greater_equal,
        "==": np.equal,
        "and": lambda *a: functools.reduce(np.logical_and, a, True),
        "or": lambda *a: functools.reduce(np.logical_or, a, False),
        "not": np.logical_not,
    }
    return operations[op](*args) if op in operations else getattr(np, op)(*args)


def _within(seed, base, bounds, n, domain, shape, normals, sampler, parameters):
    """``n`` points of the region ``base`` inside the box ``bounds`` (a `region` of the problem).

    The interior or a face of the box is sampled as the domain narrowed to the box: exact
    and uniform, and a face where the box ends (an interface) has the box's outward normal.
    The boundary of the box is not the domain's, so points of the domain's boundary (or a
    part of it) are drawn and those inside the box kept, until there are ``n``.
    """
    import numpy as np

    if base[0] in ("interior", "face"):
        narrowed = {v: next(((lo, hi) for w, lo, hi in bounds if w == v), interval) for v, interval in domain.items()}
        return sample_region(seed, base, n, narrowed, shape, normals, sampler, parameters)
    names = list(domain)
    kept, drawn = [], 0
    for attempt in range(20):
        m = 2 ** (attempt + 1) * max(n, 16)
        columns = np.stack(sample_region(seed + attempt, base, m, domain, shape, normals, sampler, parameters), 1)
        inside = np.ones(len(columns), bool)
        for v, lo, hi in bounds:
            inside &= (columns[:, names.index(v)] >= lo) & (columns[:, names.index(v)] <= hi)
        kept.append(columns[inside])
        drawn += int(inside.sum())
        if drawn >= n:  # every k-th: the boundary's points come face by face, and the first n would miss the last faces
            points = np.concatenate(kept)[(np.arange(n) * (drawn / n)).astype(int)]
            return tuple(points[:, j] for j in range(points.shape[1]))
    raise ValueError(f"the region {bounds} holds almost none of the points of {base}")


def in_home(home, values):
    """Which points are in the region where a field lives (`field u1(x) in A`): ``home`` holds
    ``(variable, lo, hi)`` for a box and ``(variables, Shape)`` for a shape (closed: its boundary
    is in); ``values`` maps each variable's name to its coordinates.  Empty: every point."""
    import numpy as np

    size = np.broadcast_shapes(*(np.shape(c) for c in values.values()))
    inside = np.ones(size, bool)
    for entry in home:
        if len(entry) == 3:
            variable, lo, hi = entry
            inside &= (np.asarray(values[variable]) >= lo) & (np.asarray(values[variable]) <= hi)
        else:
            variables, shape = entry
            points = np.stack([np.ravel(np.broadcast_to(values[v], size)) for v in variables], axis=-1)
            lo, hi = shape.bounds()
            inside &= (shape.distance(points) <= 1e-9 * float(np.max(hi - lo))).reshape(size)
    return inside


def together(points, names):
    """Whether ``points`` gives every term of ``names`` the very same arrays (not equal ones:
    the same objects, which is what a caller means by sharing them), so that their residuals
    may share each field's derivatives.  Under ``jax.jit`` the same array passed twice is two
    arguments: a caller shares them inside the jitted function, as the trainer does."""
    if not all(name in points for name in names):
        return False
    first = points[names[0]]
    return all(len(points[n]) == len(first) and all(a is b for a, b in zip(points[n], first)) for n in names[1:])
