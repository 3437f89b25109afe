"""Subcommands of `chenglai`, one module each; importing them registers them."""

from . import (  # noqa: F401
    build,
    check,
    expiring,
    import_,
    mask,
    remove,
    search,
    serve,
    vet,
)
