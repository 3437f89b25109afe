"""PORTAL_* settings: one defaults table, merged under pelicanconf.py, validated once."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from generator.errors import UsageError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_shanghai() -> date:
    """Today in Asia/Shanghai: the default build date (SPEC §2)."""
    return datetime.now(SHANGHAI).date()


# name: (default, one line of help). docs/settings.md is checked against this table.
PORTAL_DEFAULTS: dict[str, tuple[Any, str]] = {
    "PORTAL_RECORDS_DIR": ("debtors", "记录文件所在目录（相对于 PATH 内容目录）"),
    "PORTAL_AS_OF": (None, "发布日期 YYYY-MM-DD；None 表示上海时区的今天（命令行 --as-of 优先）"),
    "PORTAL_REMOVAL_NOTICE_DAYS": (90, "删除公告在 /removals/ 与删除订阅中保留的天数"),
    "PORTAL_PER_PAGE": (50, "列表页每页条数"),
    "PORTAL_MAX_DROP": (0.2, "公开记录数较上次构建下降超过此比例时拒绝构建（可用 --allow-drop 放行）"),
    "PORTAL_NOINDEX_RECORDS": (False, "为 True 时记录页加 noindex，搜索引擎不收录"),
    "PORTAL_STATE_PATH": (
        None,
        "构建状态目录（状态库 state.sqlite3、各代网站与搜索索引）；None 表示输出目录旁的 .chenglai-state/<输出目录名>",
    ),
    "PORTAL_DEMO": (False, "为 True 时每页标明“演示数据，纯属虚构”"),
    "PORTAL_SEARCH_URL": ("/search/", "搜索表单提交地址（搜索服务的 HTML 结果页）"),
    "PORTAL_JOBS": (None, "并行进程数；None 表示 CPU 核数"),
    "PORTAL_TAG_AUTHORITY": (
        None,
        "订阅条目 tag: 标识的域名（一经发布不要更改）；None 表示取 SITEURL 的主机名，SITEURL 为空时用 chenglai.invalid",
    ),
    "PORTAL_FEED_LIMIT": (100, "新纳入名单、各法院、各地区订阅中的最新条目数"),
    "PORTAL_CHANGES_DAYS": (90, "/data/changes/ 中每日变更文件保留的天数"),
    "PORTAL_DATA_LICENSE": ("CC BY 4.0", "开放数据与订阅的许可协议名称"),
    "PORTAL_DATA_LICENSE_URL": (
        "https://creativecommons.org/licenses/by/4.0/deed.zh-hans",
        "许可协议全文网址",
    ),
    "PORTAL_PUBLISH_TO": (
        None,
        "chenglai publish 的默认发布目标（rclone 路径，如 /srv/chenglai 或 web:/srv/chenglai）；None 表示须用 --to 指定",
    ),
}


def portal_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The PORTAL_* values of a Pelican settings dict, defaults filled in and checked."""
    out = {name: settings.get(name, default) for name, (default, _help) in PORTAL_DEFAULTS.items()}
    unknown = sorted(k for k in settings if k.startswith("PORTAL_") and k not in PORTAL_DEFAULTS)
    if unknown:
        raise UsageError(f"未知设置：{', '.join(unknown)}")
    if not isinstance(out["PORTAL_REMOVAL_NOTICE_DAYS"], int) or out["PORTAL_REMOVAL_NOTICE_DAYS"] < 0:
        raise UsageError("PORTAL_REMOVAL_NOTICE_DAYS 应为非负整数")
    if not isinstance(out["PORTAL_PER_PAGE"], int) or out["PORTAL_PER_PAGE"] < 1:
        raise UsageError("PORTAL_PER_PAGE 应为正整数")
    for name in ("PORTAL_FEED_LIMIT", "PORTAL_CHANGES_DAYS"):
        if not isinstance(out[name], int) or out[name] < 1:
            raise UsageError(f"{name} 应为正整数")
    authority = out["PORTAL_TAG_AUTHORITY"]
    if authority is not None and not re.fullmatch(r"([^@\s]+@)?[A-Za-z0-9.-]+\.[A-Za-z]{2,}", str(authority)):
        raise UsageError("PORTAL_TAG_AUTHORITY 应为域名（如 court.example.gov.cn）或电子邮件地址（RFC 4151）")
    if out["PORTAL_PUBLISH_TO"] is not None and not isinstance(out["PORTAL_PUBLISH_TO"], str):
        raise UsageError("PORTAL_PUBLISH_TO 应为字符串（rclone 路径）或 None")
    if not 0 <= float(out["PORTAL_MAX_DROP"]) <= 1:
        raise UsageError("PORTAL_MAX_DROP 应在 0 与 1 之间")
    return out
