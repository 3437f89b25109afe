"""The `chenglai` command line. Exit codes live here only: 0 ok, 1 content/data errors, 2 usage."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .errors import BuildError, ContentErrors, PortalError, RecordError, SearchError, UsageError

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# Subcommands register here: name -> (configure parser, run). Each staff/site/search module
# adds its own, so this file stays the thin edge.
Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, tuple[str, Command]] = {}


def command(name: str, help: str) -> Callable[[Command], Command]:
    def register(cmd: Command) -> Command:
        COMMANDS[name] = (help, cmd)
        return cmd

    return register


def today_shanghai() -> date:
    """Today in Asia/Shanghai: the default build date (SPEC §2)."""
    return datetime.now(SHANGHAI).date()


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{text!r}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"chenglai: 用法错误：{message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _load_commands() -> None:
    # imported for their @command registrations
    from . import commands  # noqa: F401


def build_parser() -> argparse.ArgumentParser:
    _load_commands()
    parser = _Parser(prog="chenglai", description="惩赖：失信被执行人名单公示网站生成器")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (help_text, (configure, run)) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
        p.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `chenglai check | head` must not traceback
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ContentErrors as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        print(f"共 {len(exc.errors)} 个问题。", file=sys.stderr)
        return EXIT_ERRORS
    except RecordError as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERRORS
    except UsageError as exc:
        print(f"chenglai: 用法错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except (BuildError, SearchError, PortalError) as exc:
        print(f"chenglai: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    # run as `python -m generator.cli`: use the real module, where commands register
    from generator.cli import main as _main

    sys.exit(_main())
