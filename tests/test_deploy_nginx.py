"""`chenglai deploy-config nginx` under Debian's nginx (an unprivileged process, free loopback
port, temporary prefix) serving a folder `chenglai publish` filled with rclone, two gunicorn
search processes behind it (their command line from `deploy-config systemd`)."""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from lxml import html as lxml_html

from generator.build import deployconf

from . import deployfixture as host_
from .deployfixture import chenglai, get, host_dir, need, nginx, publish_site, search_processes
from .factory import record, write
from .sitefixture import make_site

PERSON = "/debtors/2024-lu0502-zhi-1234/"
ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def _host(tmp: Path):
    need("rclone")
    site = make_site(tmp)
    site.build()
    with host_dir() as root:
        out = publish_site(site, str(root))
        assert not out.failed
        with search_processes(root / "index", 2, logs=tmp) as addrs, nginx(root, addrs, rate=5, burst=5) as web:
            yield site, root, web, tmp


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """A built and published site, two search processes and nginx in front of them (shared by
    the tests that change nothing)."""
    with _host(tmp_path_factory.mktemp("host")) as h:
        yield h


@pytest.fixture
def own_host(tmp_path):
    """The same, for a test that changes the site."""
    with _host(tmp_path) as h:
        yield h


def test_site_is_served_with_cache_and_security_headers(host):
    _site, _root, web, _tmp = host
    status, headers, body = get(web.base + PERSON)
    assert status == 200 and "张三丰".encode() in body
    assert headers["Cache-Control"] == f"public, max-age={deployconf.PAGE_MAX_AGE}"
    assert headers["Content-Security-Policy"] == deployconf.CSP and "frame-ancestors 'none'" in deployconf.CSP
    assert "unsafe-inline" not in deployconf.CSP
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
    for path, age in (("/theme/css/site.css", deployconf.ASSET_MAX_AGE), ("/", deployconf.LIST_MAX_AGE),
                      ("/debtors/", deployconf.LIST_MAX_AGE), ("/feeds/listings.atom", deployconf.LIST_MAX_AGE),
                      ("/data/debtors.csv", deployconf.LIST_MAX_AGE)):  # fmt: skip
        status, headers, _body = get(web.base + path)
        assert status == 200 and headers["Cache-Control"] == f"public, max-age={age}", path
        assert headers["Content-Security-Policy"] == deployconf.CSP, path  # every location repeats them
    # gzip for text
    status, headers, body = get(web.base + "/data/debtors.json", {"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip" and json.loads(gzip.decompress(body))
    status, _headers, _body = get(web.base + "/no/such/page/")
    assert status == 404
    assert get(web.base + "/.chenglai-state/")[0] == 404


def test_the_theme_needs_no_inline_script_or_style(host):
    """The CSP allows no inline script or style: the built site has none to break."""
    site, _root, _web, _tmp = host
    for page in site.output.rglob("*.html"):
        doc = lxml_html.fromstring(page.read_bytes())
        assert not doc.xpath("//script[not(@src)] | //style | //*[@style]"), page
        assert not doc.xpath("//@*[starts-with(name(), 'on')]"), page
        assert not [a for a in doc.xpath("//a/@href") if a.strip().lower().startswith("javascript:")], page


def test_search_is_proxied_to_the_search_processes(host):
    _site, _root, web, tmp = host
    status, headers, body = get(f"{web.base}/api/search?{urlencode({'q': '张三丰'})}")
    assert status == 200 and json.loads(body)["total"] == 1
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    status, headers, body = get(f"{web.base}/search/?{urlencode({'q': 'zsf'})}")
    assert status == 200 and "张三丰".encode() in body
    status, _h, body = get(f"{web.base}/api/health")
    assert status == 200 and json.loads(body)["ok"]


def test_search_is_rate_limited_per_client(host):
    _site, _root, web, _tmp = host
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(15) as pool:  # 30 at once: rate 5/s, burst 5, however slow the machine
        codes = list(pool.map(lambda _: get(f"{web.base}/api/search?q=zsf")[0], range(30)))
    assert 429 in codes and 200 in codes and set(codes) <= {200, 429}
    assert get(web.base + "/")[0] == 200  # the site itself is not limited
    time.sleep(2)  # the bucket refills for the next test


def test_no_query_is_logged_by_nginx_or_gunicorn(host):
    _site, _root, web, tmp = host
    secret = "钱秘密3705021985"
    for url in (f"/api/search?q={quote(secret)}", f"/search/?q={quote(secret)}&court=x"):
        assert get(web.base + url)[0] in (200, 400)
    logs = [web.access_log, *tmp.glob("search-*.log")]
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs if p.exists())
    assert "/api/search" in text and "/search/" in text  # the logs are written…
    for needle in (secret, quote(secret), "3705021985", "q="):
        assert needle not in text  # …without what was searched


def test_removed_record_answers_410_after_publish_and_reload(own_host):
    site, root, web, _tmp = own_host
    write(site.records, "lu0502/person.yaml",
          record(status="removed", removed_on=date(2026, 11, 24), removal_reason="early_deletion"))  # fmt: skip
    site.build(allow_drop=True)
    assert not publish_site(site, str(root)).failed
    # the map is read when nginx (re)loads its configuration: a graceful reload (HUP)
    web.proc.send_signal(1)
    for url in (PERSON, PERSON + "index.html", PERSON.rstrip("/"), PERSON + "notice/"):
        for _ in range(50):
            status = get(web.base + url)[0]
            if status == 410:
                break
            time.sleep(0.1)
        assert status == 410, (url, (web.prefix / "error.log").read_text(), (root / "gone.map").read_text())
    assert get(web.base + "/debtors/2025-lu0502-zhi-77/")[0] == 200
    # the search no longer finds the person (the service followed the published index)
    assert json.loads(get(f"{web.base}/api/search?q=zsf")[2])["total"] == 0


def test_deploy_config_command_prints_both_files(tmp_path):
    r = chenglai("deploy-config", "nginx", "--root", "/srv/portal", "--listen", "0.0.0.0:8080", "--search",
                 "127.0.0.1:8001", "127.0.0.1:8002")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert re.search(
        r"upstream chenglai_search \{\s+server 127.0.0.1:8001 max_fails=0;\s+server 127.0.0.1:8002", r.stdout
    )
    assert "root /srv/portal/site;" in r.stdout and "include /srv/portal/gone.map;" in r.stdout
    assert "listen 0.0.0.0:8080;" in r.stdout and "limit_req zone=chenglai_search" in r.stdout
    r = chenglai("deploy-config", "systemd", "--root", "/srv/portal")
    assert r.returncode == 0 and "Environment=CHENGLAI_INDEX=/srv/portal/index" in r.stdout
    assert "--bind 127.0.0.1:%i" in r.stdout and "%(q)s" not in r.stdout and "%%(U)s" in r.stdout
    # hostile values are refused, never written into a configuration
    for args in (("nginx", "--root", "/srv/x; include /etc/passwd"), ("nginx", "--search", "a b:1"),
                 ("nginx", "--listen", "80; return 200"), ("systemd", "--user", "root\nExecStartPre=/bin/sh")):  # fmt: skip
        r = chenglai("deploy-config", *args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, args
    # the configuration parses under nginx itself
    need("nginx")
    conf = tmp_path / "chenglai.conf"
    conf.write_text(deployconf.nginx(root=str(tmp_path), access_log=str(tmp_path / "a.log")), encoding="utf-8")
    (tmp_path / "gone.map").write_text("")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/p;\nerror_log {tmp_path}/e.log;\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types; include {conf}; }}\n"
    )
    t = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e",
                        str(tmp_path / "e.log")], capture_output=True, text=True, check=False)  # fmt: skip
    assert t.returncode == 0, t.stderr


