"""The build manifest (generator.plan): written patched from the live build's text, it is the
same text as written whole, and read back (fast copy or JSON) it is the same manifest."""

from __future__ import annotations

import json
import random

from generator import plan
from generator.plan import MANIFEST_FAST, ManifestEntry, read_manifest, write_manifest


def _manifest(rnd: random.Random, n: int) -> dict[str, ManifestEntry]:
    names = ["index.html", "notice/index.html", '引号"与,号].html', '],"x', "a b.xml"]
    return {
        f"d{rnd.randrange(10**6)}/{rnd.choice(names)}": ManifestEntry(f"{rnd.getrandbits(64):016x}", rnd.randrange(9999),
                                                                       rnd.randrange(10**18))
        for _ in range(n)
    }  # fmt: skip


def test_patched_text_equals_whole_text(tmp_path):
    rnd = random.Random(5)
    key = json.JSONEncoder(ensure_ascii=False).encode
    for n in (0, 1, 2, 50, 300):
        old = _manifest(rnd, n)
        (tmp_path / "old").mkdir(exist_ok=True)
        write_manifest(tmp_path / "old" / "manifest.json", old)
        for _ in range(10):
            new = dict(old)
            for rel in rnd.sample(sorted(old), k=min(len(old), rnd.randrange(4))):
                del new[rel]
            for rel in rnd.sample(sorted(old), k=min(len(old), rnd.randrange(4))):
                new[rel] = ManifestEntry("f" * 16, 1, 2)
            new.update(_manifest(rnd, rnd.randrange(4)))
            (tmp_path / "whole").mkdir(exist_ok=True)
            (tmp_path / "patched").mkdir(exist_ok=True)
            write_manifest(tmp_path / "whole" / "manifest.json", new)
            previous = read_manifest(tmp_path / "old" / "manifest.json")
            assert (
                plan._patched(key, tmp_path / "old" / "manifest.json", previous, new) is not None
            )  # not written whole
            write_manifest(tmp_path / "patched" / "manifest.json", new, tmp_path / "old" / "manifest.json", previous)
            whole = (tmp_path / "whole" / "manifest.json").read_text(encoding="utf-8")
            assert (tmp_path / "patched" / "manifest.json").read_text(encoding="utf-8") == whole
            assert json.loads(whole) == {"files": {k: list(e) for k, e in new.items()}}
            assert read_manifest(tmp_path / "patched" / "manifest.json") == new
            (tmp_path / "patched" / MANIFEST_FAST).unlink()  # the JSON alone reads the same
            assert read_manifest(tmp_path / "patched" / "manifest.json") == new


def test_a_text_that_is_not_the_previous_manifest_is_written_whole(tmp_path):
    rnd = random.Random(9)
    old = _manifest(rnd, 30)
    write_manifest(tmp_path / "manifest.json", old)
    (tmp_path / "manifest.json").write_text('{"files":{}}', encoding="utf-8")  # not what `old` says
    new = {**old, "new.html": ManifestEntry("0" * 16, 1, 1)}
    (tmp_path / "out").mkdir()
    write_manifest(tmp_path / "out" / "manifest.json", new, tmp_path / "manifest.json", old)
    (tmp_path / "out" / MANIFEST_FAST).unlink()
    assert read_manifest(tmp_path / "out" / "manifest.json") == new
