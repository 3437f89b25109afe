"""writer.changed_lines: the part of a rewritten file the leak gate scans in an incremental build
must hold every line the live file lacks (random edits checked against a brute-force answer)."""

import random

import pytest

from generator.build import writer


@pytest.fixture(params=[4, 1 << 16])
def block(request, monkeypatch):
    monkeypatch.setattr(writer, "_BLOCK", request.param)  # small blocks: the edges of every loop


def _edit(lines: list[bytes], rng: random.Random) -> list[bytes]:
    out = list(lines)
    for _ in range(rng.randint(0, 3)):
        op = rng.randint(0, 3)
        if op == 0 and out:
            out.pop(rng.randrange(len(out)))  # a removal
        elif op == 1:
            out.insert(rng.randint(0, len(out)), bytes(rng.choice(b"abc") for _ in range(rng.randint(0, 3))))
        elif op == 2 and out:
            i = rng.randrange(len(out))
            out[i] += b"c"  # a change in place
        elif out:
            out.insert(rng.randint(0, len(out)), out.pop(rng.randrange(len(out))))  # a move
    return out


def test_changed_lines_hold_every_new_line(block):
    rng = random.Random(7)
    for _ in range(5000):
        lines = [bytes(rng.choice(b"ab") for _ in range(rng.randint(0, 3))) for _ in range(rng.randint(0, 7))]
        old = b"\n".join(lines) + rng.choice([b"", b"\n"])
        new = b"\n".join(_edit(lines, rng)) + rng.choice([b"", b"\n"])
        start, end = writer.changed_lines(old, new)
        assert 0 <= start <= end <= len(new)
        assert start == 0 or new[start - 1 : start] == b"\n"
        assert end == len(new) or new[end : end + 1] == b"\n"
        outside = (new[:start].split(b"\n")[:-1] if start else []) + (
            new[end + 1 :].split(b"\n") if end < len(new) else []
        )
        assert set(outside) <= set(old.split(b"\n")), (old, new, start, end)
        n, p = min(len(old), len(new)), 0
        while p < n and old[p] == new[p]:
            p += 1
        assert writer._common_prefix(old, new) == p


def test_one_changed_row_is_all_that_is_scanned():
    rows = [b"%06d,name-%d" % (i, i) for i in range(50000)]
    old = b"\n".join(rows) + b"\n"
    rows[25000] = b"025000,changed"
    new = b"\n".join(rows) + b"\n"
    start, end = writer.changed_lines(old, new)
    assert new[start:end] == b"025000,changed"
