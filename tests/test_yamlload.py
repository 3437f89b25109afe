"""Hostile record files: each gives one clear error line, never a traceback, never runs code,
and costs bounded time and memory."""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
import yaml

from generator.domain import yamlload
from generator.read.checker import check_paths
from generator.staff.demo import to_yaml

from .factory import record


def problems(path: Path) -> list[tuple[int, str, str]]:
    return [(e.line, e.code, e.field) for e in check_paths([path]).errors]


def put(tmp_path: Path, data: bytes | str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


VALID = to_yaml(record())


def test_valid_file_keeps_the_line_of_every_key():
    value, lines, _text = yamlload.load("r.yaml", ("# 注释\n" + VALID).encode())
    text_lines = ("# 注释\n" + VALID).splitlines()
    assert value["debtor"]["name"] == "张三丰" and value["filed_on"] == date(2024, 3, 5)
    assert text_lines[lines[("debtor", "name")] - 1].strip().startswith("name:")
    assert text_lines[lines[("vetting", "vetted_on")] - 1].strip().startswith("vetted_on:")
    assert text_lines[lines[("grounds", 0)] - 1].strip() == "- evades_by_fraud"
    assert lines[("case_number",)] == 2


def test_gbk_file_says_save_as_utf8(tmp_path):
    path = put(tmp_path, VALID.encode("gbk"))
    errors = check_paths([path]).errors
    assert [(e.line, e.code) for e in errors] == [(1, "E001")]
    assert "GBK" in errors[0].message and "另存为 UTF-8" in errors[0].message


def test_gbk_error_names_the_first_non_utf8_line(tmp_path):
    path = put(tmp_path, b"# ascii\ncase_number: x\ncourt: " + "东营".encode("gbk") + b"\n")
    assert problems(path) == [(3, "E001", "-")]


def test_utf16_file_says_save_as_utf8(tmp_path):
    path = put(tmp_path, VALID.encode("utf-16"))
    errors = check_paths([path]).errors
    assert [(e.line, e.code) for e in errors] == [(1, "E001")] and "UTF-16" in errors[0].message


def test_utf8_bom_is_accepted(tmp_path):
    path = put(tmp_path, b"\xef\xbb\xbf" + VALID.encode())
    assert problems(path) == []


@pytest.mark.parametrize("data", ["", "\n\n   \n", "# 只有注释\n# 第二行\n", "---\n...\n"])
def test_empty_or_comment_only_file(tmp_path, data):
    assert problems(put(tmp_path, data)) == [(1, "E002", "-")]


def test_list_instead_of_mapping(tmp_path):
    path = put(tmp_path, "# 一个文件一条记录\n- case_number: （2024）鲁0502执1号\n- case_number: （2024）鲁0502执2号\n")
    errors = check_paths([path]).errors
    assert [(e.line, e.code) for e in errors] == [(2, "E004")] and "列表" in errors[0].message


def test_single_value_instead_of_mapping(tmp_path):
    assert problems(put(tmp_path, "张三丰\n")) == [(1, "E004", "-")]


PAYLOADS = [
    "a: !!python/object/apply:os.system ['touch {marker}']\n",
    "!!python/object/apply:subprocess.call [['touch', '{marker}']]\n",
    "a: !!python/object/apply:builtins.exec [\"open('{marker}', 'w').close()\"]\n",
    "a:\n  b: !!python/object/apply:os.system\n    args: ['touch {marker}']\n",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_python_tags_are_refused_and_never_run(tmp_path, payload):
    marker = tmp_path / "executed"
    text = payload.format(marker=marker)
    errors = check_paths([put(tmp_path, text)]).errors
    assert [e.code for e in errors] == ["E005"] and "python/object" in errors[0].message
    assert not marker.exists()
    # the payload is live: an unsafe loader does create the file (in a child, to keep this process clean)
    run = [sys.executable, "-c", "import sys, yaml; yaml.unsafe_load(sys.stdin.read())"]
    subprocess.run(run, input=text, text=True, capture_output=True, timeout=30)
    assert marker.exists()


@pytest.mark.parametrize("text", ["a: !foo 1\n", "a: !!binary aGVsbG8=\n", "a: !!set {x, y}\n", "a: !!omap [x: 1]\n"])
def test_other_tags_are_refused(tmp_path, text):
    assert problems(put(tmp_path, text)) == [(1, "E005", "a")]


def test_plain_yaml_tags_are_allowed(tmp_path):
    path = put(tmp_path, VALID.replace("region_code: '370502'", "region_code: !!str 370502"))
    assert problems(path) == []


def test_billion_laughs_is_refused_fast_with_bounded_memory(tmp_path):
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):  # 9^10 ≈ 3.5 billion strings if expanded
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    path = put(tmp_path, "\n".join(levels) + "\n")
    tracemalloc.start()
    started = time.perf_counter()
    errors = check_paths([path]).errors
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(e.line, e.code, e.field) for e in errors] == [(2, "E006", "b")]
    assert elapsed < 1.0 and peak < 5_000_000, (elapsed, peak)


