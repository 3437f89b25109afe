"""`chenglai publish` with Debian's rclone to a local folder: changed files only, in SPEC §8's
order, removed records' pages deleted in the same run (and answered 410 by nginx's map), a
failed run that names what it did not send and is finished by running it again."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import pytest

from generator.build import publish as pub
from generator.build.rclone import join
from generator.errors import PublishError
from generator.state.store import FILE, Store

from .deployfixture import chenglai, need, publish_site, settings_of
from .factory import record, write
from .sitefixture import SETTINGS, make_site, tree

PERSON_PAGE = "debtors/2024-lu0502-zhi-1234/index.html"


@pytest.fixture
def site(tmp_path):
    need("rclone")
    s = make_site(tmp_path)
    s.build()
    return s


def remote_tree(remote: Path) -> dict[str, str]:
    return tree(remote / "site")


def test_first_publish_sends_the_whole_site_then_nothing(site, tmp_path):
    remote = tmp_path / "host"
    out = publish_site(site, str(remote))
    assert not out.failed and out.done == ["assets", "records", "lists", "index", "deletions"]
    assert remote_tree(remote) == tree(site.output)  # byte for byte
    # the search index beside it, named by the pointer the service reads
    name = (remote / "index" / "CURRENT").read_text().strip()
    assert tree(remote / "index" / name) == tree(Path(os.path.realpath(site.output)).parent / "index")
    assert (remote / "gone.map").read_text().startswith("#")
    again = publish_site(site, str(remote))
    assert again.plan.empty() and again.done == [] and again.purge == []


def test_one_record_changed_sends_its_page_and_the_lists_in_order(site, tmp_path):
    remote = tmp_path / "host"
    publish_site(site, str(remote))
    write(site.records, "lu0502/person.yaml", record(outstanding=99000.0))
    site.build()
    plan, store = pub.plan(settings_of(site), str(remote))
    store.close()
    assert plan.groups["assets"] == []
    assert PERSON_PAGE in plan.groups["records"]
    # a person's record: the feeds change, the bulk files (organisations only, PIPL) do not
    assert "feeds/listings.atom" in plan.groups["lists"] and "data/debtors.csv" not in plan.groups["lists"]
    # only what changed (the other records' pages are not sent)
    assert "debtors/2025-lu0502-zhi-77/index.html" not in plan.groups["records"]
    before = {p: (remote / "site" / p).stat().st_mtime_ns for p in remote_tree(remote)}
    out = publish_site(site, str(remote))
    assert not out.failed and remote_tree(remote) == tree(site.output)
    sent = {p for p, t in before.items() if (remote / "site" / p).stat().st_mtime_ns != t}
    assert sent == {p for g in pub.GROUPS for p in plan.groups[g]}
    # the order on the host: every record page was written before any list that links to it
    ctime = {p: (remote / "site" / p).stat().st_ctime_ns for p in sent}
    assert max(ctime[p] for p in plan.groups["records"]) <= min(ctime[p] for p in plan.groups["lists"])
    # the CDN purge list: the changed URLs, the folder form of a page first
    purge = (site.root / ".chenglai-state" / "output" / "purge-urls.txt").read_text().splitlines()
    assert "/debtors/2024-lu0502-zhi-1234/" in purge and "/feeds/listings.atom" in purge
    assert "/theme/css/site.css" not in purge


def test_removed_record_is_deleted_in_the_same_run_and_listed_gone(site, tmp_path):
    remote = tmp_path / "host"
    publish_site(site, str(remote))
    assert (remote / "site" / PERSON_PAGE).is_file()
    write(site.records, "lu0502/person.yaml",
          record(status="removed", removed_on=date(2026, 11, 24), removal_reason="early_deletion"))  # fmt: skip
    site.build(allow_drop=True)
    out = publish_site(site, str(remote))
    assert not out.failed and PERSON_PAGE in out.plan.deletions
    assert not (remote / "site" / "debtors" / "2024-lu0502-zhi-1234").exists()  # folder too
    assert remote_tree(remote) == tree(site.output)
    gone = (remote / "gone.map").read_text()
    assert '"/debtors/2024-lu0502-zhi-1234/" 1;' in gone and '"/debtors/2024-lu0502-zhi-1234" 1;' in gone
    purge = (site.root / ".chenglai-state" / "output" / "purge-urls.txt").read_text().splitlines()
    assert "/debtors/2024-lu0502-zhi-1234/" in purge
    # the removed person's name is nowhere on the host: site, index, map
    for path in remote.rglob("*"):
        if path.is_file():
            assert "张三丰".encode() not in path.read_bytes(), path
    # listed again: no longer gone; and a gone entry ends with the notice period (then a plain 404)
    assert pub._gone({"/debtors/x/": "2026-01-01"}, [], {"debtors/x/index.html": "d"}, date(2026, 1, 2), 90) == {}
    assert pub._gone({"/debtors/x/": "2026-01-01"}, [], {}, date(2026, 4, 2), 90) == {}
    assert pub._gone({"/debtors/x/": "2026-01-01"}, [], {}, date(2026, 3, 31), 90) == {"/debtors/x/": "2026-01-01"}


def test_a_failed_run_says_what_was_not_sent_and_a_second_run_finishes(site, tmp_path):
    remote = tmp_path / "host"
    (remote / "site").mkdir(parents=True)
    (remote / "site" / "debtors").write_text("not a folder")  # record pages cannot be written
    r = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to", str(remote),
                 cwd=site.root)  # fmt: skip
    assert r.returncode == 1, r.stderr
    unsent = [line for line in r.stderr.splitlines() if line.startswith("chenglai: 未发送")]
    assert [line.split("未发送 ")[1].split("：")[0].split("（")[0] for line in unsent] == [
        "记录页", "列表、首页、订阅与开放数据", "搜索索引", "删除",
    ]  # fmt: skip
    assert "Traceback" not in r.stderr
    # nothing after the failed group reached the host: no list links to a missing page
    assert (remote / "site" / "theme" / "css" / "site.css").is_file()
    assert not (remote / "site" / "index.html").exists() and not (remote / "index").exists()
    (remote / "site" / "debtors").unlink()
    dry = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to", str(remote), "--dry-run",
                   cwd=site.root)  # fmt: skip
    assert dry.returncode == 0 and "静态资源（样式、图片等）：0 个文件" in dry.stdout  # sent already: not again
    r = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to", str(remote), cwd=site.root)
    assert r.returncode == 0, r.stderr
    assert remote_tree(remote) == tree(site.output)


def test_dry_run_lists_and_sends_nothing(site, tmp_path):
    remote = tmp_path / "host"
    r = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to", str(remote), "--dry-run",
                 cwd=site.root)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert f"  上传 {PERSON_PAGE}" in r.stdout and "试运行" in r.stdout
    assert not remote.exists()
    store = Store(site.root / ".chenglai-state" / "output" / FILE)
    try:
        assert store.meta(f"publish:{remote}") is None
    finally:
        store.close()


def test_remote_defaults_to_the_setting_and_is_required(site, tmp_path):
    remote = tmp_path / "configured"
    out = pub.publish(settings_of(site, PORTAL_PUBLISH_TO=str(remote)))
    assert not out.failed and (remote / "site" / "index.html").is_file()
    r = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), cwd=site.root)
    assert r.returncode == 2 and "PORTAL_PUBLISH_TO" in r.stderr
    # a target that rclone would read as one of its options is refused
    r = chenglai("publish", "-s", str(SETTINGS), "-o", str(site.output), "--to=--config=/etc/passwd", cwd=site.root)
    assert r.returncode == 2 and "发布目标不正确" in r.stderr and "Traceback" not in r.stderr


def test_nothing_built_is_refused(tmp_path):
    s = make_site(tmp_path)
    with pytest.raises(PublishError, match="chenglai build"):
        pub.plan(settings_of(s), str(tmp_path / "host"))


def test_groups_and_hostile_names():
    assert pub.group_of("theme/css/site.css") == "assets"
    assert pub.group_of("debtors/2024-lu0502-zhi-1234/index.html") == "records"
    assert pub.group_of("debtors/2024-lu0502-zhi-1234/notice/index.html") == "records"
    assert pub.group_of("news/action/index.html") == "records"
    for path in ("index.html", "debtors/index.html", "debtors/page/2/index.html", "courts/lu0502/index.html",
                 "feeds/listings.atom", "data/debtors.csv", "sitemap.xml", "robots.txt", "about/index.html"):  # fmt: skip
        assert pub.group_of(path) == "lists", path
    # a map entry can never break nginx's configuration, whatever a URL holds
    text = pub.gone_map({'/debtors/a"; return 200;/': "2026-01-01", "/debtors/ok-1/": "2026-01-01"}).decode()
    assert "return 200" not in text and '"/debtors/ok-1/" 1;' in text
    assert join("remote:", "site") == "remote:site" and join("/srv/x/", "site") == "/srv/x/site"


def test_publish_follows_a_rollback(site, tmp_path):
    """The host gets whatever is live: after a rollback, the previous build's bytes."""
    remote = tmp_path / "host"
    first = tree(site.output)
    write(site.records, "lu0502/person.yaml", record(outstanding=99000.0))
    site.build()
    publish_site(site, str(remote))
    r = chenglai("rollback", "-s", str(SETTINGS), "-o", str(site.output), cwd=site.root)
    assert r.returncode == 0, r.stderr
    publish_site(site, str(remote))
    assert remote_tree(remote) == first
    digest = hashlib.sha256((remote / "site" / PERSON_PAGE).read_bytes()).hexdigest()
    assert digest == first[PERSON_PAGE]


