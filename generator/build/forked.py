"""One function run in a forked process beside the build, its result collected later.

The search index is written (full build) or updated (incremental build) this way while the
pages render on the other core. The child inherits everything at fork (nothing is pickled on
the way in); what it returns, or the exception it raised, comes back pickled through a pipe.
"""

from __future__ import annotations

import gc
import multiprocessing
import traceback
from collections.abc import Callable
from typing import Any

from generator.errors import BuildError


class Forked:
    def __init__(self, fn: Callable[[], Any], name: str, died: str, failed: str) -> None:
        """`died`: what the build says when the child ends without a word (its exit code is
        added); `failed`: the heading of an exception the child cannot send (its traceback)."""
        mp = multiprocessing.get_context("fork")
        self.conn, send = mp.Pipe(duplex=False)
        self.died = died
        self.proc = mp.Process(target=_run, args=(fn, send, failed), name=name, daemon=True)
        self.proc.start()
        send.close()  # the child's end: EOF here if it dies without a word

    def result(self) -> tuple[bool, Any]:
        """(True, what fn returned) or (False, the exception it raised), once it has ended."""
        try:
            ok, payload = self.conn.recv()
        except EOFError:
            self.proc.join()
            return False, BuildError(f"{self.died}（退出码 {self.proc.exitcode}）")
        finally:
            self.conn.close()
        self.proc.join()
        return ok, payload

    def stop(self) -> None:
        """After an error elsewhere: no child outlives the build."""
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join()
        self.conn.close()


def _run(fn: Callable[[], Any], conn: Any, failed: str) -> None:
    gc.freeze()  # the inherited objects stay out of this process's collections: fewer pages copied
    try:
        result = fn()
    except BaseException as exc:  # raised again, or handled, in the build process
        try:
            conn.send((False, exc))
        except Exception:  # not picklable: its text
            conn.send((False, BuildError(f"{failed}：{''.join(traceback.format_exception(exc))}")))
        return
    conn.send((True, result))
