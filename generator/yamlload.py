"""Safe YAML loading for record files, keeping the line of every key.

Records are composed (never constructed) with libyaml, then walked by hand: tags other
than the plain YAML ones are refused rather than executed, and an alias is refused at its
first reuse, so an alias bomb costs no more than its file size.
"""

from __future__ import annotations

import codecs
import sys
from typing import Any

import yaml

from .errors import RecordError

try:  # libyaml is 10× faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 64 * 1024
MAX_DEPTH = 8
_BASE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_BASE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
_constructor = yaml.constructor.SafeConstructor()

Lines = dict[tuple[str | int, ...], int]
_PATHS: dict[tuple[str | int, ...], tuple[str | int, ...]] = {}


class _Fail(Exception):
    def __init__(self, line: int, code: str, field: str, message: str):
        self.args = (line, code, field, message)


def decode(path: str, data: bytes) -> str:
    """Bytes → text, refusing anything but UTF-8 with a message a clerk can act on."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
            hint = "看起来是 GBK/GB18030 编码（Windows 记事本或 Excel 的默认保存方式）；请在编辑器中“另存为 UTF-8”后重试"
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
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise RecordError(
            path, line, "E003", "-",
            f"YAML 格式错误（请检查缩进、冒号和引号）：{exc.problem or exc.context}",
        ) from None
    except yaml.YAMLError as exc:
        raise RecordError(path, 1, "E003", "-", f"YAML 格式错误：{exc}") from None
    if node is None:
        raise RecordError(path, 1, "E002", "-", "文件为空（只有注释）：每个文件应包含一条完整记录")
    if not isinstance(node, yaml.MappingNode):
        kind = "列表" if isinstance(node, yaml.SequenceNode) else "单个值"
        raise RecordError(
            path, node.start_mark.line + 1, "E004", "-",
            f"文件顶层是{kind}，应为“字段: 值”的映射（每个文件一条记录）",
        )
    lines: Lines = {}
    try:
        value = _walk(node, (), lines, set(), 0)
    except _Fail as fail:
        line, code, field, message = fail.args
        raise RecordError(path, line, code, field, message) from None
    finally:
        # the shared constructor memoises every node it saw: without this, each record's
        # whole YAML tree (with marks) stays alive, ~9 KB per record (1 GB at 100k)
        _constructor.constructed_objects.clear()
        _constructor.recursive_objects.clear()
    return value, lines, text


def _field(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path if isinstance(p, str)) or "-"


def _walk(node: yaml.Node, path: tuple[str | int, ...], lines: Lines, seen: set[int], depth: int) -> Any:
    line = node.start_mark.line + 1
    if id(node) in seen:
        # the alias's place (its key's line), not the anchor's
        key = path[:-1] if path and isinstance(path[-1], int) else path
        line = lines.get(key, line)
        raise _Fail(line, "E006", _field(path), "不允许使用 YAML 锚点/别名（&、*）：请直接写出取值")
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise _Fail(line, "E004", _field(path), f"嵌套层次超过 {MAX_DEPTH} 层，不符合记录格式")
    if node.tag not in _ALLOWED_TAGS:
        raise _Fail(line, "E005", _field(path), f"不允许的 YAML 标签 {node.tag}（出于安全不会执行）")
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _BASE + "str":
                raise _Fail(key_node.start_mark.line + 1, "E003", _field(path), "字段名必须是文字")
            # interned: 100k records share one copy of each key and key path (memory)
            name: str = sys.intern(key_node.value)
            key_path: tuple[str | int, ...] = (*path, name)
            if len(_PATHS) < 4096:  # bounded: junk files cannot grow it without end
                key_path = _PATHS.setdefault(key_path, key_path)
            if name in result:
                raise _Fail(key_node.start_mark.line + 1, "E003", _field(key_path), "字段重复出现")
            lines[key_path] = key_node.start_mark.line + 1
            result[name] = _walk(value_node, key_path, lines, seen, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            items.append(_walk(item, (*path, i), lines, seen, depth + 1))
        return items
    try:
        return _constructor.construct_object(node)
    except (ValueError, yaml.constructor.ConstructorError):
        # e.g. 2024-02-30 looks like a date but is none: keep the text, the model says why
        return node.value
