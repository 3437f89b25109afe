"""Subcommands of `chenglai`, one module each; importing them registers them."""

from . import (
    check,  # noqa: F401
    expiring,  # noqa: F401
    import_,  # noqa: F401
    mask,  # noqa: F401
    remove,  # noqa: F401
    vet,  # noqa: F401
)
