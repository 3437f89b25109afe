"""Test strategy: every test builds what it needs from small, named fixture records written
into tmp_path (see tests/factory.py), and runs the real code on them: real YAML files, a
real Whoosh index, real feeds parsed back, a real browser. Nothing of ours is mocked."""

import pytest


@pytest.fixture(autouse=True)
def _no_certificate_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's CHENGLAI_CERT_SECRET must not change what a test's build writes (the
    /verify/ pages): a test that wants them sets its own."""
    monkeypatch.delenv("CHENGLAI_CERT_SECRET", raising=False)
