"""Round-trip edits of record files: comments, key order, quoting and indentation survive.

Staff annotate records by hand (`# 见执行笔录第 3 页`); a tool that rewrote the whole file
would lose that. ruamel.yaml keeps comments, but attaches the comment lines that stand
*between* two keys to the end of the first one, so inserting or deleting a key next to them
would move a comment onto the wrong field. `Document.set` / `Document.delete` fix that up.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.tokens import CommentToken

from generator.domain.records import Basis, Debtor, Record, Vetting
from generator.domain.yamlload import decode
from generator.errors import RecordError
from generator.read.checker import check_file
from generator.read.kinds import check_one, kind_of

# Where a missing key goes: the model's field order, which is also the demo files' order.
FIELD_ORDER: dict[tuple[str, ...], list[str]] = {
    (): list(Record.model_fields),
    ("basis",): list(Basis.model_fields),
    ("debtor",): list(Debtor.model_fields),
    ("vetting",): list(Vetting.model_fields),
}

Path_ = Sequence[str]


class _Representer(RoundTripRepresenter):
    """ruamel writes YAML 1.2, but `chenglai check` reads YAML 1.1 (PyYAML): a string such as
    `yes`, `No` or `10:30` is plain text to the one and a boolean or a number to the other, so
    quote every string YAML 1.1 would not read back as a string. Amounts are Decimals in our
    code; written as plain YAML numbers with two decimals."""


_STR = "tag:yaml.org,2002:str"
_YAML11 = yaml.resolver.Resolver()


def _represent_str(rep: RoundTripRepresenter, value: str) -> Any:
    if _YAML11.resolve(yaml.ScalarNode, value, (True, False)) != _STR:
        return rep.represent_scalar(_STR, value, style="'")
    return RoundTripRepresenter.represent_str(rep, value)


def _represent_decimal(rep: RoundTripRepresenter, value: Decimal) -> Any:
    return rep.represent_scalar("tag:yaml.org,2002:float", f"{value:.2f}")


_Representer.add_representer(str, _represent_str)
_Representer.add_representer(Decimal, _represent_decimal)


class EditError(ValueError):
    """The file cannot be edited as a record (not YAML, or not a mapping)."""


def _yaml(mapping: int = 2, offset: int = 0) -> YAML:
    y = YAML(typ="rt")
    y.Representer = _Representer
    y.preserve_quotes = True
    y.width = 4096  # never fold a long obligation text onto two lines
    y.allow_unicode = True
    y.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return y


_TRAILING_COMMENT = re.compile(r"\s+#.*$")


def guess_indent(text: str) -> tuple[int, int]:
    """(mapping indent, dash offset of block lists) as the file uses them; ruamel applies one
    setting to the whole file, so take it from the file. (ruamel's load_yaml_guess_indent
    parses the file a second time and mixes list and mapping indents.)"""
    mapping = offset = None
    opener = None  # indent of the previous line when it was a bare `key:` opening a block
    for line in text.splitlines():
        body = _TRAILING_COMMENT.sub("", line.strip())
        if not body or body.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if opener is not None:
            if body.startswith("- ") or body == "-":
                offset = indent - opener if offset is None else offset
            elif mapping is None and indent > opener:
                mapping = indent - opener
        opener = indent if body.endswith(":") and not body.startswith("- ") else None
        if mapping is not None and offset is not None:
            break
    return mapping or 2, max(offset or 0, 0)


class Document:
    """One record file held for editing."""

    def __init__(self, text: str):
        mapping, offset = guess_indent(text)
        self._yaml = _yaml(mapping, offset)
        try:
            data = self._yaml.load(text)
        except YAMLError as exc:
            raise EditError(f"YAML 格式错误：{exc}") from None
        if not isinstance(data, CommentedMap):
            raise EditError("文件顶层不是“字段: 值”的映射")
        self.data: CommentedMap = data

    @classmethod
    def read(cls, path: Path) -> Document:
        """Load a record file for editing; EditError (Chinese message) when it cannot be."""
        try:
            return cls(decode(str(path), path.read_bytes()))
        except RecordError as exc:  # not UTF-8: the message says how to fix it
            raise EditError(exc.message) from None
        except OSError as exc:
            raise EditError(f"无法读取文件：{exc.strerror}") from None

    @classmethod
    def new(cls, data: dict[str, Any], header: str | None = None) -> Document:
        """A fresh document in the demo files' layout (2-space indent, block lists)."""
        doc = cls.__new__(cls)
        doc._yaml = _yaml()
        doc.data = _commented(data)
        if header:
            doc.data.yaml_set_start_comment(header)
        return doc

    def dumps(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return out.getvalue()

    def get(self, path: Path_, default: Any = None) -> Any:
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    def line(self, path: Path_) -> int:
        """1-based line of a field as loaded (or of its nearest present parent), for messages."""
        node: Any = self.data
        line = 1
        for key in path:
            if not isinstance(node, CommentedMap) or key not in node:
                break
            try:
                line = node.lc.key(key)[0] + 1
            except (KeyError, TypeError):
                break
            node = node[key]
        return line

    def set(self, path: Path_, value: Any) -> bool:
        """Set a field (creating parent mappings); True when the file changes."""
        parent = self._parent(path, create=True)
        key = path[-1]
        if key in parent:
            if same_value(parent[key], value):
                return False
            old = parent[key]
            parent[key] = _commented(value, like=old)
            return True
        position = _insert_position(parent, tuple(path[:-1]), key)
        parent.insert(position, key, _commented(value))
        if position > 0:
            # comment lines after the previous key belong above whatever follows it
            _move_following_comment(parent, list(parent)[position - 1], key)
        return True

    def delete(self, path: Path_) -> bool:
        parent = self._parent(path, create=False)
        key = path[-1]
        if parent is None or key not in parent:
            return False
        keys = list(parent)
        index = keys.index(key)
        if index > 0:
            # keep the comment lines that followed the deleted key, on the key before it
            _move_following_comment(parent, key, keys[index - 1], append=True)
        del parent[key]
        return True

    def _parent(self, path: Path_, create: bool) -> Any:
        node: Any = self.data
        for i, key in enumerate(path[:-1]):
            if key not in node or not isinstance(node[key], dict):
                if not create:
                    return None
                self.set(path[: i + 1], {})
            node = node[key]
        return node


def save(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: a crash never leaves half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".chenglai-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checked(path: Path, doc: Document, drafts_ok: bool) -> list[RecordError]:
    """Write the edited record only if the bytes pass `chenglai check` (single-record rules);
    else write nothing and return the problems."""
    data = doc.dumps().encode("utf-8")
    kind = kind_of(path)  # a 限制消费令, 悬赏公告 or 曝光批次 (SPEC §7): its own rules
    if kind is not None:
        errors = check_one(str(path), kind, data, drafts_ok)
    else:
        _src, errors = check_file(str(path), data, drafts_ok=drafts_ok)
    if not errors:
        save(path, data)
    return errors


def same_value(old: Any, new: Any) -> bool:
    """Equal as record values: 370502 and '370502', 120000.0 and Decimal('120000.00')."""
    if isinstance(new, Decimal):
        try:
            return not isinstance(old, bool) and Decimal(str(old)) == new
        except ArithmeticError:
            return False
    if isinstance(new, (list, tuple)):
        return isinstance(old, list) and len(old) == len(new) and all(map(same_value, old, new))
    if isinstance(new, dict):
        return isinstance(old, dict) and old.keys() == new.keys() and all(same_value(old[k], new[k]) for k in new)
    if isinstance(new, date) or isinstance(old, date):
        return type(old) is type(new) and old == new
    if isinstance(new, bool) or isinstance(old, bool):
        return old is new
    return bool(old == new or (old is not None and new is not None and str(old) == str(new)))


def _commented(value: Any, like: Any = None) -> Any:
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _commented(v)
        return m
    if isinstance(value, (list, tuple)):
        s = CommentedSeq(_commented(v) for v in value)
        if isinstance(like, CommentedSeq) and like.fa.flow_style():
            s.fa.set_flow_style()  # [a, b] stays [a, b]
        return s
    return value


def _insert_position(parent: CommentedMap, parent_path: tuple[str, ...], key: str) -> int:
    order = FIELD_ORDER.get(parent_path)
    if not order or key not in order:
        return len(parent)
    rank = order.index(key)
    position = 0
    for i, existing in enumerate(parent):
        if existing in order and order.index(existing) < rank:
            position = i + 1
    return position


def _holder(container: Any, key: Any) -> tuple[Any, Any]:
    """The (container, key) whose comment token holds the lines after `key`'s value: for a
    nested mapping or list that is its last entry, recursively."""
    value = container[key]
    if isinstance(value, CommentedMap) and len(value) and not value.fa.flow_style():
        return _holder(value, list(value)[-1])
    if isinstance(value, CommentedSeq) and len(value) and not value.fa.flow_style():
        return _holder(value, len(value) - 1)
    return container, key


def _slot(container: Any) -> int:
    # ruamel keeps a mapping value's end-of-line comment at index 2, a list item's at 0
    return 0 if isinstance(container, CommentedSeq) else 2


def _move_following_comment(parent: CommentedMap, source: Any, target: Any, append: bool = False) -> None:
    """Move the comment lines after `source`'s line (not its end-of-line comment) to after
    `target`; with append, add them after what `target` already has."""
    src_container, src_key = _holder(parent, source)
    entry = src_container.ca.items.get(src_key)
    slot = _slot(src_container)
    token = entry[slot] if entry and len(entry) > slot else None
    if not isinstance(token, CommentToken) or "\n" not in token.value:
        return
    eol, _, following = token.value.partition("\n")
    if not following:
        return
    if eol:
        token.value = eol + "\n"
    else:
        entry[slot] = None
    dst_container, dst_key = _holder(parent, target)
    dslot = _slot(dst_container)
    dst_entry = dst_container.ca.items.setdefault(dst_key, [None, None, None, None])
    existing = dst_entry[dslot]
    if isinstance(existing, CommentToken) and append:
        text = existing.value if existing.value.endswith("\n") else existing.value + "\n"
        existing.value = text + following
    elif isinstance(existing, CommentToken):
        first, _, rest = existing.value.partition("\n")
        existing.value = first + "\n" + following + rest
    else:
        dst_entry[dslot] = CommentToken("\n" + following, CommentMark(0), None)
