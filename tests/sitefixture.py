"""Fixture sites for the site tests: records (tests/factory.py), news and pages written into
tmp_path, built with the repository's pelicanconf.py and theme into tmp_path."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

from generator.build.pipeline import BuildResult, build_site

from .factory import AS_OF, NO_TERM, ORG_DEBTOR, record, write

REPO = Path(__file__).resolve().parent.parent
SETTINGS = REPO / "pelicanconf.py"

NEWS = """Title: 东营法院集中执行行动
Date: 2026-11-01
Slug: action
Summary: 东营两级法院开展集中执行行动。

东营两级法院开展**集中执行**行动。<script>alert("news")</script>
"""
CORRECTION = """Title: 纠正申请
Slug: correction

认为信息有误的，可以向执行法院提出书面纠正申请。
"""


def standard_records() -> dict[str, dict[str, Any]]:
    """Public: a person, an organization, a no-fixed-term person; non-public: one of each kind."""
    return {
        "lu0502/person.yaml": record(),
        "lu0502/org.yaml": record(
            case_number="（2025）鲁0502执77号", debtor=dict(ORG_DEBTOR), listed_on=date(2025, 9, 1),
            vetting__vetted_on=date(2025, 8, 30), filed_on=date(2025, 3, 1),
        ),
        "lu0503/refuses.yaml": record(
            case_number="（2025）鲁0503执12号", court="东营市河口区人民法院", region_code="370503",
            grounds=["able_but_refuses"], term_years=None, debtor__name="赵六", listed_on=date(2026, 1, 5),
            vetting__vetted_on=date(2026, 1, 4), filed_on=date(2025, 6, 1),
        ),
        # removed last month: a removal notice, never the name
        "lu0502/removed.yaml": record(
            case_number="（2024）鲁0502执2001号", debtor__name="钱removed", status="removed",
            removed_on=date(2026, 11, 1), removal_reason="performed", **NO_TERM,
        ),
        # listed 2023-01-10 for 2 years: expired 2025-01-10, long past the notice window
        "lu0502/expired.yaml": record(
            case_number="（2022）鲁0502执2002号", debtor__name="孙expired", listed_on=date(2023, 1, 10), debtor__age=37,
            vetting__vetted_on=date(2023, 1, 9), filed_on=date(2022, 6, 1),
        ),
        # listed in the future
        "lu0502/future.yaml": record(
            case_number="（2026）鲁0502执2003号", debtor__name="李future", listed_on=date(2026, 12, 20), debtor__age=41,
            vetting__vetted_on=date(2026, 11, 20), filed_on=date(2026, 5, 1),
        ),
    }  # fmt: skip


def draft_record() -> dict[str, Any]:
    rec = record(case_number="（2026）鲁0502执2004号", debtor__name="周draft", listed_on=date(2026, 11, 2))
    del rec["vetting"]["vetted_by"], rec["vetting"]["vetted_on"]
    return rec


NON_PUBLIC = {
    "removed": ("钱removed", "（2024）鲁0502执2001号"),
    "expired": ("孙expired", "（2022）鲁0502执2002号"),
    "future": ("李future", "（2026）鲁0502执2003号"),
    "draft": ("周draft", "（2026）鲁0502执2004号"),
}


@dataclass
class Site:
    root: Path
    content: Path
    output: Path

    @property
    def records(self) -> Path:
        return self.content / "debtors"

    def overrides(self, **extra: Any) -> dict[str, Any]:
        return {"PATH": str(self.content), "PORTAL_AS_OF": AS_OF.isoformat(), **extra}

    def build(self, output: Path | None = None, **kw: Any) -> BuildResult:
        extra = kw.pop("settings", {})
        return build_site(SETTINGS, output=output or self.output, overrides=self.overrides(**extra), **kw)

    def page(self, path: str, output: Path | None = None) -> Any:
        """The parsed HTML of an output page ('debtors/x/' → debtors/x/index.html)."""
        file = (output or self.output) / (path + "index.html" if path.endswith("/") or not path else path)
        return lxml_html.fromstring(file.read_bytes())


def make_site(tmp_path: Path, records: dict[str, dict[str, Any]] | None = None, news: bool = True) -> Site:
    content = tmp_path / "site" / "content"
    for name, rec in (standard_records() if records is None else records).items():
        write(content / "debtors", name, rec)
    (content / "debtors").mkdir(parents=True, exist_ok=True)
    (content / "news").mkdir(parents=True, exist_ok=True)
    (content / "pages").mkdir(parents=True, exist_ok=True)
    if news:
        (content / "news" / "action.md").write_text(NEWS, encoding="utf-8")
    (content / "pages" / "correction.md").write_text(CORRECTION, encoding="utf-8")
    return Site(tmp_path / "site", content, tmp_path / "site" / "output")


def tree(root: Path, mtimes: bool = False) -> dict[str, Any]:
    """path → sha256 (and mtime) of every file under root."""
    out: dict[str, Any] = {}
    if not root.exists():
        return out
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath, name)
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            out[p.relative_to(root).as_posix()] = (digest, p.stat().st_mtime_ns) if mtimes else digest
    return out


def grep_tree(root: Path, *needles: str) -> list[tuple[str, str]]:
    """(file, needle) for every needle found in any file under root (bytes, any type)."""
    hits = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            data = Path(dirpath, name).read_bytes()
            for n in needles:
                if n.encode("utf-8") in data:
                    hits.append((str(Path(dirpath, name).relative_to(root)), n))
    return hits
