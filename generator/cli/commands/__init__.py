"""Subcommands of `chenglai`, one module each; importing them registers them."""

from generator.cli.commands import (
    build,
    certificate,
    check,
    expiring,
    import_,
    mask,
    remove,
    rollback,
    search,
    serve,
    vet,
)

__all__ = ["build", "certificate", "check", "expiring", "import_", "mask", "remove", "rollback", "search", "serve",
           "vet"]  # fmt: skip
