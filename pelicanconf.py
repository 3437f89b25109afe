"""Pelican settings for the chenglai demo site; `pelican content -s pelicanconf.py` and
`chenglai build` read this same file. PORTAL_* settings are documented in generator/settings.py."""

SITENAME = "失信被执行人名单公示（演示）"
SITEURL = ""
PATH = "content"
THEME = "theme"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh-CN"

PORTAL_DEMO = True
