"""信用修复证明 (SPEC §6): certificate numbers, the /verify/ pages of the real build, and
`chenglai certificate` — its A4 page with a QR code that decodes to the verify page the build
wrote, and its one-line refusals."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from lxml import html as lxml_html

from generator.cli import main
from generator.domain.certificates import certificate_number
from generator.state import paths

from .factory import AS_OF, record
from .qrimage import decode_path
from .sitefixture import grep_tree, make_site, tree

ROOT = Path(__file__).resolve().parent.parent
SECRET = "法院的证明密钥-test-1"
SITEURL = "https://court.example.gov.cn"
NUMBER = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$")


def _old(**kw):  # type: ignore[no-untyped-def]
    """A record listed long ago (dates kept consistent for the checker)."""
    return record(filed_on=date(2018, 6, 1), vetting__vetted_on=date(2019, 1, 9), listed_on=date(2019, 1, 10),
                  debtor__age=33, **kw)  # fmt: skip


NO_TERM = {"grounds": ["able_but_refuses"], "term_years": None}
RECORDS = {
    "public.yaml": record(),  # 张三丰, listed: no certificate
    # a term record deleted early last month: a removal notice and a verify page
    "early.yaml": record(case_number="（2024）鲁0502执3001号", debtor__name="吴early", status="removed",
                         removed_on=date(2026, 10, 1), removal_reason="early_deletion"),
    # deleted early 20 months ago: the notice is long gone, the verify page stays (5 years)
    "old_early.yaml": record(case_number="（2023）鲁0502执3002号", debtor__name="郑oldearly", status="removed",
                             filed_on=date(2023, 6, 1), vetting__vetted_on=date(2024, 1, 9),
                             listed_on=date(2024, 1, 10), debtor__age=38, removed_on=date(2025, 3, 1),
                             removal_reason="early_deletion"),
    "performed.yaml": record(case_number="（2024）鲁0502执3003号", debtor__name="冯performed", status="removed",
                             removed_on=date(2026, 11, 1), removal_reason="performed", **NO_TERM),
    "applicant.yaml": record(case_number="（2024）鲁0502执3004号", debtor__name="陈applicant", status="removed",
                             removed_on=date(2026, 11, 1), removal_reason="applicant_request", **NO_TERM),
    # its 2-year term ended 2025-01-10, before the removal: no credit repair to attest
    "lapsed.yaml": record(case_number="（2022）鲁0502执3005号", debtor__name="褚lapsed", status="removed",
                          filed_on=date(2022, 6, 1), vetting__vetted_on=date(2023, 1, 9), listed_on=date(2023, 1, 10),
                          debtor__age=37, removed_on=date(2025, 2, 1), removal_reason="early_deletion"),
    # performed more than 5 years ago (PORTAL_VERIFY_YEARS)
    "too_old.yaml": _old(case_number="（2018）鲁0502执3006号", debtor__name="卫tooold", status="removed",
                         removed_on=date(2020, 6, 1), removal_reason="performed", **NO_TERM),
}  # fmt: skip
# newest removal first
CERTIFIED = {"2024-lu0502-zhi-3003": "（2024）鲁0502执3003号", "2024-lu0502-zhi-3001": "（2024）鲁0502执3001号",
             "2023-lu0502-zhi-3002": "（2023）鲁0502执3002号"}  # fmt: skip
REMOVED_NAMES = ("吴early", "郑oldearly", "冯performed", "陈applicant", "褚lapsed", "卫tooold")


def _number(rid: str, secret: str = SECRET) -> str:
    return certificate_number(rid, secret.encode("utf-8"))


@pytest.fixture
def site(tmp_path):  # type: ignore[no-untyped-def]
    return make_site(tmp_path, RECORDS)


def _verify_dirs(output: Path) -> set[str]:
    folder = output / "verify"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_certificate_numbers_are_keyed_and_stable():
    a = _number("2024-lu0502-zhi-3001")
    assert NUMBER.match(a)
    assert a == _number("2024-lu0502-zhi-3001")
    assert a != _number("2024-lu0502-zhi-3001", "another secret")
    assert a != _number("2024-lu0502-zhi-3002")
    assert len({_number(f"2024-lu0502-zhi-{n}") for n in range(2000)}) == 2000


def test_build_writes_a_verify_page_for_each_certified_removal_and_never_a_name(site, monkeypatch):
    monkeypatch.setenv("CHENGLAI_CERT_SECRET", SECRET)
    result = site.build()
    assert [n.id for n in result.view.certified] == list(CERTIFIED)
    assert _verify_dirs(site.output) == {_number(rid) for rid in CERTIFIED}
    for rid, case in CERTIFIED.items():
        number = _number(rid)
        doc = site.page(f"verify/{number}/")
        fields = dict(zip([dt.text_content() for dt in doc.cssselect("dl.fields dt")],
                          [dd.text_content() for dd in doc.cssselect("dl.fields dd")], strict=True))  # fmt: skip
        notice = next(n for n in result.view.certified if n.id == rid)
        day = f"{notice.removed_on.year}年{notice.removed_on.month}月{notice.removed_on.day}日"
        assert fields["证明编号"] == number and fields["执行案号"] == case
        assert fields["执行法院"] == "东营市东营区人民法院" and fields["删除日期"] == day
        assert (
            fields["删除原因"] == {"early_deletion": "提前删除（信用修复）", "performed": "已履行完毕"}[notice.reason]
        )
        assert ("第二条第二款" if notice.reason == "early_deletion" else "第十条第一款第（一）项") in fields["删除依据"]
        assert f"该失信信息已于{day}删除，不再对外公示。" in doc.text_content()
        assert [m.get("content") for m in doc.cssselect('meta[name="robots"]')] == ["noindex"]
    # no name of a removed debtor anywhere (the leak gate let the build through; grep says the same)
    assert grep_tree(site.output, *REMOVED_NAMES) == []
    # the old removal's case number: on its verify page only (its notice has expired)
    number = _number("2023-lu0502-zhi-3002")
    assert [f for f, _ in grep_tree(site.output, "（2023）鲁0502执3002号")] == [f"verify/{number}/index.html"]
    assert grep_tree(site.output, "verify/") == []  # linked from nowhere, not in the sitemap
    # the secret is nowhere in clear: not in the site, not in the build's state
    assert grep_tree(site.output, SECRET) == [] and grep_tree(paths.state_dir(site.output), SECRET) == []


def test_without_the_secret_no_verify_pages_and_old_case_numbers_stay_withheld(site):
    result = site.build()
    assert result.view.certified == () and _verify_dirs(site.output) == set()
    assert "（2023）鲁0502执3002号" in result.view.withheld_case_numbers
    assert grep_tree(site.output, "（2023）鲁0502执3002号", *REMOVED_NAMES) == []


def test_the_secret_is_an_input_of_the_build(site, monkeypatch, tmp_path):
    monkeypatch.setenv("CHENGLAI_CERT_SECRET", SECRET)
    site.build()
    first = tree(site.output / "verify")
    assert not site.build().files_written  # nothing changed: nothing made
    monkeypatch.setenv("CHENGLAI_CERT_SECRET", "a new secret")
    result = site.build()
    assert not result.unchanged  # a new secret: the pages move to their new numbers
    assert _verify_dirs(site.output) == {_number(rid, "a new secret") for rid in CERTIFIED}
    monkeypatch.delenv("CHENGLAI_CERT_SECRET")
    assert not site.build().unchanged and _verify_dirs(site.output) == set()
    # the same content and secret give the same bytes, incremental or full
    monkeypatch.setenv("CHENGLAI_CERT_SECRET", SECRET)
    site.build()
    assert tree(site.output / "verify") == first
    full = site.build(output=tmp_path / "full", full=True)
    assert tree(full.output / "verify") == first


def settings_file(site, siteurl: str = SITEURL) -> Path:  # type: ignore[no-untyped-def]
    conf = site.root / "certconf.py"
    conf.write_text(
        "\n".join([
            "from pathlib import Path",
            f"exec(Path({str(ROOT / 'pelicanconf.py')!r}).read_text(encoding='utf-8'))",
            f"PATH = {str(site.content)!r}",
            f"THEME = {str(ROOT / 'theme')!r}",
            f"SITEURL = {siteurl!r}",
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    return conf


def test_certificate_page_and_its_qr_lead_to_the_verify_page_the_build_wrote(site, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CHENGLAI_CERT_SECRET", SECRET)
    out = tmp_path / "cert.html"
    code = main(["certificate", "(2024)鲁0502执3001号", "-s", str(settings_file(site)), "-o", str(out),
                 "--on", "2026-11-25"])  # fmt: skip
    assert code == 0
    number = _number("2024-lu0502-zhi-3001")
    assert number in capsys.readouterr().err
    doc = lxml_html.fromstring(out.read_bytes())
    assert doc.cssselect(".cert-number")[0].text_content() == number
    text = re.sub(r"\s+", "", doc.text_content())
    assert "该失信信息已于2026年10月1日删除，不再对外公示。" in text
    for part in ("信用修复证明", "（2024）鲁0502执3001号", "东营市东营区人民法院", "提前删除（信用修复）",
                 "第二条第二款", "吴early", "2026年11月25日"):  # fmt: skip
        assert part in text, part
    url = f"{SITEURL}/verify/{number}/"
    svg = doc.cssselect("figure svg.qr")[0]
    size = int(svg.get("viewbox").split()[2])  # (the HTML parser lowercases attribute names)
    assert decode_path(svg.cssselect("path[stroke='#000']")[0].get("d"), size) == [url]
    assert "@page { size: A4;" in doc.cssselect("style")[0].text  # PDF-ready: A4 print styles inline
    # the build with the same secret and SITEURL wrote that very page
    site.build(settings={"SITEURL": SITEURL})
    assert (site.output / "verify" / number / "index.html").is_file()
    # without -o: the page on standard output
    assert main(["certificate", "（2024）鲁0502执3003号", "-s", str(settings_file(site)), "--on", "2026-11-25"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("<!doctype html>") and _number("2024-lu0502-zhi-3003") in printed
    assert "已履行完毕" in printed and "第十条第一款第（一）项" in printed


@pytest.mark.parametrize(
    ("case", "on", "code", "field"),
    [
        ("（2024）鲁0502执1234号", "2026-11-25", "E140", "status"),  # still listed
        ("（2024）鲁0502执3004号", "2026-11-25", "E140", "removal_reason"),  # applicant_request
        ("（2024）鲁0502执3003号", "2026-10-15", "E142", "removed_on"),  # not removed yet on that day
        ("（2022）鲁0502执3005号", "2026-11-25", "E143", "removed_on"),  # the term ended first
        ("（2018）鲁0502执3006号", "2026-11-25", "E144", "removed_on"),  # more than 5 years ago
    ],
)
def test_certificate_refuses_in_one_line(site, monkeypatch, capsys, tmp_path, case, on, code, field):
    monkeypatch.setenv("CHENGLAI_CERT_SECRET", SECRET)
    out = tmp_path / "cert.html"
    assert main(["certificate", case, "-s", str(settings_file(site)), "-o", str(out), "--on", on]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert re.match(rf"^.+\.yaml:\d+: {code} {field}: .+", err), err
    assert re.search(r"[\u4e00-\u9fff]", err) and "Traceback" not in err
    assert not out.exists()


def _chenglai(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(ROOT)}, timeout=120)  # fmt: skip


def test_certificate_refuses_without_the_secret_or_a_site_address(site, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CHENGLAI_CERT_SECRET"}
    out = tmp_path / "cert.html"
    args = ("certificate", "（2024）鲁0502执3001号", "-o", str(out), "--on", "2026-11-25")
    run = _chenglai(*args, "-s", str(settings_file(site)), env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [run.stderr.strip()]
    assert "CHENGLAI_CERT_SECRET" in run.stderr and "不能出具信用修复证明" in run.stderr
    blank = _chenglai(*args, "-s", str(settings_file(site)), env={**env, "CHENGLAI_CERT_SECRET": "  "})
    assert blank.returncode == 1 and "CHENGLAI_CERT_SECRET" in blank.stderr  # blank is unset
    local = _chenglai(*args, "-s", str(settings_file(site, "")), env={**env, "CHENGLAI_CERT_SECRET": SECRET})
    assert local.returncode == 2 and "SITEURL" in local.stderr and "Traceback" not in local.stderr
    assert not out.exists()
    assert AS_OF == date(2026, 11, 25)  # the dates above are the fixture's


def _facts(tmp_path: Path, rec: dict):  # type: ignore[no-untyped-def]
    from generator.domain.policy import facts
    from generator.read.checker import check_paths

    from .factory import write

    write(tmp_path / "one", "r.yaml", rec)
    result = check_paths([tmp_path / "one"])
    assert not result.errors, result.errors
    return facts(result.records[0])


@pytest.mark.parametrize(
    ("changes", "on", "certified"),
    [
        ({"removed_on": date(2026, 10, 1), "removal_reason": "early_deletion"}, date(2026, 10, 1), True),  # that day
        ({"removed_on": date(2026, 10, 1), "removal_reason": "early_deletion"}, date(2026, 9, 30), False),  # not yet
        (
            {"removed_on": date(2025, 6, 1), "removal_reason": "early_deletion"},
            date(2026, 10, 1),
            True,
        ),  # same day as listed
        ({"removed_on": date(2026, 10, 1), "removal_reason": "corrected"}, date(2026, 10, 1), False),
        (
            {"removed_on": date(2027, 6, 2), "removal_reason": "early_deletion"},
            date(2027, 6, 3),
            False,
        ),  # the day after its last public day: the term had ended (Civil Code arts. 201–202)
        ({"removed_on": date(2027, 6, 1), "removal_reason": "early_deletion"}, date(2027, 6, 2), True),  # its last day
        (
            {"removed_on": date(2026, 10, 1), "removal_reason": "early_deletion"},
            date(2031, 9, 30),
            True,
        ),  # 5 years, less a day
        ({"removed_on": date(2026, 10, 1), "removal_reason": "early_deletion"}, date(2031, 10, 1), False),  # 5 years
    ],
)
def test_which_removals_a_certificate_attests(tmp_path, changes, on, certified):
    """policy.certificate_of, the one decision behind the command and the verify pages."""
    from generator.domain.policy import certificate_of

    f = _facts(tmp_path, record(status="removed", **changes))  # listed 2025-06-01 for 2 years
    assert (certificate_of(f, on, 5) is not None) == certified
    assert certificate_of(f, on, 0) is None  # no secret: the build asks with 0 years


def test_several_debtors_of_one_case_need_seq(site, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CHENGLAI_CERT_SECRET", SECRET)
    two = dict(case_number="（2024）鲁0502执3009号", status="removed", removed_on=date(2026, 10, 1),
               removal_reason="early_deletion")  # fmt: skip
    from .factory import write

    write(site.records, "seq1.yaml", record(**two, debtor_seq=1, debtor__name="甲一"))
    write(
        site.records, "seq2.yaml", record(**{**two, "removal_reason": "corrected"}, debtor_seq=2, debtor__name="乙二")
    )
    conf = str(settings_file(site))
    out = tmp_path / "c.html"
    assert main(["certificate", "（2024）鲁0502执3009号", "-s", conf, "-o", str(out), "--on", "2026-11-25"]) == 2
    assert "--seq" in capsys.readouterr().err and not out.exists()
    on = ("--on", "2026-11-25")
    assert main(["certificate", "（2024）鲁0502执3009号", "--seq", "1", "-s", conf, "-o", str(out), *on]) == 0
    assert _number("2024-lu0502-zhi-3009-1") in out.read_text(encoding="utf-8")
    assert main(["certificate", "（2024）鲁0502执3009号", "--seq", "2", "-s", conf, "-o", str(out), *on]) == 1
    assert "E140 removal_reason" in capsys.readouterr().err
