"""Reference docs cannot drift from the code: settings and error codes are checked here."""

from pathlib import Path

from scripts.write_settings_doc import render

ROOT = Path(__file__).resolve().parent.parent


def test_settings_doc_matches_the_defaults_table():
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == render(), (
        "docs/settings.md is stale: run python scripts/write_settings_doc.py"
    )


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make serve" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
