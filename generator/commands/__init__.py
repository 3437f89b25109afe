"""Subcommands of `chenglai`, one module each; importing them registers them."""

from . import (
    check,  # noqa: F401
    search,  # noqa: F401
    serve,  # noqa: F401
)
