"""The built-in plugins. Each module implements some ``register_<kind>`` hooks, exactly as a
third-party plugin does (see ``tensorweave.hookspecs``)."""

DEFAULT_PLUGINS: tuple[str, ...] = (
    "tensorweave.plugins.activations",
    "tensorweave.plugins.initializers",
    "tensorweave.plugins.regularizers",
    "tensorweave.plugins.constraints",
    "tensorweave.plugins.losses",
    "tensorweave.plugins.metrics",
    "tensorweave.plugins.optimizers",
    "tensorweave.plugins.callbacks",
    "tensorweave.plugins.layers",
    "tensorweave.plugins.models",
)