def test_no_failed_request_while_a_new_build_is_published(tmp_path):
    """wrk through nginx (no rate limit in the way) while a build is made and published: the
    index the search processes read is switched under load, and every request is answered 200."""
    need("rclone")
    site = make_site(tmp_path)
    site.build()
    with host_dir() as root:
        assert not publish_site(site, str(root)).failed
        first = (root / "index" / "CURRENT").read_text().strip()
        with search_processes(root / "index", 2) as addrs, nginx(root, addrs) as web:
            load = host_.start_load(web.base, ["张三丰", "zsf", "鲁0502执1234", "赵六", "东营", "1234"], seconds=8,
                              folder=tmp_path)  # fmt: skip
            time.sleep(1.5)
            write(site.records, "lu0502/new.yaml", record(case_number="（2026）鲁0502执3001号", debtor__name="吴新"))
            site.build()
            assert not publish_site(site, str(root)).failed
            figures = host_.load_figures(load)
            second = (root / "index" / "CURRENT").read_text().strip()
            assert second != first
            health = {json.loads(get(f"{web.base}/api/health")[2])["generation"] for _ in range(6)}
            assert health == {second}  # both processes answer from the new index
            assert json.loads(get(f"{web.base}/api/search?{urlencode({'q': '吴新'})}")[2])["total"] == 1
    assert figures["requests"] > 100, figures
    assert figures["non2xx"] == 0 and figures["errors"] == 0, figures


def test_systemd_unit_verifies(tmp_path):
    """systemd's own checker accepts the unit (an instance of the template). Its ExecStart is the
    command line every search process of these tests runs (deployfixture.gunicorn_args)."""
    program = need("systemd-analyze")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    unit = deployconf.systemd(root=str(tmp_path), gunicorn=str(gunicorn), workdir=str(ROOT), user="nobody")
    path = tmp_path / "chenglai-search@8001.service"
    path.write_text(unit, encoding="utf-8")
    r = subprocess.run([program, "verify", str(path)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "Environment=CHENGLAI_INDEX=" + str(tmp_path / "index") in unit
