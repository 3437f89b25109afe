"""Property (Hypothesis, issue 19): whatever a client sends — arbitrary Unicode, control
characters, lone surrogates, query syntax, very long values, any mix of q, court, region,
ground, kind and page — the search service never answers 5xx: a search (200) or a refusal
(400, a Chinese message as JSON), through the whole WSGI app in process on a real index.
tests/test_search_fuzz.py does the same with a seeded generator; this one shrinks a failure
to its smallest query."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from search.service import make_app

from .search_fixture import build_index
from .test_search_service import call

FUZZ = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
PARAMS = ("q", "court", "region", "ground", "kind", "page")
HAN = re.compile(r"[\u4e00-\u9fff]")

# what people type, and what the index holds: so many examples get past validation to a search
WORDS = ["张", "张三丰", "張三豐", "zhangsan", "zsf", "zs", "鲁0502执1234", "（2024）鲁0502执1234号", "(2024)鲁0502执1234",
         "3705021985****1234", "1234", "东营鑫盛", "有限公司", "利津县人民法院", "东营区", "集中执行", "曾国藩", "單雄信",
         "ＺＨＡＮＧ", "１２３４", "王五", "孙八"]  # fmt: skip
SYNTAX = ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "(", ")", "*", "?", "~", "^", "[", "]", "{", "}", ":", '"',
          "'", "\\", "+", "-", "!", "/", "|", "&", "<", ">", "=", "%", "#", "@", "title:", "name:", "*:*", "a*",
          "[a TO z]", "{1 TO 9}", "~2", "^3", "\u200b", "\ufeff", "\x00", "\n", "\r", "\t", "\ud800", "\udfff",
          "🙂", "ǅ", "ﬀ", "Ⅻ", "١٢٣٤", "𠀀", "\u202e", "\u0301"]  # fmt: skip
VALID = {
    "court": ["lu0502", "lu0522", "lu0523", "LU0502", " lu0502 ", "jing0101"],
    "region": ["370502", "370522", "370523", "000000", "３７０５０２"],
    "ground": ["evades_by_fraud", "able_but_refuses", "violates_asset_report", "EVADES_BY_FRAUD"],
    "kind": ["person", "organization", "news", "Person"],
    "page": ["1", "2", "100", "101", "0", "-1", "1.5", "１", "99999999999999999999999", "1e3", " 1"],
}

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)  # surrogates too
typed = st.lists(st.one_of(st.sampled_from(WORDS), st.text(alphabet=st.characters(categories=["Lo", "Nd", "Lu", "Ll"]),
                                                           min_size=1, max_size=6)),
                 min_size=1, max_size=4).map(" ".join)  # fmt: skip
junk = st.lists(st.sampled_from(SYNTAX + WORDS), min_size=1, max_size=10).map(lambda xs: " ".join(xs))
glued = st.lists(st.sampled_from(SYNTAX + WORDS), min_size=1, max_size=20).map("".join)
long = st.one_of(
    st.text(min_size=95, max_size=110),  # around the 100-character limit
    st.tuples(st.sampled_from(SYNTAX + WORDS), st.integers(50, 3000)).map(lambda t: t[0] * t[1]),
)
value = st.one_of(typed, junk, glued, any_text, long, st.just(""))
# one_of picks a branch evenly: text a person types is given more weight, so that many
# examples get past validation to a real search
query = st.one_of(typed, typed, typed, value)


def _param(key: str) -> st.SearchStrategy[str]:
    if key == "q":
        return query
    return st.one_of(st.sampled_from(VALID[key][:3]), st.sampled_from(VALID[key]), value)


pair = st.sampled_from(PARAMS).flatmap(lambda k: st.tuples(st.just(k), _param(k)))
params = st.one_of(
    st.tuples(query, st.lists(pair, max_size=4)).map(lambda t: [("q", t[0]), *t[1]]),
    st.lists(pair, max_size=7),  # no q, or q twice, in any order
)


def _enc(text: str) -> str:
    # lone surrogates cannot be UTF-8: sent as the bytes a careless client would send
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def query_string(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{_enc(k)}={_enc(v)}" for k, v in pairs)


# WSGI gives the query string as latin-1 text of the raw bytes: anything a client puts there
raw_query = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=255), max_size=200),
    st.lists(st.tuples(st.sampled_from([*PARAMS, "Q", "q[]", "", "=", "&"]), value), max_size=5).map(
        lambda ps: "&".join(f"{k}={v}" for k, v in ps).encode("utf-8", "surrogatepass").decode("latin-1")
    ),
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(build_index(tmp_path_factory.mktemp("hypo")))


def assert_answer(app, qs: str) -> None:
    status, headers, body = call(app, "/api/search", raw_qs=qs)
    assert status < 500, (qs, status, body[:300])
    assert status in (200, 400), (qs, status)
    assert headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    event(f"api {status}" + (" with results" if status == 200 and data["results"] else ""))
    if status == 200:
        assert set(data) == {"query", "total", "page", "per_page", "results", "removed"}
        assert isinstance(data["total"], int) and 1 <= data["page"] <= 100
        for hit in data["results"]:
            assert {"id", "url", "title", "kind", "court", "snippet"} <= set(hit)
    else:
        assert data["status"] == 400 and HAN.search(data["error"]), data
    assert "Traceback" not in body.decode("utf-8")

    status, headers, body = call(app, "/search/", raw_qs=qs)
    assert status in (200, 400), (qs, status, body[:300])
    assert headers["Content-Type"].startswith("text/html")
    assert headers["X-Content-Type-Options"] == "nosniff"


@FUZZ
@given(pairs=params)
def test_any_parameters_answer_200_or_400(app, pairs):
    assert_answer(app, query_string(pairs))


@FUZZ
@given(q=query)
def test_any_query_text_answers_200_or_400(app, q):
    assert_answer(app, "q=" + _enc(q))


@FUZZ
@given(qs=raw_query)
def test_any_raw_query_string_answers_200_or_400(app, qs):
    assert_answer(app, qs)


@FUZZ
@given(q=typed, filters=st.lists(st.sampled_from(PARAMS[1:]), unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({k: st.sampled_from(VALID[k]) for k in keys})))  # fmt: skip
def test_searches_with_plausible_filters_answer_200_or_400(app, q, filters):
    # mostly real searches (the other tests are mostly refusals): filters and pages combined
    assert_answer(app, query_string([("q", q), *filters.items()]))
