"""generator.speedups.qrfast gives segno's own symbols: the same matrix, mask included, one by one
(`matrix`) and for a whole batch at once (`symbols`, numpy)."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import segno

from generator.speedups import qrbatch, qrfast


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


def _segno(text: str, error: str = "m") -> segno.QRCode:
    return segno.make(text, error=error, micro=False)


def test_same_symbols_as_segno():
    for text in _texts():
        expected = [bytes(row) for row in _segno(text).matrix]
        assert qrfast.matrix(text, "m") == expected, text


def test_other_error_levels():
    for level in "lqh":
        for text in _texts()[::40]:
            assert qrfast.matrix(text, level) == [bytes(r) for r in _segno(text, level).matrix]


def _batch_texts() -> list[str]:
    """What a build encodes (record URLs, with an empty SITEURL and with sites of every
    length up to version 11) and texts that are not made in the batch (other modes, non-ASCII,
    too long)."""
    rng = random.Random(7)
    courts = ["lu0502", "lu05", "jing01", "zui", "xin2301", "yue0304", "hu0115", "e0102"]

    def rid() -> str:
        suffix = f"-{rng.randint(2, 9)}" if rng.random() < 0.2 else ""
        return f"20{rng.randint(10, 26)}-{rng.choice(courts)}-zhi-{rng.randint(1, 10 ** rng.randint(1, 7))}{suffix}"

    out = [f"/debtors/{rid()}/" for _ in range(700)]
    for _ in range(700):
        host = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz-") for _ in range(rng.randint(1, 150)))
        out.append(f"https://{host}.example.gov.cn{rng.choice(['', '/portal'])}/debtors/{rid()}/")
    printable = "".join(chr(c) for c in range(32, 127))
    out += ["".join(rng.choice(printable) for _ in range(rng.randint(1, 330))) for _ in range(400)]
    out += ["".join(rng.choice("01\x00\x7f\t\n") for _ in range(rng.randint(1, 60))) for _ in range(50)]
    # not byte mode, or not ASCII, or beyond version 11: made one by one
    out += [str(rng.randint(1, 10**30)) for _ in range(20)]
    out += ["".join(rng.choice("ABC0123 $%*+-./:") for _ in range(rng.randint(1, 80))) for _ in range(20)]
    out += ["/debtors/公告-" + rid() for _ in range(20)] + ["caf\u00e9/\u00ff" * rng.randint(1, 9) for _ in range(10)]
    out += ["x" * rng.randint(320, 600) for _ in range(5)]
    return out


def _batch(texts: list[str], error: str = "m") -> dict[int, np.ndarray]:
    got: dict[int, np.ndarray] = {}
    for indices, matrices in qrbatch.symbols(texts, error):
        assert len(indices) == len(matrices) and matrices.dtype == np.uint8
        for k, m in zip(indices, matrices, strict=True):
            assert k not in got
            got[k] = m
    assert sorted(got) == list(range(len(texts)))
    return got


def test_batch_same_symbols_as_segno():
    texts = _batch_texts()
    got = _batch(texts)
    seen: Counter[tuple[int, str, int]] = Counter()
    for k, text in enumerate(texts):
        qr = _segno(text)
        assert got[k].tolist() == [list(row) for row in qr.matrix], text
        seen[(qr.version, qr.error, qr.mask)] += 1
    # the texts reach every mask, every version of the batch and boosted error levels
    assert {mask for _v, _e, mask in seen} == set(range(8))
    assert {v for v, _e, _m in seen} >= set(range(1, qrbatch.BATCH_MAX_VERSION + 2))
    assert {e for _v, e, _m in seen} >= {"M", "Q", "H"}


def test_batch_other_error_levels():
    texts = _batch_texts()[::10]
    for level in "lqh":
        got = _batch(texts, level)
        for k, text in enumerate(texts):
            assert got[k].tolist() == [list(row) for row in _segno(text, level).matrix], (level, text)


def test_batch_of_one_and_of_none():
    assert list(qrbatch.symbols([])) == []
    [(indices, matrices)] = qrbatch.symbols(["/debtors/2024-lu0505-zhi-100180/"])
    assert indices == [0]
    assert matrices[0].tolist() == [list(r) for r in _segno("/debtors/2024-lu0505-zhi-100180/").matrix]
