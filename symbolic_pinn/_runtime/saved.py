"""Parameters read back from a training run's ``params.npz``, so a saved module evaluates
the trained solution with JAX alone."""

import jax
import jax.numpy as jnp


def load_params(path):
    """The parameters a training run saved (its ``params.npz``), laid out as ``init_params`` makes them.

    Each array is stored under its path in the parameter tree, as ``jax.tree_util.keystr``
    writes it (``['u'][0][0]``: field u, first layer, weights).
    """
    import numpy as np

    template = jax.eval_shape(init_params, jax.random.PRNGKey(0))  # noqa: F821 - the generated module's own
    paths, treedef = jax.tree_util.tree_flatten_with_path(template)
    leaves = []
    with np.load(path, allow_pickle=False) as saved:
        for key, like in paths:
            name = jax.tree_util.keystr(key)
            if name not in saved.files or saved[name].shape != like.shape:
                raise ValueError(f"{path} has no array {name} of shape {like.shape}: saved for another problem?")
            leaves.append(jnp.asarray(saved[name]))
    return jax.tree_util.tree_unflatten(treedef, leaves)
