"""Reading the other kinds of exposure (SPEC §7): content/restrictions/**/*.yaml,
content/rewards/*.yaml and content/exposure/YYYY-MM-DD.yaml, every rule, every problem.

They are few (tens to hundreds of files, against the debtors' hundred thousand): read and
checked in full every build, no memo. The debtors' view then goes through
kindpolicy.decide_kinds, the one policy of the kinds (generator.read.view.load_view).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from generator.domain import kindrules
from generator.domain.kindmodels import KIND_FOLDERS, SourceItem, parse_item
from generator.domain.records import record_files
from generator.errors import RecordError

FOLDER_KINDS = {folder: kind for kind, folder in KIND_FOLDERS.items()}


class KindsChecked(NamedTuple):
    items: list[SourceItem]  # the items that passed every rule, in file order
    errors: list[RecordError]
    warnings: list[RecordError]


def kind_of(path: str | Path) -> str | None:
    """restriction | reward | batch for a path under a folder of that name; None: a debtor's."""
    for part in reversed(Path(path).parts[:-1] if Path(path).suffix else Path(path).parts):
        if part in FOLDER_KINDS:
            return FOLDER_KINDS[part]
        if part == "debtors":
            return None
    return None


def kind_folders(content: Path) -> list[Path]:
    """The kinds' folders present under a content folder."""
    return [content / folder for folder in KIND_FOLDERS.values() if (content / folder).is_dir()]


def check_items(paths: Iterable[str | Path], drafts_ok: bool, known_ids: set[str] | None) -> KindsChecked:
    """Check files of the kinds (folders are searched for *.yaml; a file's kind is its folder's).
    `known_ids`: the debtor record ids a batch may name (None: not checked, e.g. when the
    debtors have errors of their own)."""
    errors: list[RecordError] = []
    warnings: list[RecordError] = []
    parsed: list[SourceItem] = []
    for path in record_files(paths):
        kind = kind_of(path)
        if kind is None:
            continue
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            errors.append(RecordError(path, 1, "E008", "-", f"无法读取文件：{exc.strerror}"))
            continue
        src, problems = parse_item(path, kind, data)
        if src is None:
            errors += problems
            continue
        problems = kindrules.check_item(src, drafts_ok)
        if kind == "batch" and known_ids is not None:
            problems += kindrules.check_batch_ids(src, known_ids)
        warnings += kindrules.check_warnings(src)
        errors += problems
        if not problems:
            parsed.append(src)
    errors += kindrules.check_across(parsed)
    failed = {e.path for e in errors}
    return KindsChecked([s for s in parsed if s.path not in failed], sorted(errors), sorted(warnings))


def expand_content(path: Path) -> list[str] | None:
    """A content folder (one holding debtors/) → its debtors folder and the kinds' folders;
    None for any other path."""
    if path.is_dir() and (path / "debtors").is_dir() and kind_of(path) is None and path.name != "debtors":
        return [str(path / "debtors"), *map(str, kind_folders(path))]
    return None


def record_ids(records: Iterable[object]) -> set[str]:
    """The page ids of debtor records (SourceRecords)."""
    from generator.domain import casenumber

    out = set()
    for src in records:
        r = src.record  # type: ignore[attr-defined]
        case = casenumber.parse(r.case_number)
        if case is not None:
            out.add(casenumber.record_id(case, r.debtor_seq))
    return out


def known_debtor_ids(paths: list[str], checked: object, drafts_ok: bool) -> set[str] | None:
    """The debtor record ids a batch among `paths` may name: those `checked` (a CheckResult of
    the debtors) holds, and those of the debtors folder beside each exposure folder named."""
    from generator.read.checker import check_paths

    known = record_ids(checked.records)  # type: ignore[attr-defined]
    seen: set[Path] = set()
    for p in paths:
        if kind_of(p) != "batch":
            continue
        here = Path(p).resolve()
        top = next((a for a in [here, *here.parents] if a.name == KIND_FOLDERS["batch"]), None)
        debtors = top.parent / "debtors" if top is not None else None
        if debtors is not None and debtors.is_dir() and debtors not in seen:
            seen.add(debtors)
            known |= record_ids(check_paths([debtors], drafts_ok=drafts_ok).records)
    return known if known or seen else None


def check_one(path: str, kind: str, data: bytes, drafts_ok: bool) -> list[RecordError]:
    """The single-item rules of one file of `kind` (the staff tools' check before they write)."""
    src, errors = parse_item(path, kind, data)
    return errors if src is None else kindrules.check_item(src, drafts_ok)
