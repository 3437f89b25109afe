"""`chenglai check`: exit codes 0/1/2, every problem of every file in one run, one line per
problem, never a traceback — in process through cli.main and as a real subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from generator.read.checker import check_paths
from generator.staff import demo

from .factory import record, write

ROOT = Path(__file__).resolve().parent.parent
BAD = Path("tests/fixtures/bad")
LINE = re.compile(r"^(?P<where>.+?:\d+): (?P<code>E\d{3}) (?P<field>[^\s:]+): (?P<message>.+)$")


def chenglai(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's generator, from any folder
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def located(stdout: str) -> list[str]:
    """`path:line: CODE field` of every output line (the Chinese message left out)."""
    out = []
    for line in stdout.splitlines():
        if " W110 vetting.served_on: " in line:
            continue  # fixture records carry no service date: warned (SPEC §6), tested in test_rules_lifecycle
        m = LINE.match(line)
        assert m, f"not a problem line: {line!r}"
        out.append(f"{m['where']}: {m['code']} {m['field']}")
    return out


def located_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if " W110 vetting.served_on: " not in line]


def test_bad_fixtures_give_exactly_the_expected_lines():
    """tests/fixtures/bad: one file per problem (its first line says which); expected.txt is
    reviewed by hand, file by file — never regenerate it from the output."""
    run = chenglai("check", str(BAD))
    assert run.returncode == 1
    expected = (ROOT / BAD / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert located(run.stdout) == expected
    assert "Traceback" not in run.stderr and "共 " in run.stderr
    codes = {line.split(" ")[1] for line in expected}
    assert len(codes) >= 20 and len(expected) >= 20
    # every hostile-file kind of issue 2 is among them
    assert {"E001", "E002", "E003", "E004", "E005", "E006"} <= codes


def test_bad_fixtures_every_file_reports_or_is_the_valid_one():
    files = sorted(p.name for p in (ROOT / BAD).glob("*.yaml"))
    expected = (ROOT / BAD / "expected.txt").read_text(encoding="utf-8")
    silent = [f for f in files if f"/{f}:" not in expected]
    # 16: able_but_refuses alone without a term is valid; 09-duplicate-a is the first of the pair
    assert silent == ["09-duplicate-a.yaml", "16-able-but-refuses.yaml"]


def test_demo_content_passes():
    run = chenglai("check", "content")
    assert (run.returncode, run.stdout) == (0, "")
    assert "212 条记录全部通过检查" in run.stderr  # 200 debtors, 6 orders, 4 rewards, 2 batches (SPEC §7)


def test_default_path_is_content_debtors(tmp_path):
    write(tmp_path / "content" / "debtors", "a.yaml", record())
    run = chenglai("check", cwd=tmp_path)
    assert run.returncode == 0 and "1 条记录全部通过检查" in run.stderr


def test_usage_errors_exit_2_without_traceback(tmp_path):
    for args in (["check", str(tmp_path / "missing")], ["check", "--no-such-option"], ["no-such-command"], []):
        run = chenglai(*args)
        assert run.returncode == 2, args
        assert "Traceback" not in run.stderr and "用法错误" in run.stderr


def test_in_process_exit_codes(tmp_path, capsys):
    good = write(tmp_path / "good", "a.yaml", record())
    bad = write(tmp_path / "bad", "a.yaml", record(term_years=9))
    assert main(["check", str(good)]) == 0
    assert main(["check", str(bad)]) == 1
    assert main(["check", str(tmp_path / "nowhere")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["check", "--bogus"])
    assert exc.value.code == 2
    out = "".join(line for line in capsys.readouterr().out.splitlines(keepends=True) if " W110 " not in line)
    assert (
        out
        == f"{bad}:{good.read_text(encoding='utf-8').splitlines().index('term_years: 2') + 1}: E052 term_years: 期限应为 2 至 5 年（2 年，可延长 1–3 年），实际为 9\n"
    )


def test_all_problems_of_all_files_in_one_run(tmp_path):
    write(tmp_path, "a.yaml", record(term_years=9, debtor__gender="女"))
    write(tmp_path, "b/b.yaml", record(case_number="（2024）鲁0502执1号", outstanding=-1))
    (tmp_path / "c.yaml").write_bytes(b"")
    write(tmp_path, "d.yaml", record(case_number="(2024)鲁0502执1号"))  # duplicate of b
    run = chenglai("check", str(tmp_path))
    assert run.returncode == 1
    found = [(Path(m["where"].rsplit(":", 1)[0]).name, m["code"]) for m in map(LINE.match, located_lines(run.stdout))]
    assert sorted(found) == [
        ("a.yaml", "E052"),
        ("a.yaml", "E083"),
        ("b.yaml", "E070"),
        ("c.yaml", "E002"),
        ("d.yaml", "E021"),
    ]


def test_several_paths_and_a_single_file(tmp_path):
    one = write(tmp_path / "x", "a.yaml", record())
    two = write(tmp_path / "y", "b.yaml", record(case_number="（2024）鲁0502执2号", grounds=["nope"]))
    run = chenglai("check", str(one), str(tmp_path / "y"))
    assert run.returncode == 1 and located(run.stdout) == [f"{two}:{_line(two, '- nope')}: E050 grounds"]


def test_drafts_flag(tmp_path):
    rec = record()
    del rec["vetting"]["vetted_by"], rec["vetting"]["vetted_on"]
    path = write(tmp_path, "draft.yaml", rec)
    assert chenglai("check", str(path)).returncode == 1
    assert chenglai("check", "--drafts", str(path)).returncode == 0


def test_output_piped_into_head_has_no_traceback():
    run = subprocess.run(
        f"{sys.executable} -m generator check {BAD} | head -1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.stdout.startswith(str(BAD)) and "Traceback" not in run.stderr


def test_parallel_check_equals_serial(tmp_path):
    """Past PARALLEL_MIN_FILES the checker uses a process pool: same records, same errors."""
    records = demo.make_records(2100, seed=7)
    records[5] = {**records[5], "term_years": 9}
    demo.write_records(tmp_path, records)
    write(tmp_path, "x/copy-of-7.yaml", records[7])  # a duplicate in another file
    (tmp_path / "x" / "empty.yaml").write_bytes(b"")
    serial = check_paths([tmp_path], jobs=1)
    parallel = check_paths([tmp_path], jobs=2)
    assert parallel.errors == serial.errors and len(serial.errors) >= 3
    assert [s.path for s in parallel.records] == [s.path for s in serial.records]
    assert parallel.passed == serial.passed == len(serial.records)
    # a worker's records come back as values, made into the same models (fields set too) and lines
    assert [s.record for s in parallel.records] == [s.record for s in serial.records]
    assert [s.record.model_fields_set for s in parallel.records] == [s.record.model_fields_set for s in serial.records]
    assert [s.lines for s in parallel.records] == [s.lines for s in serial.records]


def _line(path: Path, start: str) -> int:
    return next(n for n, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if t.startswith(start))


def test_symlink_loop_does_not_hang(tmp_path):
    write(tmp_path / "a", "r.yaml", record())
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)
    result = check_paths([tmp_path])
    assert result.errors == [] and len(result.records) == 1


def test_a_folder_named_like_a_record_file_is_searched(tmp_path):
    write(tmp_path / "odd.yaml", "r.yaml", record())
    assert len(check_paths([tmp_path]).records) == 1
