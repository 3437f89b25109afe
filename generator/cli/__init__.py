"""The `chenglai` command line. Exit codes live here only: 0 ok, 1 content/data errors, 2 usage."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from generator.cli.registry import COMMANDS, EXIT_ERRORS, EXIT_OK, EXIT_USAGE, command, parse_date
from generator.cli.usage import ChineseParser
from generator.errors import BuildError, ContentErrors, PortalError, RecordError, SearchError, UsageError, machine_error
from generator.settings import today_shanghai

__all__ = ["COMMANDS", "EXIT_ERRORS", "EXIT_OK", "EXIT_USAGE", "command", "main", "parse_date", "today_shanghai"]

# Commands that leave millions of objects behind (100,000 records): their process ends at once
# when they are done (`end_process`), instead of freeing every object one by one (0.65 s).
EXIT_AT_ONCE = frozenset({"build"})


# The module of each command (generator/commands/), for a run that needs only its own: `chenglai
# build` does not import the staff tools' modules (tests/test_cli_check.py checks the list).
COMMAND_MODULES = {"build": "build", "certificate": "certificate", "check": "check", "deploy-config": "deploy_config",
                   "expiring": "expiring", "import": "import_", "mask": "mask", "publish": "publish", "remove": "remove",
                   "rollback": "rollback", "search": "search", "serve": "serve", "vet": "vet"}  # fmt: skip


def _load_commands(name: str | None = None) -> None:
    # imported for their @command registrations: the one named, or every one
    import importlib

    if name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.commands.{COMMAND_MODULES[name]}")
    else:
        from generator.cli import commands  # noqa: F401


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command` alone (its run needs no other)."""
    _load_commands(command)
    parser = ChineseParser(prog="chenglai", description="惩赖：失信被执行人名单公示网站生成器")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ChineseParser, title="命令")
    sub.required = True
    for name, (help_text, (configure, run)) in COMMANDS.items():
        if command in COMMAND_MODULES and name != command:
            continue  # registered by an earlier parser of this process
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
        p.set_defaults(run=run)
    return parser


def pending() -> bool:
    """Something a normal interpreter exit would still wait for or finish: another thread, a
    child process (forked workers are joined by the build; a zombie counts too)."""
    if threading.active_count() > 1:
        return True
    mp = sys.modules.get("multiprocessing")
    if mp is not None and mp.active_children():
        return True
    try:
        os.waitpid(-1, os.WNOHANG)  # (0, 0): a child still runs; (pid, status): one had ended
    except ChildProcessError:
        return False  # no child at all
    return True


def end_process(code: int) -> None:
    """End the process now with `code`, its output flushed, without the interpreter's teardown
    (freeing a build's millions of objects one by one: 0.65 s at 100,000 records). Returns,
    for the caller to exit normally, when something is still pending (`pending`). Only for the
    very end of a process: never from code that tests or other callers run in-process."""
    logging.shutdown()  # what any log handler still holds
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a broken pipe: a normal exit would report it
            return
    if pending():
        return
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """`argv` None: this process's own command line (sys.argv), and then a command of
    EXIT_AT_ONCE ends the process itself when it is done (`end_process`)."""
    if argv is None:  # this process's own command line: `chenglai check | head` must not traceback
        # (never for a caller in-process: SIG_DFL would let a later write to a closed pipe, such as a
        # test runner's to a browser driver, kill that caller without a word)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(words)
    try:
        code = int(args.run(args))
        if argv is None and args.command in EXIT_AT_ONCE:
            end_process(code)
        return code
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
    except OSError as exc:  # the machine (full disk, permissions…) in any command: one line, no traceback
        print(f"chenglai: {machine_error(exc, '操作')}", file=sys.stderr)
        return EXIT_ERRORS
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    # run as `python -m generator.cli`: use the real module, where commands register
    from generator.cli import main as _main

    sys.exit(_main())