def test_any_alias_is_refused_where_it_stands(tmp_path):
    text = VALID.replace("listed_on: 2025-06-01", "listed_on: &day 2025-06-01").replace(
        "vetted_on: 2025-05-30", "vetted_on: *day"
    )
    path = put(tmp_path, text)
    errors = check_paths([path]).errors
    assert [(e.code, e.field) for e in errors] == [("E006", "vetting.vetted_on")]
    assert errors[0].line == text.splitlines().index("  vetted_on: *day") + 1


def test_merge_key_alias_is_refused(tmp_path):
    assert problems(put(tmp_path, "x: &x {a: 1}\ny:\n  <<: *x\n")) == [(3, "E006", "y.<<")]


def test_broken_indentation_names_the_line(tmp_path):
    text = VALID.replace("  name: 张三丰", " name: 张三丰")
    errors = check_paths([put(tmp_path, text)]).errors
    bad = text.splitlines().index(" name: 张三丰") + 1
    assert [e.code for e in errors] == ["E003"] and errors[0].line in (bad, bad + 1)
    assert "缩进" in errors[0].message


def test_tab_indentation(tmp_path):
    text = VALID.replace("  name: 张三丰", "\tname: 张三丰")
    errors = check_paths([put(tmp_path, text)]).errors
    assert [(e.line, e.code) for e in errors] == [(text.splitlines().index("\tname: 张三丰") + 1, "E003")]
    assert "Tab" in errors[0].message


def test_duplicate_key(tmp_path):
    text = VALID + "court: 东营市中级人民法院\n"
    errors = check_paths([put(tmp_path, text)]).errors
    assert [(e.line, e.code, e.field) for e in errors] == [(len(text.splitlines()), "E003", "court")]
    assert "重复" in errors[0].message


def test_duplicate_nested_key(tmp_path):
    text = VALID.replace("  name: 张三丰\n", "  name: 张三丰\n  name: 李四\n")
    assert problems(put(tmp_path, text)) == [(text.splitlines().index("  name: 李四") + 1, "E003", "debtor.name")]


def test_deep_nesting_stops_at_the_limit(tmp_path):
    text = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 20)) + "  " * 20 + "v\n"
    errors = check_paths([put(tmp_path, text)]).errors
    assert [(e.line, e.code) for e in errors] == [(yamlload.MAX_DEPTH + 1, "E004")]


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_flow_nesting_to_the_size_limit_does_not_crash(tmp_path, opener):
    # libyaml's recursive composer segfaults on this; the streaming loader stops at depth 8
    closer = "]" if opener == "[" else "}"
    n = (yamlload.MAX_BYTES - 10) // (len(opener) + 1)
    text = "a: " + opener * n + "1" + closer * n + "\n"
    assert len(text.encode()) <= yamlload.MAX_BYTES
    started = time.perf_counter()
    assert [e.code for e in check_paths([put(tmp_path, text)]).errors] == ["E004"]
    assert time.perf_counter() - started < 1.0


def test_oversized_file(tmp_path):
    path = put(tmp_path, VALID + "# " + "x" * yamlload.MAX_BYTES + "\n")
    assert problems(path) == [(1, "E007", "-")]


