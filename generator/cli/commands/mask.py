"""`chenglai mask [PATH…]`: rewrite records holding a full 18-digit ID into the masked form.

The number in debtor.id_masked is checked (GB 11643 check digit and birth date), gender and
age are derived from it; a full number anywhere else in the file (another field, a comment)
is masked too. A number is found as `chenglai check` finds it (SPEC §3's normal form): in
full-width digits, in spaced or hyphenated groups too. A file with an invalid number or a minor
is left untouched and reported.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from generator.cli.registry import EXIT_ERRORS, EXIT_OK, command
from generator.domain import ids, normalform
from generator.domain.records import iter_record_files
from generator.domain.yamlload import decode
from generator.errors import RecordError, UsageError
from generator.read.checker import check_file
from generator.staff.editing import Document, EditError, save

FIELD = "debtor.id_masked"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="记录文件或目录（默认 content/debtors）")


def mask_text(path: str, text: str) -> tuple[str | None, list[RecordError], list[str]]:
    """(new text, or None when refused; problems; notes). Text without a full ID: unchanged."""
    if not normalform.find_full_ids(text):
        return text, [], []
    try:
        doc = Document(text)
    except EditError as exc:
        return None, [RecordError(path, 1, "E003", "-", f"{exc}：请先改正格式，再运行 chenglai mask")], []
    errors: list[RecordError] = []
    notes: list[str] = []
    raw = doc.get(("debtor", "id_masked"))
    number = str(raw).strip().upper() if raw is not None else ""
    found = normalform.find_full_ids(number)  # full-width digits, groups: the number a reader reads in it
    if len(found) == 1 and normalform.normal(number).upper() == found[0][2]:
        number = found[0][2]
    if ids.FULL_RE.match(number):
        line = doc.line(("debtor", "id_masked"))
        listed_on = doc.get(("listed_on",))
        if not isinstance(listed_on, date):
            errors.append(
                RecordError(path, line, "E013", "listed_on", "listed_on 缺失或不是有效日期：无法计算发布时的年龄")
            )
        else:
            try:
                who = ids.identify(number, listed_on)
            except ids.IdNumberError as exc:
                advice = "；请删除此记录文件，不要提交" if exc.code == "E084" else "；请核对号码后改正"
                errors.append(RecordError(path, line, exc.code, FIELD, f"{exc}{advice}"))
            else:
                given = doc.get(("debtor", "gender"))
                if given is not None and str(given) != who.gender:
                    errors.append(RecordError(path, doc.line(("debtor", "gender")), "E083", "debtor.gender",
                                              f"性别 {given} 与身份证号码第 17 位所示的{who.gender}不符：请核对号码与性别"))  # fmt: skip
                else:
                    old_age = doc.get(("debtor", "age"))
                    doc.set(("debtor", "id_masked"), who.id_masked)
                    doc.set(("debtor", "gender"), who.gender)
                    if doc.set(("debtor", "age"), who.age) and old_age is not None:
                        notes.append(f"{path}：age 由 {old_age} 改为 {who.age}（按身份证号码计算的发布时年龄）")
    if errors:
        return None, errors, notes
    out = doc.dumps()
    # a full number anywhere else (another field, a comment) is masked too, if it is one
    found = normalform.find_full_ids(out)
    for start, _end, number in found:
        if not ids.is_full_id_valid(number):
            errors.append(RecordError(path, out.count("\n", 0, start) + 1, "E087", "-",
                                      f"18 位号码 {ids.mask(number)} 校验位或出生日期不正确：请核对后改正或删除"))  # fmt: skip
    if errors:
        return None, errors, notes
    for start, end, number in reversed(found):
        out = out[:start] + ids.mask(number) + out[end:]
    return out, [], notes


def run(args: argparse.Namespace) -> int:
    paths = args.paths or ["content/debtors"]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"路径不存在：{', '.join(missing)}")
    masked = refused = 0
    for path in iter_record_files(paths):
        try:
            text = decode(str(path), path.read_bytes())
        except RecordError as exc:
            print(exc)
            refused += 1
            continue
        new, errors, notes = mask_text(str(path), text)
        for note in notes:
            print(f"注意：{note}", file=sys.stderr)
        if new is None:
            for e in errors:
                print(e)
            refused += 1
            continue
        if new == text:
            continue
        data = new.encode("utf-8")
        save(path, data)
        masked += 1
        print(f"已脱敏 {path}")
        _src, remaining = check_file(str(path), data, drafts_ok=True)
        for e in remaining:
            print(f"注意：{e}（与脱敏无关，请另行改正）", file=sys.stderr)
    print(f"脱敏 {masked} 个文件；{refused} 个文件未能脱敏。")
    return EXIT_ERRORS if refused else EXIT_OK


command("mask", "把记录中的完整身份证号码改写为脱敏形式（校验并推算性别、年龄）")((configure, run))
