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
import sys
from datetime import date
from functools import lru_cache
from typing import Any

import yaml
from yaml import events

from generator.errors import RecordError

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


def line_of(lines: Lines, *field: str | int) -> int:
    """Line of a field, or of its nearest present parent, or 1."""
    while field:
        if field in lines:
            return lines[field]
        field = field[:-1]
    return 1
_PATHS: dict[tuple[str | int, ...], tuple[str | int, ...]] = {}


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
    fast = _simple(text)
    if fast is not None:  # the plain layout every record file has: no parser needed
        return fast[0], fast[1], text
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

# -- the simple layout, without a parser ---------------------------------------------------
# Record files are almost always written the same way (by `chenglai new`, the importer, or a
# clerk copying one): `key: value` lines, one level of `key:` blocks indented by two spaces, and
# `- item` lists. Such a file is read here by line, ≈ 10× faster than libyaml's events; any line
# outside that layout — a comment, a tab, a flow list, a quote or colon inside a value, a
# character libyaml reads specially — sends the whole file to the parser (_build), which alone
# reports problems. The values are those the parser gives: plain scalars through the same
# resolver (_plain), quoted ones as written. tests/test_yamlload.py compares both on many files.
_KEY_LINE = re.compile(r"( {2})?([a-z_][a-z0-9_]*):(?: +(\S(?:.*\S)?))? *$")
_ITEM_LINE = re.compile(r"( {2})?- +(\S(?:.*\S)?) *$")
# a plain scalar that starts like text (no indicator) and has no quote, colon, comment sign or
# flow character anywhere; single- and double-quoted ones without escapes
_PLAIN = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@`\s][^:,\[\]{}#'\"]*")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"\\]*)\"")
# what libyaml reads as something else than a printable character of the line (controls, tab,
# CR, NEL, BOM, line and paragraph separators, beyond the BMP): the parser decides
_UNUSUAL = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")


_NOT_SIMPLE: tuple[Any] = (_NOTHING,)
_SCALARS: dict[str, tuple[Any]] = {}  # scalar text → (value,) or _NOT_SIMPLE; values repeat
_KEY_PATHS: dict[tuple[str | int, ...], dict[str, tuple[str | int, ...]]] = {}  # parent → key → path


def _scalar(text: str) -> tuple[Any]:
    """(value,) of a scalar in the simple layout, or _NOT_SIMPLE."""
    known = _SCALARS.get(text)
    if known is not None:
        return known
    if _PLAIN.fullmatch(text):
        known = (_plain(text),)
    else:
        m = _QUOTED.fullmatch(text)
        known = _NOT_SIMPLE if m is None else (m[1] if m[1] is not None else m[2],)
    if len(_SCALARS) < 65536:
        _SCALARS[text] = known
    return known


def _key_path(parent: tuple[str | int, ...], key: str) -> tuple[str | int, ...]:
    """The shared key path of `key` under `parent`, its key interned."""
    paths = _KEY_PATHS.get(parent)
    if paths is None:
        paths = {}
        if len(_KEY_PATHS) < 256:  # junk files cannot grow the tables without end
            _KEY_PATHS[parent] = paths
    path = paths.get(key)
    if path is None:
        path = _shared((*parent, sys.intern(key)))
        if len(paths) < 256:
            paths[key] = path
    return path


def _simple(text: str) -> tuple[dict[str, Any], Lines] | None:
    """The mapping and the line of each key of a file in the simple layout, or None."""
    if _UNUSUAL.search(text):
        return None
    root: dict[Any, Any] = {}  # keys: str (from key paths typed str | int)
    lines: Lines = {}
    block: Any = None  # the dict or list of the last `key:` line, while its lines follow
    block_path: tuple[str | int, ...] = ()
    block_indent: str | None = None  # of a block's lines: "" or "  " (lists), "  " (mappings)
    key_line, item_line, no = _KEY_LINE.match, _ITEM_LINE.match, _NOT_SIMPLE
    for n, line in enumerate(text.split("\n"), start=1):
        if not line or line[0] == " " and not line.strip(" "):
            continue
        m = key_line(line)
        if m is not None:
            indent, rest = m[1], m[3]
            if indent:  # a key of the open block: a mapping
                if block is None or isinstance(block, list) and block:
                    return None
                if isinstance(block, list):  # the block's first line: it is a mapping
                    block = {}
                    root[block_path[0]] = block
                if rest is None:
                    return None
                path = _key_path(block_path, m[2])
                key = path[-1]
                value = _scalar(rest)
                if value is no or key in block:
                    return None
                lines[path] = n
                block[key] = value[0]
                continue
            if block is not None and not block:
                return None  # `key:` with nothing under it
            path = _key_path((), m[2])
            key = path[0]
            if key in root:
                return None
            lines[path] = n
            if rest is None:
                block, block_path, block_indent = [], path, None  # a list or mapping follows
                root[key] = block
                continue
            value = _scalar(rest)
            if value is no:
                return None
            root[key] = value[0]
            block = None
            continue
        m = item_line(line)
        if m is None or not isinstance(block, list):
            return None
        indent = m[1] or ""
        if block_indent is None:
            block_indent = indent
        elif indent != block_indent:
            return None
        value = _scalar(m[2])
        if value is no:
            return None
        lines[_shared((*block_path, len(block)))] = n
        block.append(value[0])
    if not root or (block is not None and not block):
        return None
    return root, lines


def _field(path: tuple[str | int, ...]) -> str:
    return ".".join(p for p in path if isinstance(p, str)) or "-"


def _build(loader: Any, lines: Lines) -> tuple[Any, int]:
    """Events → one document's value and its first line, iteratively (no recursion, bounded depth).

    The hot loop of `chenglai check` (about half its time): one pass, locals only, and a
    value's key path is built only where a line is recorded or an error is raised."""
    scalar_event, map_start, seq_start = events.ScalarEvent, events.MappingStartEvent, events.SequenceStartEvent
    map_end, seq_end, alias_event, doc_start = (
        events.MappingEndEvent, events.SequenceEndEvent, events.AliasEvent, events.DocumentStartEvent,
    )  # fmt: skip
    get_event = loader.get_event
    # a frame: [container, its key path, the mapping key waiting for its value (or None), is a mapping]
    stack: list[list[Any]] = []
    top: list[Any] | None = None
    root: Any = _NOTHING
    root_line = 1
    documents = 0
    try:
        while (ev := get_event()) is not None:
            cls = type(ev)
            if cls is scalar_event or cls is map_start or cls is seq_start:
                line = ev.start_mark.line + 1
                if top is None:
                    path: tuple[str | int, ...] = ()
                elif top[3]:
                    if top[2] is None:  # a mapping key: plain text; `1:` or `yes:` are unknown names, not numbers
                        if cls is not scalar_event:
                            raise _Fail(line, "E003", _field(top[1]), "字段名必须是文字，不能是列表或映射")
                        if ev.tag is not None and ev.tag != "!" and ev.tag != STR:
                            raise _Fail(
                                line, "E005", _field(top[1]), f"不允许的 YAML 标签 {ev.tag}（出于安全不会执行）"
                            )
                        key = sys.intern(ev.value)
                        if key in top[0]:
                            raise _Fail(line, "E003", _field((*top[1], key)), f"字段 {key} 重复出现")
                        top[2] = key
                        lines[_shared((*top[1], key))] = line
                        continue
                    path = _shared((*top[1], top[2]))
                else:
                    path = _shared((*top[1], len(top[0])))
                    lines[path] = line
                if cls is scalar_event:
                    tag = ev.tag
                    if tag is None or tag == "!":
                        value = _plain(ev.value) if ev.implicit[0] else ev.value  # quoted: always text
                    else:
                        value = _tagged(tag, ev.value, line, path)
                else:
                    if len(stack) >= MAX_DEPTH:
                        raise _Fail(line, "E004", _field(path), f"嵌套层次超过 {MAX_DEPTH} 层，不符合记录格式")
                    is_map = cls is map_start
                    if ev.tag is not None and ev.tag != "!" and ev.tag != (MAP if is_map else SEQ):
                        raise _Fail(line, "E005", _field(path), f"不允许的 YAML 标签 {ev.tag}（出于安全不会执行）")
                    value = {} if is_map else []
                if top is None:
                    root, root_line = value, line
                elif top[3]:
                    top[0][top[2]] = value
                    top[2] = None
                else:
                    top[0].append(value)
                if cls is not scalar_event:
                    top = [value, path, None, is_map]
                    stack.append(top)
            elif cls is map_end or cls is seq_end:
                stack.pop()
                top = stack[-1] if stack else None
            elif cls is alias_event:
                line = ev.start_mark.line + 1
                if top is None:
                    path = ()
                elif top[3] and top[2] is not None:
                    path = (*top[1], top[2])
                else:
                    path = top[1]
                raise _Fail(line, "E006", _field(path), "不允许使用 YAML 锚点/别名（&、*）：请直接写出取值")
            elif cls is doc_start:
                documents += 1
                if documents > 1:
                    raise _Fail(
                        ev.start_mark.line + 1, "E003", "-",
                        "一个文件只能有一条记录：发现第二个 YAML 文档（---）",
                    )  # fmt: skip
    finally:
        loader.dispose()
    return root, root_line


def _shared(path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """One copy of each key path for all records (100,000 records, ~30 keys each), bounded
    so that junk files cannot grow the table without end."""
    if len(_PATHS) < 4096:
        return _PATHS.setdefault(path, path)
    return path


def _tagged(tag: str, value: str, line: int, path: tuple[str | int, ...]) -> Any:
    """A scalar with an explicit tag: the plain YAML types only, never an object constructor."""
    if tag not in _SCALAR_TAGS:
        raise _Fail(line, "E005", _field(path), f"不允许的 YAML 标签 {tag}（出于安全不会执行）")
    return _construct(tag, value)


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
