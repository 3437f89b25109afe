"""The hostile tries of issue 19, re-measured: how many got through the locks.

    python -m benchmarks.security            # prints the table; --write-docs puts it in docs/security.md

Each try is what a careless or hostile clerk could do, run against the real program on a small
fictitious site (tests/factory.py records, built with the repository's pelicanconf.py and theme):

- a withheld (removed) person's name in a news article, in disguise: Traditional characters,
  zero-width space, no-break space, soft hyphen, a bidi control, a variation selector, spaces
  between the characters, full-width Latin in a mixed name;
- a valid full 18-digit ID number in a news article, in full-width digits, in spaced or
  hyphenated groups; the withheld case number with spaces inside;
- the same full ID numbers typed into a record (`chenglai check` must refuse them);
- spreadsheet formulas in record fields (= + - @ at the start): cells of /data/debtors.csv;
- machine faults: a full disk (a 6 MB tmpfs, root only) and a refused write: tracebacks;
- a build killed before each rename of its commit (strace): site and search disagreeing.

Every figure should be 0. The figure is a count of tries, not a proof: the tests in tests/ are
the proof for each family, with Hypothesis for random disguises.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "security.md"
MARK = "<!-- security figures: benchmarks/security.py --write-docs -->"
sys.path.insert(0, str(REPO))

from generator.domain import ids  # noqa: E402
from tests.factory import record, write  # noqa: E402
from tests.sitefixture import NEWS, make_site  # noqa: E402

WITHHELD = "隐没甲乙"  # removed in the fixture: never to be published
SHOWN_ID_BODY = "37050219850101123"
FULL_ID = SHOWN_ID_BODY + ids.check_digit(SHOWN_ID_BODY)
CASE = "（2024）鲁0502执2001号"  # the removed record's: shown in its removal notice, so public
FUTURE_CASE = "（2026）鲁0502执2003号"  # the fixture's record listed in the future: withheld
ZW, NBSP, SHY, RLO, VS = "\u200b", "\u00a0", "\u00ad", "\u202e", "\ufe0f"


def name_disguises() -> dict[str, str]:
    a, b, c, d = WITHHELD
    return {
        "繁体字": "隱沒甲乙",
        "零宽空格": a + ZW + b + c + d,
        "不换行空格": a + NBSP + b + c + d,
        "软连字符": a + b + SHY + c + d,
        "双向控制符": a + RLO + b + c + d,
        "变体选择符": a + VS + b + c + d,
        "字间空格": " ".join(WITHHELD),
        "全角空格": "\u3000".join(WITHHELD),
    }


def id_disguises() -> dict[str, str]:
    full = FULL_ID.translate({ord(str(i)): chr(0xFF10 + i) for i in range(10)})
    return {
        "身份证号全角数字": full,
        "身份证号分组空格": f"{FULL_ID[:6]} {FULL_ID[6:14]} {FULL_ID[14:]}",
        "身份证号分组连字符": f"{FULL_ID[:6]}-{FULL_ID[6:14]}-{FULL_ID[14:]}",
        "案号内含空格": FUTURE_CASE.replace("鲁", "鲁 ").replace("执", " 执 "),
    }


def _site(root: Path):  # type: ignore[no-untyped-def]
    s = make_site(root)
    write(s.records, "lu0502/removed.yaml", record(
        case_number=CASE, debtor__name=WITHHELD, status="removed", removed_on=date(2026, 11, 1),
        removal_reason="corrected",
    ))  # fmt: skip
    return s


def _published(s, text: str) -> bool:  # type: ignore[no-untyped-def]
    """Build with a news article holding `text`; True when the build went through (published)."""
    from generator.errors import BuildError

    (s.content / "news" / "leak.md").write_text(
        f"Title: 执行动态\nDate: 2026-11-10\nSlug: leak\n\n本院依法对{text}的情况作出说明。\n", encoding="utf-8"
    )
    try:
        s.build(allow_drop=True)
        return True
    except BuildError:
        return False
    finally:
        (s.content / "news" / "leak.md").unlink()


def tries_disguises(work: Path) -> list[tuple[str, int, int]]:
    s = _site(work / "disguise")
    s.build()
    names = sum(_published(s, t) for t in name_disguises().values())
    others = sum(_published(s, t) for t in id_disguises().values())
    return [("名称伪装（8 种）发布数", names, len(name_disguises())), ("身份证号/案号伪装（4 种）发布数", others, 4)]


def tries_check(work: Path) -> list[tuple[str, int, int]]:
    from generator.read.checker import check_paths

    folder = work / "check"
    accepted = 0
    forms = id_disguises()
    del forms["案号内含空格"]
    for i, text in enumerate(forms.values()):
        path = write(folder, f"r{i}.yaml", record(case_number=f"（2024）鲁0502执{3000 + i}号"))
        path.write_text(path.read_text(encoding="utf-8").replace("支付货款", f"支付货款（{text}）"), encoding="utf-8")
        result = check_paths([path])
        accepted += not any(e.code == "E085" for e in result.errors)
    return [("记录中完整身份证号（全角/分组）被 check 接受数", accepted, len(forms))]


def tries_formulas(work: Path) -> list[tuple[str, int, int]]:
    s = make_site(work / "formula")
    starts = ["=HYPERLINK(\"http://example.invalid\",\"点此\")", "+1+1", "-2+3", "@SUM(A1)"]
    for i, text in enumerate(starts):
        write(s.records, f"f{i}.yaml", record(case_number=f"（2024）鲁0502执{4000 + i}号", obligation=text,
                                             debtor__name=f"公式{i}"))  # fmt: skip
    s.build(settings={"PORTAL_DATA_PERSONS": True})  # persons: in the bulk files only with this setting
    rows = list(csv.reader(io.StringIO((s.output / "data" / "debtors.csv").read_text(encoding="utf-8-sig"))))
    numeric = {"被执行人序号", "年龄", "未履行金额", "期限（年）"}
    head = rows[0]
    bad = sum(
        1 for row in rows[1:] for h, cell in zip(head, row, strict=True)
        if h not in numeric and cell[:1] in ("=", "+", "-", "@", "\t", "\r")
    )  # fmt: skip
    return [("开放数据 CSV 中的公式单元格", bad, len(starts))]


def _chenglai(site: Path, *args: str, strace: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """`chenglai build` of a site folder in a process of its own (under strace when given)."""
    conf = site / "conf.py"
    conf.write_text(
        f"from pathlib import Path\nexec(Path({str(REPO / 'pelicanconf.py')!r}).read_text())\n"
        f"PLUGIN_PATHS = [{str(REPO)!r}]\nTHEME = {str(REPO / 'theme')!r}\nPATH = {str(site / 'content')!r}\n"
        "PORTAL_AS_OF = '2026-11-25'\n",
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "generator", "build", "-s", str(conf), "-o", str(site / "output"), "--allow-drop", *args]
    if strace:
        out = [] if "-o" in strace else ["-o", os.devnull]
        cmd = ["strace", "-f", "-qq", *out, *strace, *cmd]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def tries_faults(work: Path) -> list[tuple[str, int, int]]:
    tries = tracebacks = 0
    disk = work / "disk"
    disk.mkdir()
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(disk)]).returncode == 0:
        try:
            s = make_site(disk)
            _chenglai(s.root)
            (s.content / "news" / "big.md").write_text(
                "Title: 大\nDate: 2026-11-02\nSlug: big\n\n" + ("填满磁盘。" * 100 + "\n\n") * 1300, encoding="utf-8"
            )
            done = _chenglai(s.root)
            tries += 1
            tracebacks += "Traceback" in done.stderr or done.returncode != 1
        finally:
            subprocess.run(["umount", "-l", str(disk)], check=False)
    if shutil.which("strace"):
        # a refused open at three moments of an incremental build: the first file Pelican writes,
        # the first file our renderers write, the store's journal at the commit (the Nth openat of
        # a probe run of the same build)
        s = make_site(work / "fault-probe")
        _chenglai(s.root)
        write(s.records, "lu0502/person.yaml", record(obligation="支付货款99元"))
        probe = shutil.copytree(s.root, work / "fault-probe2", symlinks=True)
        trace = work / "openat.trace"
        _chenglai(probe, strace=["-e", "trace=openat", "-o", str(trace)])
        lines = trace.read_text().splitlines()
        moments = [
            next(i for i, ln in enumerate(lines, 1) if "/pelican/" in ln and "O_CREAT" in ln),
            next(i for i, ln in enumerate(lines, 1) if "O_EXCL" in ln and "/site/" in ln),
            next(i for i, ln in enumerate(lines, 1) if "sqlite3-journal" in ln),
        ]
        for when in moments:
            for err in ("EROFS", "EACCES", "ENOSPC"):
                site = shutil.copytree(s.root, work / f"fault-{when}-{err}", symlinks=True)
                done = _chenglai(site, strace=["-e", f"inject=openat:error={err}:when={when}"])
                tries += 1
                tracebacks += "Traceback" in done.stderr or done.returncode not in (0, 1)
    return [("机器故障（磁盘满、只读、无权限）出现 Traceback 数", tracebacks, tries)]


def tries_crash(work: Path) -> list[tuple[str, int, int]]:
    if not shutil.which("strace"):
        return [("提交时被杀：网站与搜索不一致数（无 strace，未测）", 0, 0)]
    import json

    from whoosh import index

    from generator.state import paths
    from search import query

    s = make_site(work / "crash")
    _chenglai(s.root)
    write(s.records, "lu0502/person.yaml", record(status="removed", removed_on=date(2026, 11, 20),
                                                 removal_reason="early_deletion"))  # fmt: skip
    (s.content / "news" / "action.md").write_text(NEWS.replace("集中执行", "集中执行与惩戒"), encoding="utf-8")
    trace = work / "renames.trace"  # how many renames the build makes: counted on a copy
    counted = _chenglai(shutil.copytree(s.root, work / "count", symlinks=True),
                        strace=["-e", "trace=rename,renameat,renameat2", "-o", str(trace)])  # fmt: skip
    renames = len([ln for ln in trace.read_text().splitlines() if re.search(r"\brename(at2?)?\(", ln)])
    disagree = 0
    rid = "2024-lu0502-zhi-1234"
    for n in range(1, renames + 1 if counted.returncode == 0 else 1):
        site = shutil.copytree(s.root, work / f"kill{n}", symlinks=True)
        _chenglai(site, strace=["-e", f"inject=rename,renameat,renameat2:signal=KILL:when={n}"])
        served = (site / "output" / "debtors" / rid / "index.html").is_file()
        folder = paths.index_dir(site / "output")
        places = query.places_from_facets(json.loads((folder / "site.json").read_text(encoding="utf-8"))["facets"])
        with index.open_dir(str(folder)).searcher() as searcher:
            found = rid in {h.id for h in query.search(searcher, "张三丰", places=places, per_page=100).hits}
        disagree += served != found
    return [(f"提交时被杀（{renames} 个 rename 前各一次）：网站与搜索不一致数", disagree, renames)]


def table(rows: list[tuple[str, int, int]]) -> str:
    out = ["| 尝试 | 通过锁的次数 | 尝试次数 |", "|---|---|---|"]
    out += [f"| {name} | **{bad}** | {n} |" for name, bad, n in rows]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    rows: list[tuple[str, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for step in (tries_disguises, tries_check, tries_formulas, tries_faults, tries_crash):
            rows += step(work)
            print(table(rows).splitlines()[-1], flush=True)
    text = table(rows)
    print(text)
    if args.write_docs:
        doc = DOC.read_text(encoding="utf-8")
        head, _, rest = doc.partition(MARK)
        tail = rest.split("\n\n", 2)[-1] if rest.count("\n\n") >= 2 else ""
        DOC.write_text(f"{head}{MARK}\n\n{text}\n{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
