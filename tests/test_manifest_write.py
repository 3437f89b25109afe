"""The build manifest (generator.read.plan): written patched from the live build's text, it is the
same text as written whole, and read back (fast copy or JSON) it is the same manifest."""

from __future__ import annotations

import json
import marshal
import os
import random

from generator.read import plan
from generator.read.plan import MANIFEST_FAST, ManifestEntry, read_manifest, write_manifest


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


def test_a_chain_of_patched_manifests_reads_back_from_base_and_delta(tmp_path):
    """Each build after the first links the fast copy of the build before and writes what
    differs beside it (MANIFEST_DELTA); every one reads back as its manifest, JSON included."""
    rnd = random.Random(11)
    current = _manifest(rnd, 400)
    folder = tmp_path / "b0"
    folder.mkdir()
    write_manifest(folder / "manifest.json", current)
    for n in range(1, 8):
        new = dict(current)
        for rel in rnd.sample(sorted(current), k=rnd.randrange(4)):
            del new[rel]
        for rel in rnd.sample(sorted(new), k=rnd.randrange(4)):
            new[rel] = ManifestEntry(f"{n:016x}", n, n)
        new.update(_manifest(rnd, rnd.randrange(4)))
        if n == 4:  # a path removed and made again
            gone = sorted(current)[0]
            new.pop(gone, None)
        if n == 5:
            new[sorted(current)[0]] = ManifestEntry("a" * 16, 5, 5)
        previous = read_manifest(folder / "manifest.json")
        assert previous == current
        target = tmp_path / f"b{n}"
        target.mkdir()
        write_manifest(target / "manifest.json", new, folder / "manifest.json", previous)
        assert (target / plan.MANIFEST_DELTA).is_file()
        assert os.path.samefile(target / MANIFEST_FAST, tmp_path / "b0" / MANIFEST_FAST)  # the first build's copy
        assert read_manifest(target / "manifest.json") == new
        whole = tmp_path / f"w{n}"
        whole.mkdir()
        write_manifest(whole / "manifest.json", new)
        assert (target / "manifest.json").read_bytes() == (whole / "manifest.json").read_bytes()
        folder, current = target, new
    # without its delta, or with a base that is not the one the delta names, the JSON is read
    (folder / plan.MANIFEST_DELTA).unlink()
    assert read_manifest(folder / "manifest.json") == current
    assert all(type(e) is ManifestEntry for e in read_manifest(folder / "manifest.json").values())


def test_a_delta_past_the_limit_writes_the_fast_copy_whole(tmp_path, monkeypatch):
    rnd = random.Random(12)
    old = _manifest(rnd, 50)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_manifest(tmp_path / "a" / "manifest.json", old)
    monkeypatch.setattr(plan, "PATCH_MAX", 3)
    new = {**old, **_manifest(rnd, 3)}
    new[sorted(old)[0]] = ManifestEntry("b" * 16, 1, 1)
    write_manifest(tmp_path / "b" / "manifest.json", new, tmp_path / "a" / "manifest.json", old)
    assert not (tmp_path / "b" / plan.MANIFEST_DELTA).exists()
    assert not os.path.samefile(tmp_path / "b" / MANIFEST_FAST, tmp_path / "a" / MANIFEST_FAST)
    assert read_manifest(tmp_path / "b" / "manifest.json") == new


def test_a_stale_base_is_not_read(tmp_path):
    """A base rewritten after its delta was written (another size or mtime): the JSON is read."""
    rnd = random.Random(13)
    old = _manifest(rnd, 20)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_manifest(tmp_path / "a" / "manifest.json", old)
    new = {**old, "x/index.html": ManifestEntry("c" * 16, 2, 2)}
    write_manifest(tmp_path / "b" / "manifest.json", new, tmp_path / "a" / "manifest.json", old)
    base = tmp_path / "b" / MANIFEST_FAST
    base.unlink()
    base.write_bytes(marshal.dumps({"other.html": ("d" * 16, 1, 1)}))
    assert read_manifest(tmp_path / "b" / "manifest.json") == new


def test_paths_at_both_ends_and_every_path_removed(tmp_path):
    key = json.JSONEncoder(ensure_ascii=False).encode
    old = {f"p{i:03d}/index.html": ManifestEntry(f"{i:016x}", i, i) for i in range(20)}
    (tmp_path / "a").mkdir()
    write_manifest(tmp_path / "a" / "manifest.json", old)
    cases = [
        {**old, "a-first.html": ManifestEntry("1" * 16, 1, 1), "z-last.html": ManifestEntry("2" * 16, 2, 2)},
        {k: e for k, e in old.items() if k not in ("p000/index.html", "p019/index.html")},
        {**old, "p000/index.html": ManifestEntry("3" * 16, 3, 3), "p019/index.html": ManifestEntry("4" * 16, 4, 4)},
        {},
        {"only.html": ManifestEntry("5" * 16, 5, 5)},
    ]
    for i, new in enumerate(cases):
        out = tmp_path / f"c{i}"
        out.mkdir()
        text = plan._patched(key, tmp_path / "a" / "manifest.json", old, new)
        assert text is not None
        assert text.decode("utf-8") == json.dumps({"files": {k: list(e) for k, e in sorted(new.items())}}, ensure_ascii=False,
                                  separators=(",", ":"))  # fmt: skip
        write_manifest(out / "manifest.json", new, tmp_path / "a" / "manifest.json", old)
        assert read_manifest(out / "manifest.json") == new


def test_paths_with_backslashes_and_quotes_are_found(tmp_path):
    names = ["a\\", 'b\\"c', "c\\\\", 'd"', 'e\\\\\\"f', "引号\\"]
    old = {f"{n}/{i}": ManifestEntry(f"{i:016x}", i, i) for i, n in enumerate(names)}
    (tmp_path / "a").mkdir()
    write_manifest(tmp_path / "a" / "manifest.json", old)
    for rel in sorted(old):
        new = {**old, rel: ManifestEntry("9" * 16, 9, 9), rel + "x": ManifestEntry("8" * 16, 8, 8)}
        out = tmp_path / "o"
        out.mkdir(exist_ok=True)
        write_manifest(out / "manifest.json", new, tmp_path / "a" / "manifest.json", old)
        assert json.loads((out / "manifest.json").read_bytes()) == {"files": {k: list(e) for k, e in new.items()}}
        assert plan._patched(json.JSONEncoder(ensure_ascii=False).encode, tmp_path / "a" / "manifest.json", old, new)
