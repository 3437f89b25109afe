"""Subcommands of `chenglai`, one module each; importing them registers them."""

from . import (
    check,  # noqa: F401
    import_,  # noqa: F401
)
