"""PORTAL_* settings: one defaults table, merged under pelicanconf.py, validated once."""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from generator.domain.certificates import ENV, secret_bytes
from generator.errors import UsageError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def certificate_secret() -> bytes | None:
    """The secret of certificate numbers (CHENGLAI_CERT_SECRET); None when unset: no
    certificates and no /verify/ pages. Never a setting: a settings file is in git."""
    return secret_bytes(os.environ.get(ENV))


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
    "PORTAL_NOINDEX_PERSONS": (
        True,
        "自然人的记录页加 noindex 且不列入站点地图（个人信息保护法第六条、第五十五条）；False 时与组织相同",
    ),
    "PORTAL_DATA_PERSONS": (False, "为 True 时开放数据（/data/ 的 CSV、JSON 与变更文件）也包含自然人；默认只含组织"),
    "PORTAL_VERIFY_YEARS": (
        5,
        "信用修复证明核验页（/verify/）在删除后保留的年数（征信业管理条例第十六条：不良信息保存 5 年）",
    ),
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
    "PORTAL_DATA_LICENSE": ("数据使用条款", "开放数据与订阅的使用条款名称（含个人信息，不用开放许可协议）"),
    "PORTAL_DATA_LICENSE_URL": (None, "使用条款全文网址；None 表示本站数据说明页（/data/，末节为数据使用条款）"),
    "PORTAL_COURTS": (
        {},
        "各执行法院的联系信息，键为法院名称（与记录的 court 相同），值为 {address 地址, phone 电话, hours 办公时间, "
        "window 缴款与纠正申请窗口}（均可省略）；显示在法院列表页、记录页、纠正申请页和打印公告上。门牌号、窗口号紧贴“号”字写"
        "（100号，不写 100 号）：数字、空格、“号”在泄露检查看来像被拆开的案号，每一页都要再细读一遍，构建慢数倍",
    ),
    "PORTAL_PUBLISH_TO": (
        None,
        "chenglai publish 的默认发布目标（rclone 路径，如 /srv/chenglai 或 web:/srv/chenglai）；None 表示须用 --to 指定",
    ),
    "PORTAL_SPONSOR": (None, "页脚“主办单位”，如某某市中级人民法院；None 表示不显示"),
    "PORTAL_ICP": (None, "页脚 ICP 备案号（如 鲁ICP备00000000号），链接到工业和信息化部备案系统；None 表示不显示"),
    "PORTAL_GOV_SITE_CODE": (None, "页脚“政府网站标识码”（10 位）；None 表示不显示"),
    "PORTAL_PSB_RECORD": (
        None,
        "页脚公安机关互联网站安全备案号（如 鲁公网安备37050202000000号），链接到全国互联网安全管理服务平台；None 表示不显示",
    ),
    "PORTAL_EMBLEM": (None, "页头标识图片的站内地址（如 theme/images/emblem.svg），显示在站名前；None 表示不显示"),
    "PORTAL_FAVICON": (None, "站点图标文件（.ico）在 content 目录中的相对路径，输出为 /favicon.ico；None 表示主题自带的 favicon.ico"),
}

# the keys of one court's entry in PORTAL_COURTS, with their labels on the pages
COURT_FIELDS: dict[str, str] = {
    "address": "地址",
    "phone": "联系电话",
    "hours": "办公时间",
    "window": "缴款与纠正申请窗口",
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
    if not isinstance(out["PORTAL_VERIFY_YEARS"], int) or out["PORTAL_VERIFY_YEARS"] < 1:
        raise UsageError("PORTAL_VERIFY_YEARS 应为正整数")
    if out["PORTAL_PUBLISH_TO"] is not None and not isinstance(out["PORTAL_PUBLISH_TO"], str):
        raise UsageError("PORTAL_PUBLISH_TO 应为字符串（rclone 路径）或 None")
    if not 0 <= float(out["PORTAL_MAX_DROP"]) <= 1:
        raise UsageError("PORTAL_MAX_DROP 应在 0 与 1 之间")
    _check_courts(out["PORTAL_COURTS"])
    emblem = out["PORTAL_EMBLEM"]
    if isinstance(emblem, str) and (emblem.startswith("/") or "://" in emblem or ".." in emblem.split("/")):
        raise UsageError("PORTAL_EMBLEM 应为站内相对地址，如 theme/images/emblem.svg（图片放在主题的 static/images/ 下）")
    for name in ("PORTAL_SPONSOR", "PORTAL_ICP", "PORTAL_GOV_SITE_CODE", "PORTAL_PSB_RECORD", "PORTAL_EMBLEM",
                 "PORTAL_FAVICON"):  # fmt: skip
        if out[name] is not None and (not isinstance(out[name], str) or not out[name].strip()):
            raise UsageError(f"{name} 应为非空文字或 None")
    return out


def _check_courts(courts: Any) -> None:
    """PORTAL_COURTS: court name → {address, phone, hours, window}, every value text."""
    if not isinstance(courts, dict):
        raise UsageError("PORTAL_COURTS 应为字典：{法院名称: {address, phone, hours, window}}")
    for court, entry in courts.items():
        if not isinstance(court, str) or not isinstance(entry, dict):
            raise UsageError(f"PORTAL_COURTS 中 {court!r} 的值应为字典：{{address, phone, hours, window}}")
        unknown = sorted(str(k) for k in entry if k not in COURT_FIELDS)
        if unknown:
            raise UsageError(f"PORTAL_COURTS 中 {court} 有未知项：{', '.join(unknown)}（可用 {', '.join(COURT_FIELDS)}）")
        bad = sorted(k for k, v in entry.items() if not isinstance(v, str) or not v.strip())
        if bad:
            raise UsageError(f"PORTAL_COURTS 中 {court} 的 {', '.join(bad)} 应为非空文字")