def test_binary_file(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    errors = check_paths([put(tmp_path, png)]).errors
    assert [(e.line, e.code) for e in errors] == [(1, "E008")] and "二进制" in errors[0].message


def test_control_character_names_its_line(tmp_path):
    text = VALID.replace("name: 张三丰", "name: 张三\x07丰")
    errors = check_paths([put(tmp_path, text)]).errors
    assert [(e.line, e.code) for e in errors] == [(text.splitlines().index("  name: 张三\x07丰") + 1, "E003")]
    assert "\n" not in str(errors[0])


def test_two_documents_in_one_file(tmp_path):
    assert problems(put(tmp_path, VALID + "---\n" + VALID)) == [(len(VALID.splitlines()) + 1, "E003", "-")]


def test_unterminated_quote(tmp_path):
    text = VALID.replace("obligation: 支付货款120000元及利息", "obligation: '支付货款120000元及利息")
    assert [e.code for e in check_paths([put(tmp_path, text)]).errors] == ["E003"]


def test_non_text_keys_are_refused(tmp_path):
    assert problems(put(tmp_path, "? [a, b]\n: c\n")) == [(1, "E003", "-")]


def test_number_keys_are_unknown_fields_not_crashes(tmp_path):
    path = put(tmp_path, VALID + "2024: x\nyes: y\n")
    assert [(e.code, e.field) for e in check_paths([path]).errors] == [("E010", "2024"), ("E010", "yes")]


def test_scalars_follow_yaml_1_1_like_pyyaml():
    text = "a: 370502\nb: '370502'\nc: 2024-03-05\nd: 12.5\ne: null\nf: ~\ng: true\nh: 0x1F\ni: 张三\nj: 2024-02-30\nk: 1_000\n"
    value, _lines, _ = yamlload.load("r.yaml", text.encode())
    assert value == yaml.safe_load(text.replace("j: 2024-02-30", "j: '2024-02-30'"))


def test_every_hostile_file_at_once_gives_one_line_each(tmp_path):
    """All problems of all files in one run: the loader never stops the checker."""
    files = {
        "gbk.yaml": VALID.encode("gbk"),
        "empty.yaml": b"",
        "list.yaml": b"- a\n- b\n",
        "tag.yaml": f"a: !!python/object/apply:os.system ['touch {tmp_path / 'x'}']\n".encode(),
        "bomb.yaml": b"a: &a [x, x]\nb: [*a, *a]\n",
        "indent.yaml": b"a:\n  b: 1\n c: 2\n",
        "binary.yaml": bytes(range(256)),
        "big.yaml": b"a: " + b"x" * (yamlload.MAX_BYTES + 1),
        "valid.yaml": VALID.encode(),
    }
    for name, data in files.items():
        put(tmp_path, data, name)
    errors = check_paths([tmp_path]).errors
    assert sorted((Path(e.path).name, e.code) for e in errors) == [
        ("big.yaml", "E007"),
        ("binary.yaml", "E008"),
        ("bomb.yaml", "E006"),
        ("empty.yaml", "E002"),
        ("gbk.yaml", "E001"),
        ("indent.yaml", "E003"),
        ("list.yaml", "E004"),
        ("tag.yaml", "E005"),
    ]


TOKENS = [
    b"&a ", b"*a", b"!!python/object:os.system ", b"[", b"]", b"{", b"}", b"- ", b": ", b"\t", b"'", b'"', b"\n",
    b"#", b"---\n", b"? ", b"|", b"\x00", b"\xff", b"\xe4\xb8", b"%YAML 1.1\n", b"<<: ", b"~", b"2024-02-30",
    b".nan", b"370502198501011230", b"\r", "\u2028".encode(),
]  # fmt: skip


def test_mutated_files_never_raise_and_stay_one_line_per_problem():
    """Seeded fuzz: 3,000 damaged copies of a valid record (130,000 ran clean while writing this)."""
    import random

    from generator.read.checker import check_file

    rng = random.Random(2)
    for _ in range(3000):
        data = bytearray(VALID.encode())
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(data) + 1)
            op = rng.random()
            if op < 0.35:
                data[pos:pos] = rng.choice(TOKENS)
            elif op < 0.55:
                del data[pos : pos + rng.randint(1, 20)]
            elif op < 0.75 and data:
                data[min(pos, len(data) - 1)] = rng.randrange(256)
            elif op < 0.85:
                del data[pos:]
            else:
                start = rng.randrange(len(data) + 1)
                data[pos:pos] = data[start : start + rng.randint(1, 40)]
        src, errors = check_file("f.yaml", bytes(data))
        assert src is not None or errors
        assert all("\n" not in str(e) and e.line >= 1 for e in errors), errors


def test_loader_agrees_with_pyyaml_on_demo_records():
    from generator.staff import demo

    for rec in demo.make_records(300, seed=11):
        text = demo.to_yaml(rec)
        value, lines, _ = yamlload.load("r.yaml", text.encode())
        assert value == yaml.safe_load(text)
        assert set(lines) >= {(k,) for k in value}


