"""The public host in a test: a published folder, nginx (as an unprivileged user), gunicorn search
processes and an OpenSSH SFTP server, all real programs on free loopback ports, started and
stopped here. Used by tests/test_publish*.py and tests/test_deploy_*.py."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.build import deployconf
from generator.build.pipeline import read_settings
from generator.build.publish import Outcome, publish

from .sitefixture import SETTINGS, Site

ROOT = Path(__file__).resolve().parent.parent
UNPRIVILEGED = 65534  # nobody: nginx runs as a plain user, as it should on the host


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str, seconds: float = 30, give_up: Any = pytest.fail) -> None:
    """Until `proc` listens on `port`; `give_up` (pytest.fail, or pytest.skip for a program this
    machine may not be able to run) with its stderr's end when it exits or the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                _out, err = proc.communicate()
                give_up(f"{what} did not start: {(err or b'').decode(errors='replace')[-2000:]}")
            time.sleep(0.05)


def wait_ready(url: str, seconds: float = 120) -> None:
    """Until every worker answers (each loads jieba's dictionary as it starts: seconds on a busy
    machine; a request sent before waits for it)."""
    deadline = time.monotonic() + seconds
    ok = 0
    while ok < 6:
        try:
            with urllib.request.urlopen(url, timeout=seconds) as r:
                ok = ok + 1 if r.status == 200 else 0
        except (OSError, urllib.error.URLError):
            ok = 0
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer in {seconds} s")
            time.sleep(0.2)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def need(program: str) -> str:
    found = shutil.which(program) or (f"/usr/sbin/{program}" if Path(f"/usr/sbin/{program}").exists() else None)
    if found is None:
        pytest.fail(f"{program} is not installed: `make test` installs it (Makefile: browser-deps)")
    return found


@contextlib.contextmanager
def host_dir() -> Iterator[Path]:
    """A folder the unprivileged nginx can read (pytest's tmp_path is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="chenglai-host-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def settings_of(site: Site, **extra: Any) -> dict[str, Any]:
    return read_settings(SETTINGS, {"OUTPUT_PATH": str(site.output), **site.overrides(**extra)})


def publish_site(site: Site, remote: str, **extra: Any) -> Outcome:
    return publish(settings_of(site, **extra), remote)


def chenglai(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command line, as staff and CI run it (`env`: added to this process's environment)."""
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd or ROOT, env=env, text=True,
                          capture_output=True, check=False)  # fmt: skip


@dataclass
class Nginx:
    proc: subprocess.Popen[bytes]
    base: str
    prefix: Path

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"


