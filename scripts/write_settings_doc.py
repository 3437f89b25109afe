"""Regenerate docs/settings.md from generator.settings.PORTAL_DEFAULTS (the one source)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.settings import PORTAL_DEFAULTS  # noqa: E402

HEADER = """# 设置（PORTAL_*）

本文件由 `python scripts/write_settings_doc.py` 从 `generator/settings.py` 生成，请勿手工编辑；
测试会检查它与代码一致。设置写在 `pelicanconf.py`（或 `publishconf.py`）中，未写的取默认值，
未知的 `PORTAL_*` 名称会使构建失败。

| 设置 | 默认值 | 说明 |
|---|---|---|
"""


FOOTER = """
## 法院信息与页脚（PORTAL_COURTS 等）

`PORTAL_COURTS` 以法院名称为键（与记录文件的 `court` 完全相同），每个法院可写四项，均可省略：

```python
PORTAL_COURTS = {
    "东营市东营区人民法院": {
        "address": "东营市东营区××路××号",              # 地址
        "phone": "12368",                               # 联系电话（12368 为全国法院诉讼服务热线）
        "hours": "工作日 上午 9:00—12:00，下午 13:30—17:00",  # 办公时间
        "window": "诉讼服务中心 3 号窗口（缴款、纠正申请）",   # 缴款与纠正申请窗口
    },
}
```

写了的法院，其联系方式显示在该法院的名单页（/courts/<slug>/）、该法院每条记录的页面（“认为信息有误？”之后）、
打印公告（“特此公告”之前）和纠正申请页（/correction/，列出全部法院）。未写的法院，这些位置不显示联系方式。
写错键名（如 `tel`）或值为空，构建以用法错误停止。

页脚依次显示 `PORTAL_SPONSOR`（主办单位）、`PORTAL_GOV_SITE_CODE`（政府网站标识码）、`PORTAL_ICP`（链接到
工业和信息化部备案系统）和 `PORTAL_PSB_RECORD`（链接到全国互联网安全管理服务平台），未设置的不显示。
`PORTAL_EMBLEM` 是页头站名前的标识图片（站内地址，如放在主题 `static/images/` 下的文件为
`theme/images/…`），图片按 36×36 像素显示。`PORTAL_FAVICON` 为站点图标（.ico 文件，content 目录中的相对路径），
输出为 /favicon.ico；不设置时用主题自带的 `theme/favicon.ico`（由 `scripts/make_favicon.py` 生成）。

演示站点（`pelicanconf.py`）中的法院地址、窗口、主办单位和各备案号均为虚构，并在文字中注明“演示”；
正式发布前须在 `publishconf.py` 中改为本院的真实信息。
"""


def render() -> str:
    rows = [f"| `{name}` | `{default!r}` | {help_text} |" for name, (default, help_text) in PORTAL_DEFAULTS.items()]
    return HEADER + "\n".join(rows) + "\n" + FOOTER


if __name__ == "__main__":
    (ROOT / "docs" / "settings.md").write_text(render(), encoding="utf-8")
    print("wrote docs/settings.md")
