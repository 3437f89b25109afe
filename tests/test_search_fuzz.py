"""Junk in, 200 or 400 out: random unicode, Whoosh query syntax and very long strings, through
the whole WSGI app (seeded, so a failure reproduces)."""

from __future__ import annotations

import json
import random
from urllib.parse import quote

import pytest

from search.service import make_app

from .search_fixture import build_index
from .test_search_service import call

SYNTAX = ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "(", ")", "*", "?", "~", "^", "[", "]", "{", "}", ":",
          '"', "'", "\\", "+", "-", "!", "/", "|", "&", "<", ">", "=", "%", "#", "@", "$", "·", "（", "）", "〔",
          "〕", "号", "执", "鲁0502", "2024", "张", "zhang", "3705021985****1234", "****", "title:", "name:", "*:*",
          "\u200b", "\ufeff", "\x00", "\n", "\t", "\ud800", "🙂", "ǅ", "ﬀ", "Ⅻ", "١٢٣٤", "𠀀"]  # fmt: skip
RANGES = [(0x20, 0x7E), (0x80, 0x2FF), (0x3000, 0x303F), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF), (0x1F300, 0x1F6FF),
          (0x0, 0x1F), (0xE000, 0xE0FF), (0x20000, 0x2A6DF), (0x0300, 0x036F)]  # fmt: skip


def _junk(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return " ".join(rng.choice(SYNTAX) for _ in range(rng.randint(1, 8)))
    if kind < 0.8:
        lo, hi = rng.choice(RANGES)
        return "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 30)))
    if kind < 0.9:
        return rng.choice(SYNTAX) * rng.randint(50, 5000)
    return "".join(rng.choice(SYNTAX) for _ in range(rng.randint(1, 40)))


def _q(text: str) -> str:
    # surrogates cannot be UTF-8 encoded: send them as the raw bytes a client might
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(build_index(tmp_path_factory.mktemp("fuzz")))


def test_junk_queries_answer_200_or_400(app):
    rng = random.Random(20261125)
    seen = {200: 0, 400: 0}
    for _ in range(1500):
        text = _junk(rng)
        qs = "q=" + _q(text)
        if rng.random() < 0.3:
            qs += "&" + rng.choice(["court", "region", "ground", "kind", "page"]) + "=" + _q(_junk(rng)[:50])
        for path in ("/api/search", "/search/"):
            status, headers, body = call(app, path, raw_qs=qs)
            assert status in (200, 400), (text, status, body[:300])
            if path == "/api/search":
                data = json.loads(body)
                assert ("results" in data) if status == 200 else (data["status"] == 400)
            assert headers["X-Content-Type-Options"] == "nosniff"
        seen[status] += 1
    assert seen[200] > 50 and seen[400] > 50  # the fuzz reaches both the search and the refusals


@pytest.mark.parametrize("raw", ["q=%", "q=%zz", "q=%ED%A0%80", "q=" + "%E5%BC%A0" * 101, "q=a&q=b", "&&&", "q"])
def test_malformed_query_strings(app, raw):
    status, _headers, _body = call(app, "/api/search", raw_qs=raw)
    assert status in (200, 400)
