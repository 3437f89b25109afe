"""`chenglai import`: draft record files from a case-system export (SPEC §5.1).

Each row becomes one draft record file, or is refused with its row number and reasons.
A row is written only when the exact bytes about to be written pass `chenglai check
--drafts` (single-record rules through checker.check_file, cross-record rules against the
records already in the folder), so an import can never leave the folder failing the check.
Reading rows and checking their cells (full ID numbers are checked and masked there, so they
never reach a file) is `casesystem`; this module decides what is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from generator import progress
from generator.domain import casenumber, rules
from generator.domain.records import SourceRecord
from generator.errors import RecordError
from generator.read.checker import check_file, check_paths
from generator.staff.casesystem import ImportFileError, Row, map_columns, optional_int, row_to_record
from generator.staff.demo import record_path
from generator.staff.editing import Document, EditError, same_value, save
from generator.staff.tables import TableError, read_table

__all__ = ["ImportFileError", "ImportResult", "Refusal", "import_file"]


HEADER_COMMENT = (
    "由 chenglai import 从 {source} 第 {row} 行导入；导入时为草稿，须经第二人审核（chenglai vet）后方可发布。"
)


@dataclass(frozen=True)
class Refusal:
    row: int
    case_number: str  # as typed, or "" when the cell is empty
    code: str
    field: str
    message: str

    def __str__(self) -> str:
        case = f"（{self.case_number}）" if self.case_number else ""
        return f"第 {self.row} 行{case}：{self.code} {self.field}: {self.message}"


@dataclass
class ImportResult:
    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def refuse(self, row: int, case_number: str, code: str, field: str, message: str) -> None:
        self.refused.append(Refusal(row, case_number, code, field, message))

    @property
    def refused_rows(self) -> list[int]:
        return sorted({r.row for r in self.refused})


# What a re-import owns and rewrites; status, removal and the vetter's fields are staff's.
_OWNED_TOP = ("case_number", "court", "region_code", "filed_on", "basis", "debtor", "debtor_seq",
              "obligation", "performance", "outstanding", "grounds", "listed_on", "term_years")  # fmt: skip


class _Existing:
    """Records already in the output folder: by (case, seq) and by court code."""

    def __init__(self, records: Iterable[SourceRecord]):
        self.by_key: dict[tuple[str, int | None], SourceRecord] = {}
        self.by_court: dict[str, SourceRecord] = {}
        for src in records:
            self.add(src)

    def add(self, src: SourceRecord) -> None:
        case = casenumber.parse(src.record.case_number)
        if case is not None:
            self.by_key.setdefault((case.text, src.record.debtor_seq), src)
            self.by_court.setdefault(case.court_code, src)

    def replace(self, old_path: str, src: SourceRecord) -> None:
        self.by_key = {k: v for k, v in self.by_key.items() if v.path != old_path}
        self.by_court = {k: v for k, v in self.by_court.items() if v.path != old_path}
        self.add(src)

    def across_errors(self, src: SourceRecord) -> list[RecordError]:
        """check_across between this record and the records it could clash with."""
        case = casenumber.parse(src.record.case_number)
        if case is None:
            return []
        others = [self.by_court.get(case.court_code), self.by_key.get((case.text, src.record.debtor_seq))]
        context = list({o.path: o for o in others if o is not None and o.path != src.path}.values())
        return [e for e in rules.check_across(map(rules.across_entry, [*context, src])) if e.path == src.path]


def import_file(source: Path, out_dir: Path, entered_by: str | None = None, update: bool = False) -> ImportResult:
    """Import every row of `source` into draft files under `out_dir`; see module docstring."""
    try:
        table = read_table(source)
    except TableError as exc:
        raise ImportFileError([RecordError(str(source), 1, "E101", "-", str(exc))]) from None
    columns, warnings = map_columns(str(source), table, entered_by)
    result = ImportResult(warnings=[*table.notes, *warnings])
    existing = _Existing(check_paths([out_dir], drafts_ok=True).records if out_dir.is_dir() else [])
    seen: dict[tuple[str, int | None], int] = {}
    for number, cells in progress.track(table.rows, "导入数据行"):
        row = Row(number, {key: cells[i] for key, i in columns.items()})
        case_text = row.text("case_number") or ""
        rec = row_to_record(row, entered_by)
        refuse = partial(result.refuse, number, case_text)

        case = casenumber.parse(case_text) if case_text else None
        if case is not None:
            seq = rec.get("debtor_seq") if rec else optional_int(row.cells.get("debtor_seq"))
            key = (case.text, seq)
            if key in seen:
                refuse("E021", "case_number", f"与第 {seen[key]} 行重复：同一执行案号{_seq_text(seq)}只能有一条记录；"
                       "同案多名被执行人请填写“被执行人序号”")  # fmt: skip
                continue
            seen[key] = number
        if rec is None:
            for problem in row.problems:
                refuse(*problem)
            continue
        _write_row(rec, source, number, out_dir, update, existing, result, refuse)
    return result


def _seq_text(seq: int | None) -> str:
    return "" if seq is None else f"（序号 {seq}）"


def _write_row(rec: dict[str, Any], source: Path, number: int, out_dir: Path, update: bool,
               existing: _Existing, result: ImportResult, refuse: Callable[[str, str, str], None]) -> None:  # fmt: skip
    case = casenumber.parse(rec["case_number"])
    assert case is not None
    key = (case.text, rec.get("debtor_seq"))
    known = existing.by_key.get(key)
    target = Path(known.path) if known is not None else out_dir / record_path(rec)
    if target.exists() and not update:
        refuse("E102", "case_number", f"记录已存在：{target}（同一执行案号{_seq_text(key[1])}）；"
               "如需用本行内容更新该记录，请加 --update")  # fmt: skip
        return
    if known is not None and not _differs(rec, known):
        result.unchanged.append(target)
        return
    if target.exists():
        try:
            doc = Document.read(target)
        except EditError as exc:
            refuse("E101", "-", f"已有记录 {target} 无法读取，未更新：{exc}")
            return
        changed = _apply_update(doc, rec)
        if not changed:
            result.unchanged.append(target)
            return
        if doc.get(("vetting", "vetted_by")) is not None or doc.get(("vetting", "vetted_on")) is not None:
            doc.delete(("vetting", "vetted_on"))
            doc.delete(("vetting", "vetted_by"))
            result.warnings.append(f"{target}：内容已更新，原审核（vetted_by/vetted_on）已撤销，须重新审核")
    else:
        doc = Document.new(rec, header=HEADER_COMMENT.format(source=source.name, row=number))
    data = doc.dumps().encode("utf-8")
    src, errors = check_file(str(target), data, drafts_ok=True)
    if src is not None:
        errors = existing.across_errors(src)
    if errors or src is None:
        for e in errors:
            refuse(e.code, e.field, e.message)
        return
    was_there = target.exists()
    save(target, data)
    if was_there:
        existing.replace(str(target), src)
        result.updated.append(target)
    else:
        existing.add(src)
        result.created.append(target)


def _owned_paths(rec: dict[str, Any], old: dict[str, Any]) -> list[tuple[str, ...]]:
    """Every field a re-import rewrites: the row's, and the old record's that the row lacks."""
    paths: list[tuple[str, ...]] = []
    for top in _OWNED_TOP:
        if top in ("basis", "debtor"):
            before = old.get(top)
            subs = list(rec[top]) + [k for k in (before if isinstance(before, dict) else {}) if k not in rec[top]]
            paths.extend((top, sub) for sub in subs)
        else:
            paths.append((top,))
    paths.append(("vetting", "decision"))
    return paths


def _same_field(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return same_value(old, new) or _same_number(old, new)


def _differs(rec: dict[str, Any], known: SourceRecord) -> bool:
    """Would a re-import change this already parsed record? (Saves a slow round-trip load.)"""
    old = known.record.model_dump(exclude_none=True)
    return any(not _same_field(_get(old, path), _get(rec, path)) for path in _owned_paths(rec, old))


def _apply_update(doc: Document, rec: dict[str, Any]) -> bool:
    """Rewrite what the import owns; True when the record's content changed. The clerk who
    re-imports becomes entered_by only of a record whose content changed."""
    changed = False
    for path in _owned_paths(rec, doc.data):
        new = _get(rec, path)
        if new is None:
            changed |= doc.delete(path)
        elif not _same_number(doc.get(path), new):
            changed |= doc.set(path, new)
    if changed:
        doc.set(("vetting", "entered_by"), rec["vetting"]["entered_by"])
    return changed


def _get(rec: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = rec
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _same_number(old: Any, new: Any) -> bool:
    # （2024）… and (2024)… are the same case or document number (SPEC §1.1)
    return isinstance(old, str) and isinstance(new, str) and casenumber.normalise(old) == casenumber.normalise(new)
