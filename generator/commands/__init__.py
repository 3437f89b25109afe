"""Subcommands of `chenglai`, one module each; importing them registers them."""

from . import check  # noqa: F401
from . import build  # noqa: F401
