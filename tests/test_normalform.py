"""The one normal form for matching (generator.domain.normalform, SPEC §3): each step on its own,
the map back to the text as found, full IDs in every disguise, and Hypothesis properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.domain import normalform
from generator.domain.ids import FULL_ID_RE, check_digit

BODY = "37050219850101123"
FULL_ID = BODY + check_digit(BODY)
FULLWIDTH = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})
ASCII_FULL_ID = re.compile(FULL_ID_RE.pattern, re.ASCII)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("隱沒甲乙", "隐没甲乙"),  # Traditional → Simplified
        ("張三豐", "张三丰"),
        ("隐\u200b没甲乙", "隐没甲乙"),  # zero-width space
        ("隐\u200d没\u2060甲\ufeff乙", "隐没甲乙"),  # joiner, word joiner, BOM
        ("隐没\u00ad甲乙", "隐没甲乙"),  # soft hyphen
        ("隐\u202e没\u2066甲\u2069乙", "隐没甲乙"),  # bidi controls
        ("隐\ufe0f没甲\U000e0101乙", "隐没甲乙"),  # variation selectors (not Cf: Default_Ignorable)
        ("隐\u3164没\uffa0甲乙", "隐没甲乙"),  # Hangul fillers
        ("隐\x01没\x7f甲乙", "隐没甲乙"),  # invisible controls
        ("隐 没\u00a0甲\u3000乙", "隐没甲乙"),  # spaces of every kind between Han characters
        ("隐\n  没\t甲\u2003乙", "隐没甲乙"),
        ("Ａ公司", "A公司"),  # full-width → ASCII
        ("\u2f08\uf900", "人岂"),  # a Kangxi radical, a compatibility ideograph (Traditional 豈)
        ("〔2024〕鲁0502执2001号", "(2024)鲁0502执2001号"),  # one bracket
        ("［2024］鲁0502执2001号", "(2024)鲁0502执2001号"),
        ("（２０２４）鲁０５０２执２００１号", "(2024)鲁0502执2001号"),
        ("（ 2024 ）鲁 0502 执 2001 号", "(2024)鲁0502执2001号"),  # a case number's groups
        ("（2024）鲁-0502-执-2001号", "(2024)鲁0502执2001号"),
        ("370502 1985 0101 1234", "370502198501011234"),  # an ID's groups
        ("370502-19850101-1234", "370502198501011234"),
        ("３７０５０２　１９８５０１０１　１２３４", "370502198501011234"),
        ("A B", "A B"),  # Latin words keep their space
        ("王-伟", "王-伟"),  # a hyphen between Han characters is no case-number joint
        ("2026-11-25 12:00", "2026-11-25 12:00"),  # dates are no ID
        ("1234 5678", "1234 5678"),
        ("e\u0301", "é"),  # NFKC composes
        ("e\u200b\u0301", "é"),
    ],
)
def test_each_step(text, expected):
    assert normalform.normal(text) == expected
    assert normalform.normal_map(text)[0] == expected


def test_the_map_gives_the_text_as_found():
    text = "新闻：隐\u200b没 甲\u00ad乙，另有（２０２４）鲁 0502 执 2001 号。"
    norm, where = normalform.normal_map(text)
    for needle, found in [
        ("隐没甲乙", "隐\u200b没 甲\u00ad乙"),
        ("2024)鲁0502执2001号", "２０２４）鲁 0502 执 2001 号"),
    ]:
        at = norm.index(needle)
        start, end = where.span(at, at + len(needle))
        assert text[start:end] == found
    assert normalform.visible("隐\u200b没\u00a0甲") == "隐⟨U+200B⟩没⟨U+00A0⟩甲"


@pytest.mark.parametrize(
    "written",
    [
        FULL_ID,
        FULL_ID.translate(FULLWIDTH),
        f"{FULL_ID[:6]} {FULL_ID[6:14]} {FULL_ID[14:]}",
        f"{FULL_ID[:6]} {FULL_ID[6:10]} {FULL_ID[10:14]} {FULL_ID[14:]}",
        f"{FULL_ID[:6]}-{FULL_ID[6:14]}-{FULL_ID[14:]}",
        f"{FULL_ID[:6]}\u2013{FULL_ID[6:14]}\u2013{FULL_ID[14:]}",  # en dashes
        f"{FULL_ID[:3]} {FULL_ID[3:6]} {FULL_ID[6:10]} {FULL_ID[10:14]} {FULL_ID[14:]}",
        "\u200b".join(FULL_ID),  # an invisible character between every digit
        f"{FULL_ID[:9]}\u00a0{FULL_ID[9:]}".translate(FULLWIDTH),
    ],
)
def test_full_ids_in_every_disguise(written):
    found = normalform.find_full_ids(f"号码：{written}。")
    assert [(number, f"号码：{written}。"[s:e]) for s, e, number in found] == [(FULL_ID, written)]


def test_the_check_character_x_and_what_is_no_full_id():
    body = "11010519491231002"
    x_id = body + check_digit(body)
    assert x_id.endswith("X")
    assert [n for _s, _e, n in normalform.find_full_ids(f"{x_id[:6]} {x_id[6:14]} {x_id[14:-1]}ｘ")] == [x_id]
    for text in [
        "3705021985****1234",  # masked
        "2026-11-25 2026-11-26",  # dates
        FULL_ID + "5",  # 19 digits
        "1" + FULL_ID,
        f"{FULL_ID}abc",  # a letter right after
        "共 15604 条，1401 条，2871 人",
    ]:
        assert normalform.find_full_ids(text) == [], text


def test_a_spaced_id_beside_other_numbers():
    text = f"电话 0546 8888888，证件 {FULL_ID[:6]} {FULL_ID[6:14]} {FULL_ID[14:]} 无误"
    assert [n for _s, _e, n in normalform.find_full_ids(text)] == [FULL_ID]


def test_traditional_table_and_converter():
    t = normalform.tables()
    assert t.traditional["隱"] == "隐" and "王" not in t.traditional
    assert normalform.t2s("乾燥") == "干燥"  # a phrase: 乾 alone stays
    assert normalform.s2t("干燥") == "乾燥"


# -- properties ---------------------------------------------------------------------------------

DISGUISE = st.sampled_from(
    [" ", "\u00a0", "\u3000", "\u200b", "\u200d", "\u00ad", "\u202e", "\u2066", "\ufe0f", "\n", "\t", "-", "\u2013"]
)
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("隐没甲乙隱沒張三豐王伟（）()〔〕[]０１２３４５６７８９0123456789XxＸ号执鲁 -"),
        DISGUISE,
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_normal_and_normal_map_agree(text):
    norm, where = normalform.normal_map(text)
    assert normalform.normal(text) == norm
    for i in range(len(norm)):
        start, end = where.span(i, i + 1)
        assert 0 <= start < end <= len(text)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_find_full_ids_is_full_id_re_over_the_normal_form(text):
    found = [number for _s, _e, number in normalform.find_full_ids(text)]
    assert found == [m.group().upper() for m in ASCII_FULL_ID.finditer(normalform.normal(text))]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 17), st.sampled_from([" ", "-", "\u3000", "\u00a0", "  ", " - "])),
        max_size=4,
        unique_by=lambda cut: cut[0],
    ),
    st.booleans(),
    st.text(alphabet="的号码是：，。 ", max_size=6),
)
def test_a_full_id_in_random_groups_is_always_found(cuts, wide, around):
    number = written = FULL_ID
    for at, sep in sorted(cuts, reverse=True):
        written = written[:at] + sep + written[at:]
    if wide:
        written = written.translate(FULLWIDTH)
    assert [n for _s, _e, n in normalform.find_full_ids(around + written + around)] == [number]


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, max_size=8))
def test_normal_many_is_normal_of_each(texts):
    assert normalform.normal_many(texts) == [normalform.normal(t) for t in texts]
