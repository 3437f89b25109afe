"""Where subcommands register (a module of its own: the commands import it, and the command line
in generator.cli imports them, so no import goes both ways)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# name -> (help, (configure parser, run)). Each command module adds its own.
Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, tuple[str, Command]] = {}


def command(name: str, help: str) -> Callable[[Command], Command]:
    def register(cmd: Command) -> Command:
        COMMANDS[name] = (help, cmd)
        return cmd

    return register


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{text!r}") from None
