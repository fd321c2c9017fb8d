"""Collocation points: the unit cube (Sobol, Halton, uniform) and every region of a domain."""


def unit_cube(m, k, rng, sampler="sobol"):
    """``m`` points of the unit cube [0, 1]^k, drawn with the generator ``rng``.

    ``sampler`` is "sobol" or "halton" (scrambled quasi-random points, which cover the
    cube more evenly than random ones) or "uniform" (independent uniform random points).
    """
    import numpy as np
    from scipy.stats import qmc

    if k == 0:
        return np.zeros((m, 0))
    if sampler == "uniform":
        return rng.random((m, k))
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
    rest of the boundary), or ``("part", part)``, a part of the shape's boundary
    (``geometry.Shape.in_part``).  The boundary of a time-dependent problem is the
    spatial boundary at every time: a variable ``t`` has no faces there (initial
    conditions are faces of their own), and boundary points are spread over the parts
    of the boundary by area.  With
    ``normals=True`` the outward unit normal follows, one array per spatial variable.

    Points are scrambled Sobol points unless ``sampler`` says "halton" or "uniform"
    (see :func:`unit_cube`); the same seed gives the same points.  The variables named in
    ``parameters`` (``param k in [1, 3]``) are sampled like ``t``: not coordinates of space.
    """
    import numpy as np

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


def together(points, names):
    """Whether ``points`` gives every term of ``names`` the very same arrays (not equal ones:
    the same objects, which is what a caller means by sharing them), so that their residuals
    may share each field's derivatives.  Under ``jax.jit`` the same array passed twice is two
    arguments: a caller shares them inside the jitted function, as the trainer does."""
    if not all(name in points for name in names):
        return False
    first = points[names[0]]
    return all(len(points[n]) == len(first) and all(a is b for a, b in zip(points[n], first)) for n in names[1:])
