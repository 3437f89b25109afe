"""Subcommands of `chenglai`, one module each; importing them registers them."""

from . import (
    build,  # noqa: F401
    check,  # noqa: F401
)
