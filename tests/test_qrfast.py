"""generator.qrfast gives segno's own symbols: the same matrix, mask included."""

from __future__ import annotations

import random

import segno

from generator import qrfast


def _texts() -> list[str]:
    rng = random.Random(20261125)
    courts = ["lu0502", "lu05", "jing01", "zui", "xin2301", "yue0304"]
    out = [
        f"/debtors/20{rng.randint(10, 26)}-{rng.choice(courts)}-zhi-{rng.randint(1, 9_999_999)}/" for _ in range(400)
    ]
    out += [
        f"https://zxgk.example.gov.cn/debtors/2025-{rng.choice(courts)}-zhi-{rng.randint(1, 99_999)}-{rng.randint(1, 9)}/"
        for _ in range(400)
    ]
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789/:.-ABCDEFGHIJ %$*+"
    out += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 700))) for _ in range(400)]
    out += ["公告" * rng.randint(1, 40) for _ in range(30)]
    return out + ["1", "12345678901234567890" * 5, "HELLO WORLD"]


def test_same_symbols_as_segno():
    for text in _texts():
        expected = [bytes(row) for row in segno.make(text, error="m", micro=False).matrix]
        assert qrfast.matrix(text, "m") == expected, text


def test_other_error_levels():
    for level in "lqh":
        for text in _texts()[::40]:
            assert qrfast.matrix(text, level) == [bytes(r) for r in segno.make(text, error=level, micro=False).matrix]
