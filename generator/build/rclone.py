"""rclone, the one transport of `chenglai publish`: a local folder, SFTP/rsync hosts and
S3-compatible object storage (Aliyun OSS, Tencent COS, MinIO) through one program.

Every call sends or deletes a whole batch (`--files-from-raw`): one process per group of
files, never one per file. The remote is any rclone path: `/srv/chenglai`, `host:/srv/chenglai`
(a remote configured with `rclone config`), or a connection string
(`:sftp,host=…,user=…,key_file=…:/srv/chenglai`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from generator.errors import PublishError

# uploads of many small files: more in flight than rclone's default of 4
_COMMON = ["--transfers", "8", "--checkers", "8", "--stats", "0"]
# paths safe to write as rclone filter patterns as they are (no glob or escape characters)
_PLAIN = re.compile(r"[A-Za-z0-9._/-]+")


def join(remote: str, *parts: str) -> str:
    """A path under an rclone remote (`remote:` roots join without a slash)."""
    out = remote
    for part in parts:
        part = part.strip("/")
        if not part:
            continue
        out = out + part if out.endswith((":", "/")) else f"{out}/{part}"
    return out


class Rclone:
    """The rclone program, called with batches."""

    def __init__(self, program: str = "rclone", extra: Iterable[str] = ()):
        found = shutil.which(program)
        if found is None:
            raise PublishError("找不到 rclone 程序：请先安装（Debian：apt-get install rclone）")
        self.program = found
        self.extra = list(extra)

    def _run(self, args: list[str], stdin: bytes | None = None) -> None:
        cmd = [self.program, *args, *_COMMON, *self.extra]
        proc = subprocess.run(cmd, input=stdin, capture_output=True, check=False)
        if proc.returncode != 0:
            # rclone's last error line names the file and the cause (never a query: these are paths)
            raise PublishError(_last_error(proc.stderr, proc.returncode))

    def copy(self, source: Path, dest: str, files: list[str]) -> None:
        """Send `files` (paths relative to `source`) to `dest`, each whatever is there now."""
        if not files:
            return
        with _listing(files) as listing:
            # --no-check-dest: the caller knows these changed; no look at the other side first
            self._run(["copy", str(source), dest, "--files-from-raw", listing, "--no-check-dest", "--no-traverse"])

    def copy_dir(self, source: Path, dest: str) -> None:
        """A whole folder (a new search index) to `dest`; files already there whole are kept."""
        self._run(["copy", str(source), dest])

    def delete(self, dest: str, files: list[str]) -> None:
        """Delete `files` (relative to `dest`) and the folders they leave empty."""
        if not files:
            return
        with _listing(files) as listing:
            self._run(["delete", dest, "--files-from-raw", listing])
        # then the folders left empty: only those of the deleted files are looked at (a filter
        # rclone also uses to skip listing the rest of the tree)
        folders = sorted({f.rsplit("/", 1)[0] for f in files if "/" in f and _PLAIN.fullmatch(f)})
        if folders:
            with _listing([f"/{d}/**" for d in folders]) as patterns:
                self._run(["rmdirs", dest, "--leave-root", "--include-from", patterns])

    def purge(self, dest: str) -> None:
        """A folder and everything in it (an old search index); gone already is fine."""
        try:
            self._run(["purge", dest])
        except PublishError as exc:
            if "directory not found" not in str(exc):
                raise

    def list(self, dest: str) -> list[str]:
        """Every file under `dest` (relative paths); none when the folder is not there yet."""
        cmd = [self.program, "lsf", "-R", "--files-only", dest, *self.extra]
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            text = proc.stderr.decode("utf-8", "replace")
            if "directory not found" in text:
                return []
            raise PublishError(_last_error(proc.stderr, proc.returncode))
        return [ln for ln in proc.stdout.decode("utf-8", "surrogateescape").splitlines() if ln]

    def put(self, dest: str, data: bytes) -> None:
        """One small file from bytes (the index pointer, the nginx map of removed pages)."""
        self._run(["rcat", dest], stdin=data)


def _last_error(stderr: bytes, code: int) -> str:
    """rclone's last error line (it names the file and the cause), without its time stamp."""
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    if not lines:
        return f"rclone 退出码 {code}"
    return _STAMP.sub("", lines[-1])


_STAMP = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (?:[A-Z]+ *: )?")


class _listing:
    """A temporary --files-from-raw list (one path a line, taken as written)."""

    def __init__(self, files: list[str]):
        self.files = files
        self.path = ""

    def __enter__(self) -> str:
        fd, self.path = tempfile.mkstemp(prefix="chenglai-publish-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(f"{f}\n" for f in self.files))
        return self.path

    def __exit__(self, *exc: object) -> None:
        os.unlink(self.path)
