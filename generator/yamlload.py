"""Safe YAML loading for record files, keeping the line of every key.

Records are read as a stream of libyaml parser events and built by hand, without a
recursive composer: tags other than the plain YAML ones are refused rather than
executed, any alias (`*name`) is refused where it stands, so an alias bomb costs no more
than its file size, and nesting deeper than a record ever needs stops the file at the
first level too many (libyaml's own composer crashes the interpreter on a 60 KB file of
`[[[[…`, which a clerk's mis-paste or a hostile file can be).
"""

from __future__ import annotations

import codecs
import re
from datetime import date
from functools import lru_cache
from typing import Any

import yaml
from yaml import events

from .errors import RecordError

try:  # libyaml is 10× faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _Loader

    _C_LOADER = True
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    _C_LOADER = False

MAX_BYTES = 64 * 1024
MAX_DEPTH = 8  # a record is 2 levels deep (debtor.name, grounds[0]); 8 leaves room for mistakes
_BASE = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP = (_BASE + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
MAP, SEQ = _BASE + "map", _BASE + "seq"
_SCALAR_TAGS = {STR, INT, FLOAT, BOOL, NULL, TIMESTAMP}
_IMPLICIT = _Loader.yaml_implicit_resolvers
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_constructor = yaml.constructor.SafeConstructor()

Lines = dict[tuple[str | int, ...], int]


class _Fail(Exception):
    def __init__(self, line: int, code: str, field: str, message: str):
        self.args = (line, code, field, message)


def decode(path: str, data: bytes) -> str:
    """Bytes → text, refusing anything but UTF-8 with a message a clerk can act on."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RecordError(
            path, 1, "E001", "-",
            "文件是 UTF-16 编码（Windows 记事本的“Unicode”）：请在编辑器中“另存为 UTF-8”后重试",
        )  # fmt: skip
    if b"\x00" in data[:8192]:
        raise RecordError(path, 1, "E008", "-", "这是二进制文件（如图片、压缩包或 Word 文档），不是文本记录")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
            hint = (
                "看起来是 GBK/GB18030 编码（Windows 记事本或 Excel 的默认保存方式）；请在编辑器中“另存为 UTF-8”后重试"
            )
        except UnicodeDecodeError:
            hint = "含有无法识别的字节；请用编辑器以 UTF-8 编码重新保存"
        raise RecordError(path, line, "E001", "-", f"文件不是 UTF-8 编码：{hint}") from None


def load(path: str, data: bytes) -> tuple[dict[str, Any], Lines, str]:
    """Parse one record file; returns the mapping, the line of each key path, and the text."""
    if len(data) > MAX_BYTES:
        raise RecordError(path, 1, "E007", "-", f"文件超过 {MAX_BYTES // 1024} KB，不像是一条记录")
    text = decode(path, data)
    if not text.strip():
        raise RecordError(path, 1, "E002", "-", "文件为空：每个文件应包含一条完整记录")
    lines: Lines = {}
    try:
        value, root_line = _build(_Loader(text), lines)
    except _Fail as fail:
        line, code, field, message = fail.args
        raise RecordError(path, line, code, field, message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise RecordError(
            path, line, "E003", "-",
            f"YAML 格式错误（请检查缩进、冒号和引号；缩进只能用空格，不能用 Tab）：{exc.problem or exc.context}",
        ) from None  # fmt: skip
    except yaml.reader.ReaderError as exc:  # a control character; carries a position, not a mark
        # libyaml counts the position in UTF-8 bytes, the pure-Python reader in characters
        if _C_LOADER:
            line = text.encode("utf-8")[: exc.position].count(b"\n") + 1
        else:  # pragma: no cover
            line = text[: exc.position].count("\n") + 1
        raise RecordError(
            path,
            line,
            "E003",
            "-",
            f"含有不允许的控制字符 #x{exc.character:04X}：请删除该字符（常见于从网页或 Word 复制）",
        ) from None
    except yaml.YAMLError as exc:
        raise RecordError(path, 1, "E003", "-", f"YAML 格式错误：{str(exc).splitlines()[0]}") from None
    if value is _NOTHING or value is None:  # no document, or an empty one (`---` alone)
        raise RecordError(path, 1, "E002", "-", "文件为空（只有注释）：每个文件应包含一条完整记录")
    if not isinstance(value, dict):
        kind = "列表" if isinstance(value, list) else "单个值"
        raise RecordError(path, root_line, "E004", "-", f"文件顶层是{kind}，应为“字段: 值”的映射（每个文件一条记录）")
    return value, lines, text


_NOTHING = object()


def _field(path: tuple[str | int, ...]) -> str:
    return ".".join(p for p in path if isinstance(p, str)) or "-"


class _Container:
    """A mapping or sequence being built: where the next value goes."""

    __slots__ = ("value", "path", "key")

    def __init__(self, value: dict[str, Any] | list[Any], path: tuple[str | int, ...]):
        self.value = value
        self.path = path
        self.key: str | None = None  # mappings: the key waiting for its value


def _build(loader: Any, lines: Lines) -> tuple[Any, int]:
    """Events → one document's value and its first line, iteratively (no recursion, bounded depth)."""
    stack: list[_Container] = []
    root: Any = _NOTHING
    root_line = 1
    documents = 0
    try:
        while loader.check_event():
            ev = loader.get_event()
            cls = type(ev)
            if cls is events.ScalarEvent or cls is events.MappingStartEvent or cls is events.SequenceStartEvent:
                line = ev.start_mark.line + 1
                top = stack[-1] if stack else None
                if top is not None and type(top.value) is dict and top.key is None:
                    # a mapping key: field names are plain text; `1:` or `yes:` are unknown names, not numbers
                    if cls is not events.ScalarEvent:
                        raise _Fail(line, "E003", _field(top.path), "字段名必须是文字，不能是列表或映射")
                    if ev.tag is not None and ev.tag not in ("!", STR):
                        raise _Fail(line, "E005", _field(top.path), f"不允许的 YAML 标签 {ev.tag}（出于安全不会执行）")
                    key = ev.value
                    if key in top.value:
                        raise _Fail(line, "E003", _field((*top.path, key)), f"字段 {key} 重复出现")
                    top.key = key
                    lines[(*top.path, key)] = line
                    continue
                if top is None:
                    path: tuple[str | int, ...] = ()
                elif type(top.value) is dict:
                    assert top.key is not None
                    path = (*top.path, top.key)
                else:
                    path = (*top.path, len(top.value))
                    lines[path] = line
                if cls is events.ScalarEvent:
                    value = _scalar(ev, line, path)
                else:
                    if len(stack) >= MAX_DEPTH:
                        raise _Fail(line, "E004", _field(path), f"嵌套层次超过 {MAX_DEPTH} 层，不符合记录格式")
                    allowed = MAP if cls is events.MappingStartEvent else SEQ
                    if ev.tag is not None and ev.tag not in ("!", allowed):
                        raise _Fail(line, "E005", _field(path), f"不允许的 YAML 标签 {ev.tag}（出于安全不会执行）")
                    value = {} if cls is events.MappingStartEvent else []
                _attach(stack, value, path)
                if top is None:
                    root, root_line = value, line
                if cls is not events.ScalarEvent:
                    stack.append(_Container(value, path))
            elif cls is events.MappingEndEvent or cls is events.SequenceEndEvent:
                stack.pop()
            elif cls is events.AliasEvent:
                line = ev.start_mark.line + 1
                top = stack[-1] if stack else None
                if top is None:
                    path = ()
                elif type(top.value) is dict and top.key is not None:
                    path = (*top.path, top.key)
                else:
                    path = top.path
                raise _Fail(line, "E006", _field(path), "不允许使用 YAML 锚点/别名（&、*）：请直接写出取值")
            elif cls is events.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Fail(
                        ev.start_mark.line + 1, "E003", "-",
                        "一个文件只能有一条记录：发现第二个 YAML 文档（---）",
                    )  # fmt: skip
    finally:
        loader.dispose()
    return root, root_line


def _attach(stack: list[_Container], value: Any, path: tuple[str | int, ...]) -> None:
    if not stack:
        return
    top = stack[-1]
    if type(top.value) is dict:
        top.value[top.key] = value  # type: ignore[index]
        top.key = None
    else:
        top.value.append(value)  # type: ignore[union-attr]


def _scalar(ev: events.ScalarEvent, line: int, path: tuple[str | int, ...]) -> Any:
    tag = ev.tag
    if tag is None or tag == "!":
        if not ev.implicit[0]:  # quoted: always text
            return ev.value
        return _plain(ev.value)
    if tag not in _SCALAR_TAGS:
        raise _Fail(line, "E005", _field(path), f"不允许的 YAML 标签 {tag}（出于安全不会执行）")
    return _construct(tag, ev.value)


@lru_cache(maxsize=65536)
def _plain(value: str) -> Any:
    """An unquoted scalar's value by the YAML 1.1 rules libyaml's SafeLoader uses.

    Cached: records repeat the same values (男, listed, court names, dates) thousands of
    times, and every result is immutable."""
    for tag, regexp in _IMPLICIT.get(value[:1], ()):
        if regexp.match(value):
            return _construct(tag, value) if tag in _SCALAR_TAGS else value
    return value


def _construct(tag: str, value: str) -> Any:
    if tag == STR:
        return value
    if tag == TIMESTAMP and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value  # e.g. 2024-02-30 looks like a date but is none: the model says why
    try:
        # the tag's own constructor, not construct_object: that one memoises every node it sees
        return _constructor.yaml_constructors[tag](_constructor, yaml.ScalarNode(tag, value))
    except (ValueError, OverflowError, yaml.constructor.ConstructorError):
        return value
