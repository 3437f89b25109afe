"""Non-public records leave no trace in any output (SPEC §2): grep the whole output tree."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

from generator.build import leakcheck
from generator.build.pipeline import PENDING, Build
from generator.domain.policy import decide_records
from generator.domain.records import parse_file
from generator.state import paths
from generator.state.store import FILE as STORE

from .factory import AS_OF, write
from .sitefixture import NON_PUBLIC, SETTINGS, draft_record, grep_tree, make_site, record, tree


def _bracket_variants(case: str) -> list[str]:
    return sorted(leakcheck.case_variants(case))


def test_each_non_public_kind_leaves_no_trace(tmp_path):
    s = make_site(tmp_path)
    write(s.records, "lu0502/draft.yaml", draft_record())
    result = s.build(drafts_ok=True)
    assert result.public == 3
    state = paths.state_dir(s.output)

    def in_state(*needles: str) -> list[tuple[str, str]]:
        # the store holds the content as read (like content/ itself: each file's facts), never
        # published; everything else there (every generation's site and index) must hold no trace
        content = {STORE}
        return [hit for hit in grep_tree(state, *needles) if hit[0] not in content]

    for kind, (name, case) in NON_PUBLIC.items():
        assert grep_tree(s.output, name) == [], kind
        assert in_state(name) == [], kind
        if kind == "removed":
            # only the removal notice (page and removals feeds) may say the case number;
            # never a record page, list row, data row or sitemap URL
            assert {f for f, _ in grep_tree(s.output, case)} == {
                "removals/index.html",
                "feeds/removals.atom",
                "feeds/removals.rss",
            }
        else:
            assert grep_tree(s.output, *_bracket_variants(case)) == [], kind
            assert in_state(*_bracket_variants(case)) == [], kind
    ids = {p.name for p in (s.output / "debtors").iterdir() if p.is_dir() and p.name != "page"}
    assert ids == {"2024-lu0502-zhi-1234", "2025-lu0502-zhi-77", "2025-lu0503-zhi-12"}
    sitemap = (s.output / "sitemaps" / "sitemap-1.xml").read_text(encoding="utf-8")
    assert "2001" not in sitemap and "2002" not in sitemap and "2003" not in sitemap and "2004" not in sitemap


def test_recently_expired_record_gets_a_notice_without_name(tmp_path):
    # listed 2024-11-20 for 2 years: public through 2026-11-20 (民法典 art. 202), gone 2026-11-21, inside the window
    expiring = record(
        case_number="（2024）鲁0502执3001号", debtor__name="吴expiring", debtor__age=39,
        listed_on=date(2024, 11, 20), vetting__vetted_on=date(2024, 11, 19),
    )  # fmt: skip
    s = make_site(tmp_path, {"a.yaml": record(), "b.yaml": expiring})
    s.build()
    assert grep_tree(s.output, "吴expiring") == []
    doc = s.page("removals/")
    cells = [c.text_content() for c in doc.cssselect("tbody tr")[0]]
    assert cells == ["（2024）鲁0502执3001号", "东营市东营区人民法院", "2026-11-21", "期限届满"]


def test_a_minor_that_slips_past_the_checker_is_still_withheld(tmp_path):
    """Bypass `chenglai check` (which refuses minors, E084): the policy must refuse it too."""
    s = make_site(tmp_path, {"ok.yaml": record()})
    minor = record(
        case_number="（2025）鲁0502执4001号", debtor__name="郑minor", debtor__id_masked="3705022008****1234",
        debtor__age=17,
    )  # fmt: skip
    sources = []
    for name in ("ok.yaml", "minor.yaml"):
        path = write(tmp_path / "aside", name, minor) if name == "minor.yaml" else s.records / name
        src, errors = parse_file(str(path), path.read_bytes())  # the model only, no law rules
        assert src is not None and errors == []
        sources.append(src)
    view = decide_records(sources, AS_OF)
    assert [p.name for p in view.public] == ["张三丰"]
    assert "郑minor" in view.withheld_names
    # render the site from that view through Pelican, as `chenglai build` does (the build checks
    # the records folder, which holds only ok.yaml; the view with the minor is handed over)
    out = tmp_path / "out"
    settings = read_settings(str(SETTINGS), override=s.overrides(OUTPUT_PATH=str(out)))
    build = Build.start(settings)
    build.view = view
    token = PENDING.set(build)
    try:
        Pelican(settings).run()
    finally:
        PENDING.reset(token)
    build.finish()
    assert (out / "debtors/2024-lu0502-zhi-1234/index.html").is_file()
    assert grep_tree(out, "郑minor", *_bracket_variants("（2025）鲁0502执4001号")) == []
    leakcheck.check(leakcheck.LeakGate(view), out)  # and the gate agrees: nothing to find


def test_withheld_record_pages_from_an_earlier_build_do_not_survive(tmp_path):
    s = make_site(
        tmp_path, {"a.yaml": record(), "b.yaml": record(case_number="（2024）鲁0502执5001号", debtor__name="冯later")}
    )
    s.build()
    assert (s.output / "debtors/2024-lu0502-zhi-5001/index.html").is_file()
    write(s.records, "b.yaml", record(
        case_number="（2024）鲁0502执5001号", debtor__name="冯later", status="removed",
        removed_on=date(2026, 11, 24), removal_reason="early_deletion",
    ))  # fmt: skip
    s.build(allow_drop=True)
    assert not (s.output / "debtors/2024-lu0502-zhi-5001").exists()
    assert grep_tree(s.output, "冯later") == []
    # the previous build, kept for rollback, still has it: it is outside the public output
    generations = paths.state_dir(s.output) / "generations"
    assert any("冯later" in n for _, n in grep_tree(generations, "冯later"))
    assert "generations" not in {Path(f).parts[0] for f in tree(s.output)}
