"""Subcommands of `chenglai`, one module each; importing them registers them."""

from generator.cli.commands import (
    build,
    certificate,
    check,
    deploy_config,
    expiring,
    import_,
    mask,
    publish,
    remove,
    rollback,
    search,
    serve,
    vet,
)

__all__ = ["build", "certificate", "check", "deploy_config", "expiring", "import_", "mask", "publish", "remove",
           "rollback", "search", "serve", "vet"]  # fmt: skip
