"""`chenglai publish` to an SFTP host: Debian's OpenSSH sshd on 127.0.0.1 (free port, temporary
host key, one key-authorised user, SFTP inside the daemon), reached by rclone's sftp backend
with the host key checked."""

from __future__ import annotations

import re
from datetime import date

import pytest

from .deployfixture import chenglai, need, publish_site, sftp_server
from .factory import record, write
from .sitefixture import SETTINGS, make_site, tree

PERSON_PAGE = "debtors/2024-lu0502-zhi-1234/index.html"


@pytest.fixture
def sftp(tmp_path):
    need("rclone")
    with sftp_server(tmp_path / "sshd") as server:
        yield server


def test_publish_over_sftp_sends_changes_and_deletions(sftp, tmp_path):
    site = make_site(tmp_path)
    site.build()
    host = tmp_path / "host"
    host.mkdir()
    remote = sftp.remote(host)
    r = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to", remote, cwd=site.root)
    assert r.returncode == 0, r.stderr
    assert tree(host / "site") == tree(site.output)
    name = (host / "index" / "CURRENT").read_text().strip()
    assert (host / "index" / name).is_dir()
    # a removal: the record's page leaves the host in the same run, the index is replaced
    write(site.records, "lu0502/person.yaml",
          record(status="removed", removed_on=date(2026, 11, 24), removal_reason="early_deletion"))  # fmt: skip
    site.build(allow_drop=True)
    out = publish_site(site, remote)
    assert not out.failed and PERSON_PAGE in out.plan.deletions
    assert tree(host / "site") == tree(site.output)
    assert not (host / "site" / "debtors" / "2024-lu0502-zhi-1234").exists()
    assert (host / "index" / "CURRENT").read_text().strip() != name
    assert '"/debtors/2024-lu0502-zhi-1234/" 1;' in (host / "gone.map").read_text()


def test_an_unreachable_host_is_reported_and_what_was_not_sent_is_sent_later(sftp, tmp_path):
    site = make_site(tmp_path)
    site.build()
    host = tmp_path / "host"
    host.mkdir()
    remote = sftp.remote(host)
    fast = {"RCLONE_RETRIES": "1", "RCLONE_LOW_LEVEL_RETRIES": "1", "RCLONE_CONTIMEOUT": "2s"}  # rclone's own
    r = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to", remote, cwd=site.root, env=fast)
    assert r.returncode == 0, r.stderr
    write(site.records, "lu0502/person.yaml", record(outstanding=99000.0))
    site.build()
    sftp.proc.terminate()
    sftp.proc.wait(timeout=20)
    r = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to", remote, cwd=site.root, env=fast)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "chenglai: 未发送 记录页" in r.stderr and "chenglai: 未发送 列表、首页、订阅与开放数据" in r.stderr
    assert "connection refused" in r.stderr  # rclone's cause, without its time stamp
    assert not re.search(r"\d{4}/\d\d/\d\d \d\d:", r.stderr)
    dry = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to", remote, "--dry-run",
                   cwd=site.root)  # fmt: skip
    assert f"  上传 {PERSON_PAGE}" in dry.stdout  # still to send
    # a host never reached: nothing is sent, and the message says so
    other = sftp.remote(tmp_path / "never")
    r = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to", other, cwd=site.root, env=fast)
    assert r.returncode == 1 and "没有发送任何文件" in r.stderr and "Traceback" not in r.stderr
