"""argparse in Chinese: usage errors and help headings that staff read. argparse writes its own
messages in English (through gettext, with no Chinese catalogue installed); they are matched
here, by the fixed wording argparse uses, and said again in Chinese. A message no pattern knows
passes unchanged (a newer Python's new wording is English, never lost)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

EXIT_USAGE = 2

_TYPES = {"int": "整数", "float": "数字"}


def _invalid_value(m: re.Match[str]) -> str:
    kind = _TYPES.get(m["type"], m["type"])
    return f"应为{kind}，而不是 {m['value']}"


# (argparse's wording, the Chinese) — the wording of Python 3.11 to 3.13's argparse.py
_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^the following arguments are required: (?P<names>.+)$"), "缺少必需的参数：{names}"),
    (re.compile(r"^one of the arguments (?P<names>.+) is required$"), "以下参数必须给出一个：{names}"),
    (re.compile(r"^unrecognized arguments: (?P<args>.+)$"), "无法识别的参数：{args}（用 -h 查看可用的选项）"),
    (
        re.compile(r"^ambiguous option: (?P<option>\S+) could match (?P<matches>.+)$"),
        "选项 {option} 有歧义，可能是：{matches}",
    ),
    (re.compile(r"^argument (?P<name>[^:]+): (?P<rest>.+)$"), None),  # the argument's own message, below
]
_ARGUMENT_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"^invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)$"),
        "无效的值 {value}（可选：{choices}）",
    ),
    (re.compile(r"^invalid (?P<type>\w+) value: (?P<value>.+)$"), _invalid_value),
    (re.compile(r"^expected one argument$"), "需要一个值"),
    (re.compile(r"^expected at least one argument$"), "至少需要一个值"),
    (re.compile(r"^expected at most one argument$"), "最多只能有一个值"),
    (re.compile(r"^expected (?P<n>\d+) arguments?$"), "需要 {n} 个值"),
    (re.compile(r"^not allowed with argument (?P<other>.+)$"), "不能与 {other} 同时使用"),
    (re.compile(r"^ignored explicit argument (?P<value>.+)$"), "不接受值 {value}"),
]


def _say(table: list[tuple[re.Pattern[str], Any]], message: str) -> str | None:
    for pattern, chinese in table:
        m = pattern.match(message)
        if m is None:
            continue
        return chinese(m) if callable(chinese) else chinese.format(**m.groupdict())
    return None


def chinese(message: str) -> str:
    """argparse's usage error in Chinese (unchanged when its wording is not known here)."""
    for pattern, said in _MESSAGES:
        m = pattern.match(message)
        if m is None:
            continue
        if said is not None:
            return str(said.format(**m.groupdict()))
        rest = _say(_ARGUMENT_MESSAGES, m["rest"])
        return f"参数 {m['name']}：{rest or m['rest']}"
    return message


class ChineseParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage line, help headings and usage errors are Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def format_usage(self) -> str:
        return _usage(super().format_usage())

    def format_help(self) -> str:
        return _usage(super().format_help())

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: 用法错误：{chinese(message)}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _usage(text: str) -> str:
    return "用法：" + text[len("usage: ") :] if text.startswith("usage: ") else text
