"""Observations read back from a data file by a generated module."""

import jax.numpy as jnp


def load_observations(path, columns):
    """The named columns of a CSV (with a header row) or NPZ file, as a tuple of arrays."""
    import numpy as np

    if str(path).endswith(".npz"):
        with np.load(path, allow_pickle=False) as archive:
            return tuple(jnp.asarray(archive[c], dtype=float).ravel() for c in columns)
    table = np.genfromtxt(path, delimiter=",", names=True, autostrip=True)
    return tuple(jnp.asarray(table[c], dtype=float) for c in columns)