# -- the simple layout read without the parser (yamlload._simple) ----------------------------
def _typed(value: object) -> object:
    """A value with the type of every part (True == 1 and 1 == 1.0 in plain equality)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


def _by_parser(text: str) -> tuple[object, list[tuple[object, int]]] | None:
    lines: yamlload.Lines = {}
    try:
        value, _line = yamlload._build(yamlload._Loader(text), lines)
    except (yamlload._Fail, yaml.YAMLError):
        return None
    return _typed(value), list(lines.items())


def _same_as_parser(text: str) -> bool:
    """False when the simple reader declines; when it reads the text, the parser must agree."""
    fast = yamlload._simple(text)
    if fast is None:
        return False
    assert _by_parser(text) == (_typed(fast[0]), list(fast[1].items())), text
    return True


_TRICKY = [
    "'370502'",
    '"370502"',
    "''",
    '""',
    "yes",
    "no",
    "on",
    "off",
    "null",
    "~",
    "true",
    "False",
    "1e3",
    ".inf",
    "0x1f",
    "0o17",
    "017",
    "1_000",
    "+5",
    "2024-02-30",
    "2024-3-5",
    "2024-03-05",
    "12.50",
    "1,000",
    "a b",
    "张三 丰",
    "（2024）鲁0502执1234号",
    "王某（书记员）",
    "a: b",
    "a #b",
    "a#b",
    "#x",
    "&a",
    "*a",
    "!x",
    "|",
    ">",
    "%x",
    "@x",
    "`x",
    "-x",
    "- x",
    "?x",
    ":x",
    "[a]",
    "{a: 1}",
    "a'b",
    'a"b',
    "'a''b'",
    '"a\\"b"',
    "a\u3000",
    "\u3000a",
    "a\xa0b",
    "1:20",
    "2024-03-05 10:00:00",
    "=",
    "<<",
]


@pytest.mark.parametrize("value", _TRICKY)
def test_simple_layout_values_read_as_the_parser_reads_them(value):
    for text in (
        f"obligation: {value}\nlisted_on: 2024-03-05\n",
        f"debtor:\n  name: {value}\n  kind: person\n",
        f"grounds:\n- {value}\n- able_but_refuses\n",
        f"grounds:\n  - {value}\nstatus: listed\n",
    ):
        _same_as_parser(text)


def test_record_files_take_the_simple_path():
    from generator.staff import demo

    texts = [to_yaml(r) for r in demo.make_records(400, seed=11)] + [VALID, VALID.replace("- ", "  - ")]
    assert all(_same_as_parser(t) for t in texts)


def test_simple_layout_declines_what_it_does_not_know():
    assert all(
        not _same_as_parser(text)
        for text in (
            "# 注释\n" + VALID,
            VALID + "---\n",
            VALID.replace("\n", "\r\n"),
            VALID + "debtor:\n",
            "a:\n",
            "- a\n",
            "a: 1\n  b: 2\n",
            "a:\n  b: 1\n  - c\n",
            "a:\n- b\n  - c\n",
            "a: 1\na: 2\n",
            "a:\n  b:\n",
            "a:\n    b: 1\n",
            "a: [x, y]\n",
            "a: 1\tb\n",
            "a: x\n  y\n",
            "A: 1\n",
            "a : 1\n",
            "a:1\n",
            "",
        )  # fmt: skip
    )


def test_simple_layout_never_reads_a_file_differently_than_the_parser():
    """Random edits of record files (tricky characters anywhere): whatever the simple reader
    accepts, the parser reads the same way."""
    import random

    from generator.staff import demo

    rng = random.Random(5)
    texts = [to_yaml(r) for r in demo.make_records(40, seed=2)]
    pieces = [" ", "  ", ":", ": ", "#", " #", "'", '"', "-", "- ", "\n", "\n  ", "\n- ", "[", "]", "{", ",", "\t",
              "?", "&", "*", "!", "|", ">", "%", "@", "`", "\u3000", "\xa0", "\r", "\u2028", "\x85", "\ufeff", "a"]  # fmt: skip
    accepted = 0
    for _ in range(3000):
        text = rng.choice(texts)
        for _edit in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.2:
                text = text[:at] + text[at + 1 :]
            else:
                text = text[:at] + rng.choice(pieces) + text[at:]
        accepted += _same_as_parser(text)
    assert accepted > 400  # the comparison saw many edited files the simple reader took
