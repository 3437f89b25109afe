"""The one state store (generator.state.store): memo, meta, generation files, one transaction;
a damaged or foreign store is an empty store, never an error."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

import pytest

from generator.state.store import FILE, Store, digest_of, gen_key


def test_get_or_make_calls_make_once_per_digest(tmp_path):
    store = Store(tmp_path / FILE, version="v1")
    calls = []

    def make(n):
        calls.append(n)
        return {"n": n}

    ns = store.ns("rows")
    assert ns.get_or_make("a", digest_of(1), lambda: make(1)) == {"n": 1}
    store.commit()
    store.close()
    again = Store(tmp_path / FILE, version="v1")
    ns = again.ns("rows")
    assert ns.get_or_make("a", digest_of(1), lambda: make(1)) == {"n": 1}
    assert ns.get_or_make("a", digest_of(2), lambda: make(2)) == {"n": 2}  # other input: made again
    assert calls == [1, 2]
    assert (ns.hits, ns.misses) == (1, 1)


def test_nothing_is_kept_without_commit(tmp_path):
    store = Store(tmp_path / FILE, version="v1")
    store.ns("rows").put("a", "d", 1)
    store.set_meta("m", 1)
    store.close()  # a crash before the commit point
    again = Store(tmp_path / FILE, version="v1")
    assert again.ns("rows").get("a", "d", None) is None
    assert again.meta("m") is None


def test_full_build_reads_no_memo_but_stores_what_it_makes(tmp_path):
    store = Store(tmp_path / FILE, version="v1")
    store.ns("rows").put("a", "d", "old")
    store.commit()
    store.close()
    full = Store(tmp_path / FILE, reading=False, version="v1")
    assert full.ns("rows").get_or_make("a", "d", lambda: "new") == "new"
    full.commit()
    full.close()
    assert Store(tmp_path / FILE, version="v1").ns("rows").get("a", "d") == "new"


def test_other_code_version_reads_no_memo_but_keeps_history(tmp_path):
    store = Store(tmp_path / FILE, version="v1")
    store.ns("rows").put("a", "d", 1)
    store.set_meta(gen_key("g000001", "recorded"), {"exports": "yesterday"})
    store.set_files("g000001", {"index.html": "x"})
    store.commit()
    store.close()
    other = Store(tmp_path / FILE, version="v2")
    assert other.ns("rows").get("a", "d", None) is None  # another program's results
    # the generations' facts are history: the change files must not forget yesterday's removals
    assert other.meta(gen_key("g000001", "recorded")) == {"exports": "yesterday"}
    assert other.files("g000001") == {"index.html": "x"}


def test_digest_does_not_depend_on_shared_objects():
    day = date(2026, 1, 1)
    shared = [(1, day), (2, day)]
    apart = [(1, date(2026, 1, 1)), (2, date(2026, 1, 1))]
    assert digest_of(shared) == digest_of(apart)


@pytest.mark.parametrize("damage", [b"", b"not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 5000])
def test_damaged_store_is_an_empty_store(tmp_path, damage):
    (tmp_path / FILE).write_bytes(damage)
    store = Store(tmp_path / FILE, version="v1")
    assert store.ns("rows").get("a", "d", None) is None
    store.ns("rows").put("a", "d", 1)
    store.commit()
    store.close()
    assert Store(tmp_path / FILE, version="v1").ns("rows").get("a", "d") == 1


def test_generation_rows_are_pruned_with_their_generation(tmp_path):
    store = Store(tmp_path / FILE, version="v1")
    for g in ("g000001", "g000002", "g000003"):
        store.set_files(g, {"index.html": g})
        store.set_meta(gen_key(g, "info"), {"gen": g})
    store.commit(keep_generations=["g000002", "g000003"])
    store.close()
    again = Store(tmp_path / FILE, version="v1")
    assert again.files("g000001") == {}
    assert again.meta(gen_key("g000001", "info")) is None
    assert again.files("g000003") == {"index.html": "g000003"}
    assert again.meta(gen_key("g000002", "info")) == {"gen": "g000002"}


def test_digest_of_tells_values_apart():
    assert digest_of(date(2026, 1, 1), Decimal("1.10")) == digest_of(date(2026, 1, 1), Decimal("1.10"))
    assert digest_of(Decimal("1.10")) != digest_of(Decimal("1.1"))  # printed differently: not the same input
    assert digest_of("1") != digest_of(1)
    assert digest_of(("a", "b")) != digest_of(("ab",))


def test_store_file_is_private(tmp_path):
    Store(tmp_path / FILE, version="v1").close()
    assert (tmp_path / FILE).stat().st_mode & 0o077 == 0
    # one schema: the two tables
    names = {r[0] for r in sqlite3.connect(tmp_path / FILE).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert names == {"meta", "memo"}


def test_damaged_pages_found_while_reading_give_an_empty_store(tmp_path):
    store = Store(tmp_path / FILE, version="v1")
    for i in range(2000):
        store.ns("rows").put(f"k{i}", "d", "x" * 200)
    store.commit()
    store.close()
    data = bytearray((tmp_path / FILE).read_bytes())
    data[8192:len(data) - 4096] = b"\xa5" * (len(data) - 4096 - 8192)  # the header stays whole
    (tmp_path / FILE).write_bytes(bytes(data))
    store = Store(tmp_path / FILE, version="v1")
    assert store.ns("rows").get("k5", "d", None) is None
    store.ns("other").put("a", "d", 1)
    store.commit()
    store.close()
    assert Store(tmp_path / FILE, version="v1").ns("other").get("a", "d") == 1
