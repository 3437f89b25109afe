"""axe-core on every page kind: zero violations (WCAG 2.1 A/AA and best practices axe runs by default)."""

from __future__ import annotations

import pytest

from .artifacts import AXE
from .pages import PAGE_NAMES, path_for


@pytest.fixture(scope="session")
def axe_path() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} 不存在：先运行 make browser-deps（npm install axe-core@4.14.1）")
    return str(AXE)


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {n['target']} {n.get('failureSummary', '').splitlines()[-1:]}" for n in v["nodes"][:5])
    return "\n".join(lines)


@pytest.mark.parametrize("kind", PAGE_NAMES)
def test_no_axe_violations(axe_page, site, axe_path, kind):
    page = axe_page
    page.goto(path_for(site, kind))
    page.add_script_tag(path=axe_path)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert result["testEngine"]["version"] == "4.14.1"
    assert len(result["passes"]) > 10  # axe really looked at the page
    assert result["violations"] == [], f"{kind}:\n" + _describe(result["violations"])
