"""Progress of long work (build, import, check) for a person at a terminal.

The work says what it is doing — `phase(name, total)`, `advance(n)`, `track(items, name)` —
and nothing is shown unless a command opened a display with `shown()`: a rich progress bar on
stderr with the phase, a count and the time left, only when stderr is a terminal and the CI
environment variable is not set. Otherwise every call is a no-op (and cheap: a global read), so
pipes, logs, CI and tests get the output of before: the command's one summary line.

Only the process that opened the display draws on it: a forked worker (render pool, index
process, parse workers) inherits the display but its calls do nothing, and the parent advances
for the work a worker hands back. The display is transient: it is erased when it closes, before
the command prints its summary.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, TypeVar

T = TypeVar("T")


class _Display:
    """A rich Progress drawn on a stream, started at the first phase (a command that reports no
    phase draws nothing), one task per phase; the previous phase's task is removed."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.pid = os.getpid()
        self.progress: Any = None
        self.task: Any = None

    def _start(self) -> Any:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=self.stream, force_terminal=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("已用"),
            TimeElapsedColumn(),
            TextColumn("剩余"),
            TimeRemainingColumn(),
            console=console,
            transient=True,  # erased at the end: the summary line stays alone, as before
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.progress.start()
        return self.progress

    def phase(self, name: str, total: int | None) -> None:
        if os.getpid() != self.pid:
            return
        progress = self.progress or self._start()
        if self.task is not None:
            progress.remove_task(self.task)
        self.task = progress.add_task(name, total=total)

    def advance(self, n: int) -> None:
        if self.task is not None and os.getpid() == self.pid:
            self.progress.advance(self.task, n)

    def close(self) -> None:
        if self.progress is not None and os.getpid() == self.pid:
            self.progress.stop()
        self.progress = self.task = None


_display: _Display | None = None


def phase(name: str, total: int | None = None) -> None:
    """A new phase of the work (名称, how many steps: None when not known)."""
    if _display is not None:
        _display.phase(name, total)


def advance(n: int = 1) -> None:
    """`n` more steps of the current phase done."""
    if _display is not None and n:
        _display.advance(n)


def track(items: Iterable[T], name: str, total: int | None = None) -> Iterator[T]:
    """`items`, one step each, as the phase `name`."""
    if _display is None:
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    phase(name, total)
    for item in items:
        yield item
        advance()


def wanted(stream: IO[str], environ: Mapping[str, str]) -> bool:
    """A person watches `stream`: it is a terminal, and this is not a CI run (CI set, as every
    CI service sets it) nor a terminal that cannot redraw a line (TERM=dumb)."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        return False
    ci = environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return terminal and not ci and environ.get("TERM") != "dumb"


@contextmanager
def shown(stream: IO[str] | None = None, environ: Mapping[str, str] | None = None) -> Iterator[None]:
    """Show the progress of the work inside on `stream` (default stderr) when `wanted`."""
    global _display
    stream = sys.stderr if stream is None else stream
    if _display is not None or not wanted(stream, os.environ if environ is None else environ):
        yield
        return
    _display = _Display(stream)
    try:
        yield
    finally:
        display, _display = _display, None
        display.close()
