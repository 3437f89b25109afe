"""Subcommands of `chenglai`, one module each; importing them registers them."""

from generator.cli.commands import build, check, expiring, import_, mask, remove, rollback, search, serve, vet

from . import deploy_config, publish  # the public host (issue 17)

__all__ = ["build", "check", "expiring", "import_", "mask", "remove", "rollback", "search", "serve", "vet"]
__all__ += ["deploy_config", "publish"]