@contextlib.contextmanager
def nginx(root: Path, search: list[str], rate: int = 10000, burst: int = 1000) -> Iterator[Nginx]:
    """nginx from Debian with `chenglai deploy-config nginx`'s file in its http block, on a free
    port, its prefix in a temporary folder, as an unprivileged user."""
    program = need("nginx")
    port = free_port()
    prefix = Path(tempfile.mkdtemp(prefix="chenglai-nginx-"))
    try:
        for sub in ("tmp", "logs"):
            (prefix / sub).mkdir()
        conf = deployconf.nginx(root=str(root), listen=f"127.0.0.1:{port}", search=search, rate=rate, burst=burst,
                                access_log=str(prefix / "access.log"))  # fmt: skip
        (prefix / "chenglai.conf").write_text(conf, encoding="utf-8")
        temps = "\n".join(
            f"    {n}_temp_path {prefix}/tmp/{n};" for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (prefix / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 2;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n{temps}\n"
            f"    include {prefix}/chenglai.conf;\n}}\n",
            encoding="utf-8",
        )
        root_user = os.geteuid() == 0
        if root_user:
            for dirpath, dirs, files in os.walk(prefix):
                for name in [*dirs, *files, ""]:
                    os.chown(os.path.join(dirpath, name), UNPRIVILEGED, UNPRIVILEGED)
        args = [program, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
        test = subprocess.run([*args, "-t"], capture_output=True, check=False,
                              user=UNPRIVILEGED if root_user else None, group=UNPRIVILEGED if root_user else None)  # fmt: skip
        assert test.returncode == 0, test.stderr.decode(errors="replace")
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                user=UNPRIVILEGED if root_user else None,
                                group=UNPRIVILEGED if root_user else None)  # fmt: skip
        wait_port(port, proc, "nginx")
        try:
            yield Nginx(proc, f"http://127.0.0.1:{port}", prefix)
        finally:
            proc.terminate()
            proc.communicate(timeout=20)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def gunicorn_args(port: int, access_log: Path | None = None, workers: int = 2, threads: int = 2) -> list[str]:
    """gunicorn as `chenglai deploy-config systemd`'s unit starts it (its ExecStart, the port
    given), with its access log in a file here."""
    unit = deployconf.systemd(gunicorn="/gunicorn", workers=workers)
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    import shlex

    words = shlex.split(exec_start[len("ExecStart=") :].replace("%i", str(port)).replace("%%", "%"))
    assert words[0] == "/gunicorn"
    words = [sys.executable, "-m", "gunicorn", *words[1:]]
    i = words.index("--threads")
    words[i + 1] = str(threads)
    if access_log is not None:
        words[words.index("--access-logfile") + 1] = str(access_log)
    return words


@contextlib.contextmanager
def search_processes(
    index: Path, count: int = 2, logs: Path | None = None, workers: int = 2, threads: int = 2
) -> Iterator[list[str]]:
    """`count` gunicorn search services over a published index folder (CHENGLAI_INDEX); their
    access logs go to `logs`/search-N.log (never to a pipe nobody reads: a full pipe stalls them)."""
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []
    addrs: list[str] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHENGLAI_")}
    env.update(CHENGLAI_INDEX=str(index), PYTHONPATH=str(ROOT))
    folder = logs or Path(tempfile.mkdtemp(prefix="chenglai-search-logs-"))
    try:
        for i in range(count):
            port = free_port()
            errors = folder / f"search-{i}.err"
            with open(errors, "wb") as err:
                proc = subprocess.Popen(gunicorn_args(port, folder / f"search-{i}.log", workers, threads), cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
            procs.append((proc, errors))
            wait_port(port, proc, "gunicorn")
            addrs.append(f"127.0.0.1:{port}")
        for addr in addrs:
            wait_ready(f"http://{addr}/api/health")
        yield addrs
    finally:
        tracebacks = []
        for proc, errors in procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            text = errors.read_text(encoding="utf-8", errors="replace")
            if "Traceback" in text:
                tracebacks.append(text[-2000:])
        if logs is None:
            shutil.rmtree(folder, ignore_errors=True)
        assert not tracebacks, tracebacks


@dataclass
class Sftp:
    proc: subprocess.Popen[bytes]
    port: int
    key: Path
    known_hosts: Path
    user: str

    def remote(self, path: Path) -> str:
        """An rclone connection string for `path` on this server (no rclone.conf needed)."""
        return (f":sftp,host=127.0.0.1,port={self.port},user={self.user},key_file={self.key},"
                f"known_hosts_file={self.known_hosts},shell_type=unix,md5sum_command=none,sha1sum_command=none:{path}")  # fmt: skip


@contextlib.contextmanager
def sftp_server(tmp: Path) -> Iterator[Sftp]:
    """Debian's sshd on 127.0.0.1 with a temporary host key and one key-authorised user (this
    one), SFTP inside the daemon (internal-sftp). Skipped, saying why, if sshd cannot run here."""
    sshd = need("sshd")
    keygen = need("ssh-keygen")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in ("host", "client"):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / name)], check=True)
    (tmp / "authorized_keys").write_bytes((tmp / "client.pub").read_bytes())
    (tmp / "authorized_keys").chmod(0o600)
    port = free_port()
    user = getpass.getuser()
    (tmp / "known_hosts").write_text(f"[127.0.0.1]:{port} {(tmp / 'host.pub').read_text().split(' ')[0]} "
                                     f"{(tmp / 'host.pub').read_text().split(' ')[1]}\n")  # fmt: skip
    (tmp / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp / 'host'}\nPidFile {tmp / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {tmp / 'authorized_keys'}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        f"UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\nAllowUsers {user}\n"
        "Subsystem sftp internal-sftp\nLogLevel ERROR\n",
        encoding="utf-8",
    )
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    check = subprocess.run([sshd, "-t", "-f", str(tmp / "sshd_config")], capture_output=True, check=False)
    if check.returncode != 0:
        pytest.skip(f"sshd cannot run here: {check.stderr.decode(errors='replace').strip()[-300:]}")
    proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(tmp / "sshd_config")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    wait_port(port, proc, "sshd", seconds=20, give_up=pytest.skip)
    try:
        yield Sftp(proc, port, tmp / "client", tmp / "known_hosts", user)
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


LOAD_SCRIPT = ROOT / "benchmarks" / "search_load.lua"


def start_load(base: str, queries: list[str], seconds: int, threads: int = 2, connections: int = 16,
               folder: Path | None = None) -> subprocess.Popen[str]:  # fmt: skip
    """wrk (Debian) against /api/search through `base`, cycling through `queries`."""
    from urllib.parse import quote

    program = need("wrk")
    listing = Path(tempfile.mkstemp(prefix="chenglai-queries-", suffix=".txt", dir=folder)[1])
    listing.write_text("".join(quote(q) + "\n" for q in queries), encoding="utf-8")
    env = {**os.environ, "CHENGLAI_QUERIES": str(listing)}
    return subprocess.Popen([program, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
                             "-s", str(LOAD_SCRIPT), base + "/"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def load_figures(proc: subprocess.Popen[str]) -> dict[str, float]:
    """The figures of a finished wrk run (its script's CHENGLAI line)."""
    out, err = proc.communicate(timeout=600)
    line = next((ln for ln in out.splitlines() if ln.startswith("CHENGLAI ")), None)
    assert line is not None, out + err
    figures = {k: float(v) for k, v in (item.split("=") for item in line.split()[1:])}
    assert figures["requests"] > 0, out + err
    return figures
