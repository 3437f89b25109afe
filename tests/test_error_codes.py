"""Every error code is documented in docs/error-codes.md, and every code the code raises exists."""

from __future__ import annotations

import re
from pathlib import Path

from generator.errors import CODES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "error-codes.md"
HEADING = re.compile(r"^### (E\d{3}) (.+)$", re.M)
RAISED = re.compile(r"""["'](E\d{3})["']""")


def documented() -> dict[str, str]:
    return dict(HEADING.findall(DOC.read_text(encoding="utf-8")))


def raised() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "generator").rglob("*.py")):
        if path.name == "errors.py":
            continue
        for code in RAISED.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_code_is_documented_under_its_title():
    docs = documented()
    missing = sorted(set(CODES) - set(docs))
    assert not missing, f"undocumented in docs/error-codes.md: {missing}"
    assert {code: docs[code] for code in CODES} == CODES


def test_every_documented_code_has_meaning_and_fix():
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    for section in sections:
        assert "**含义**" in section and "**修改**" in section, section.splitlines()[0]


def test_every_raised_code_is_known():
    unknown = {code: where for code, where in raised().items() if code not in CODES}
    assert not unknown, f"raised but not in errors.CODES: {unknown}"


def test_every_code_is_raised_somewhere():
    assert sorted(set(CODES) - set(raised())) == []
