"""Issue 19, item 2: `chenglai check` refuses a full ID a reader would read — full-width digits,
spaced or hyphenated groups, invisible characters between the digits — in any field or comment
(E085, naming `chenglai mask`), and `chenglai mask` masks it. Hypothesis: `check` on mutated
record files never ends in a traceback, and every problem is one line `path:line: CODE field:
message`."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.domain import ids, normalform
from generator.read.checker import check_paths
from generator.staff.demo import to_yaml

from .factory import record, write
from .staff_fixtures import full_id

WIDE = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})
# (a field is a dotted path of the record, "-", or an unknown key as the clerk typed it)
LINE = re.compile(r"^(?P<path>.+?):(?P<line>[1-9]\d*): (?P<code>[EW]\d{3}) (?P<field>.+?): (?P<message>\S.*)$")


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _forms(number: str) -> dict[str, str]:
    return {
        "full-width": number.translate(WIDE),
        "spaced": f"{number[:6]} {number[6:10]} {number[10:14]} {number[14:]}",
        "6-8-4": f"{number[:6]} {number[6:14]} {number[14:]}",
        "hyphenated": f"{number[:6]}-{number[6:14]}-{number[14:]}",
        "ideographic space": f"{number[:6]}\u3000{number[6:]}",
        "zero-width space": f"{number[:9]}\u200b{number[9:]}",
    }


@pytest.mark.parametrize("form", sorted(_forms(full_id())))
def test_check_refuses_a_full_id_in_any_form_in_any_field(tmp_path, capsys, form):
    written = _forms(full_id())[form]
    path = write(tmp_path, "r.yaml", record(obligation=f"支付货款（被执行人证件号码 {written}）"))
    result = check_paths([path])
    e085 = [e for e in result.errors if e.code == "E085"]
    assert [e.field for e in e085] == ["obligation"] and "chenglai mask" in e085[0].message
    code, out, _err = run(capsys, "check", str(path))
    assert code == 1 and "E085 obligation:" in out and "chenglai mask" in out
    assert full_id() not in out and written not in out  # never echoed


@pytest.mark.parametrize("form", sorted(_forms(full_id())))
def test_check_refuses_it_in_id_masked_and_in_a_comment(tmp_path, form):
    written = _forms(full_id())[form]
    path = write(tmp_path, "r.yaml", record(debtor__id_masked=written))
    path.write_text(path.read_text(encoding="utf-8") + f"# 卷宗号码 {written}\n", encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    e085 = {e.line: e.field for e in check_paths([path]).errors if e.code == "E085"}
    assert e085 == {
        next(i for i, ln in enumerate(lines, 1) if "id_masked" in ln): "debtor.id_masked",
        len(lines): "-",
    }


@pytest.mark.parametrize("form", sorted(_forms(full_id())))
def test_mask_masks_every_form(tmp_path, capsys, form):
    number = full_id(born="19850101", seq="124")  # (17th digit even: 女)
    written = _forms(number)[form]
    path = write(tmp_path, "r.yaml", record(debtor__id_masked=written, debtor__gender="女", debtor__age=40))
    text = path.read_text(encoding="utf-8") + f"# 旧卷宗所载号码 {_forms(number)['spaced']}\n"
    path.write_text(text, encoding="utf-8")
    code, out, _err = run(capsys, "mask", str(path))
    assert code == 0, out
    new = path.read_text(encoding="utf-8")
    debtor = yaml.safe_load(new)["debtor"]
    assert debtor["id_masked"] == ids.mask(number) and debtor["gender"] == "女"
    assert f"# 旧卷宗所载号码 {ids.mask(number)}\n" in new
    assert [e.code for e in check_paths([path]).errors] == []


def test_masked_ids_dates_and_numbers_are_no_full_id(tmp_path):
    rec = record(obligation="支付货款 120000 元，2024-03-05 至 2025-06-01 分 12 期，电话 0546 8888888")
    path = write(tmp_path, "r.yaml", rec)
    assert [e.code for e in check_paths([path]).errors] == []


# -- Hypothesis: mutated record files -------------------------------------------------------------

BASE = to_yaml(record())
PIECES = [
    "\n", ": ", "- ", "#", "'", '"', "{", "}", "[", "]", "&a", "*a", "!!python/object:os.system", "~", "null",
    "\t", "  ", "\ufeff", "\u200b", "\u00a0", "\u3000", "\x00", "\x85", "\u2028", "３７０５０２", "1985", " 0101 ",
    full_id(), _forms(full_id())["spaced"], _forms(full_id())["full-width"], "=HYPERLINK(\"x\")", "隱沒", "é",
    "case_number: ", "debtor:\n  name: ", "listed_on: 2025-13-45", "grounds: [x]", "9" * 30, "\\", "%", "<b>",
]  # fmt: skip


@st.composite
def mutated(draw):  # type: ignore[no-untyped-def]
    text = BASE
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "line"]))
        piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)))
        if op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif op == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, max(0, len(lines) - 1)))
            lines.insert(i, piece) if draw(st.booleans()) else lines.pop(i)
            text = "\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "gb18030", "utf-16"]))
    data = text.encode(encoding, "surrogatepass") if encoding != "gb18030" else text.encode(encoding, "replace")
    if draw(st.booleans()):  # damaged bytes
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=4)) + data[at:]
    return data


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_check_on_mutated_files_never_tracebacks_and_every_problem_is_one_line(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "r.yaml")
        path.write_bytes(data)
        result = check_paths([path])  # (no exception: a traceback would end `chenglai check`)
        for problem in [*result.errors, *result.warnings]:
            line = str(problem)
            assert "\n" not in line and "\r" not in line, line
            m = LINE.match(line)
            assert m, line
            assert m["path"] == str(path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return
        if normalform.find_full_ids(text):  # a full ID in the file, as a reader reads it: never accepted
            assert "E085" in {e.code for e in result.errors} or result.errors[0].code < "E010", text
            for problem in result.errors:  # and never echoed by the record's own problems
                if problem.code in ("E010", "E085"):
                    assert not normalform.find_full_ids(f"{problem.field}: {problem.message}"), problem


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_the_cli_prints_problem_lines_only(data):
    import contextlib
    import io

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "r.yaml")
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["check", str(path)])
            except SystemExit as exc:
                code = int(exc.code or 0)
        assert code in (0, 1), err.getvalue()
        assert "Traceback" not in err.getvalue()
        for line in out.getvalue().splitlines():
            assert LINE.match(line), line