def test_a_host_with_nothing_recorded_is_looked_at_once_and_stale_pages_deleted(site, tmp_path):
    """A first publish to a host that holds an older site (or a state folder lost in CI): every
    file the build does not have is deleted, a removed record's page among them."""
    remote = tmp_path / "host"
    stale = remote / "site" / "debtors" / "2020-lu0502-zhi-1" / "index.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("<h1>钱旧记录</h1>", encoding="utf-8")
    (remote / "site" / "index.html").write_text("old home", encoding="utf-8")
    out = publish_site(site, str(remote))
    assert not out.failed and "debtors/2020-lu0502-zhi-1/index.html" in out.plan.deletions
    assert remote_tree(remote) == tree(site.output)
    assert '"/debtors/2020-lu0502-zhi-1/" 1;' in (remote / "gone.map").read_text()


def test_odd_file_names_are_sent_and_deleted_as_written(site, tmp_path):
    """Names rclone's filters would read as patterns or comments (spaces, brackets, #, Chinese)
    go through --files-from-raw as written, both ways."""
    remote = tmp_path / "host"
    odd = "news/东营 法院[1]#{a}*/index.html"
    (site.content / "news" / "odd.md").write_text(
        "Title: 奇怪的名字\nDate: 2026-11-02\nSlug: 东营 法院[1]#{a}*\n\n正文。\n", encoding="utf-8"
    )
    site.build()
    assert (site.output / odd).is_file()
    publish_site(site, str(remote))
    assert remote_tree(remote) == tree(site.output)
    (site.content / "news" / "odd.md").unlink()
    site.build()
    out = publish_site(site, str(remote))
    assert not out.failed and odd in out.plan.deletions
    assert remote_tree(remote) == tree(site.output)
