"""Pelican settings for the chenglai demo site; `pelican content -s pelicanconf.py` and
`chenglai build` read this same file. PORTAL_* settings are documented in generator/settings.py."""

SITENAME = "失信被执行人名单公示（演示）"
SITEURL = ""
PATH = "content"
OUTPUT_PATH = "output"
THEME = "theme"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh-CN"

# The records generator, the write-only-if-changed writer, the leak gate (generator/pelican_plugin.py).
PLUGIN_PATHS = ["."]
PLUGINS = ["generator.build.plugin"]

# Records are read by the plugin from PATH/PORTAL_RECORDS_DIR, never by Pelican's article reader.
ARTICLE_PATHS = ["news"]
PAGE_PATHS = ["pages"]
STATIC_PATHS: list[str] = []
READERS = {"html": None}  # news and pages are Markdown only

ARTICLE_URL = "news/{slug}/"
ARTICLE_SAVE_AS = "news/{slug}/index.html"
ARTICLE_LANG_URL = "news/{slug}-{lang}/"
ARTICLE_LANG_SAVE_AS = "news/{slug}-{lang}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
PAGE_LANG_URL = "{slug}-{lang}/"
PAGE_LANG_SAVE_AS = "{slug}-{lang}/index.html"
# drafts are never published (not even under /drafts/)
DRAFT_SAVE_AS = DRAFT_LANG_SAVE_AS = DRAFT_PAGE_SAVE_AS = DRAFT_PAGE_LANG_SAVE_AS = ""
# the home page, lists and browse pages are the plugin's; of Pelican's own only /news/
DIRECT_TEMPLATES = ["news"]
NEWS_URL = "news/"
NEWS_SAVE_AS = "news/index.html"
PAGINATED_TEMPLATES = {"news": None}
DEFAULT_PAGINATION = 20
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
INDEX_SAVE_AS = ""
TAGS_SAVE_AS = TAG_SAVE_AS = ""
CATEGORIES_SAVE_AS = CATEGORY_SAVE_AS = ""
AUTHORS_SAVE_AS = AUTHOR_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = MONTH_ARCHIVE_SAVE_AS = DAY_ARCHIVE_SAVE_AS = ""

# Pelican's own feeds are off: feeds come from feedgen (generator/feeds.py).
FEED_ATOM = FEED_RSS = FEED_ALL_ATOM = FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = CATEGORY_FEED_RSS = TAG_FEED_ATOM = TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = TRANSLATION_FEED_ATOM = TRANSLATION_FEED_RSS = None

# Deterministic output: dates come from content metadata only (no DEFAULT_DATE = "fs"),
# one locale, one date format, autoescape on for every template.
LOCALE = ("C.UTF-8", "C")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True, "extensions": []}
# a stale page of a removed record must not survive a plain `pelican` run
DELETE_OUTPUT_DIRECTORY = True
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
SUMMARY_MAX_LENGTH = 80

PORTAL_DEMO = True

# The court's identity. Demo values: every address, window and registration number below is
# fictitious (示例/演示), and the pages say so; 12368 is the courts' nationwide service hotline.
_DEMO_HOURS = "工作日 上午 9:00—12:00，下午 13:30—17:00（演示）"
PORTAL_COURTS = {
    "东营市中级人民法院": {
        "address": "东营市东营区示例大道100号（演示地址，虚构）",
        "phone": "12368",
        "hours": _DEMO_HOURS,
        "window": "诉讼服务中心1号窗口（缴款、纠正申请）（演示）",
    },
    "东营市东营区人民法院": {
        "address": "东营市东营区示例路1号（演示地址，虚构）",
        "phone": "12368",
        "hours": _DEMO_HOURS,
        "window": "诉讼服务中心3号窗口（缴款、纠正申请）（演示）",
    },
    "东营市河口区人民法院": {
        "address": "东营市河口区示例路2号（演示地址，虚构）",
        "phone": "12368",
        "hours": _DEMO_HOURS,
        "window": "执行局接待室（缴款、纠正申请）（演示）",
    },
    "东营市垦利区人民法院": {
        "address": "东营市垦利区示例路3号（演示地址，虚构）",
        "phone": "12368",
        "hours": _DEMO_HOURS,
        "window": "诉讼服务中心2号窗口（缴款、纠正申请）（演示）",
    },
    "利津县人民法院": {
        "address": "利津县示例路4号（演示地址，虚构）",
        "phone": "12368",
        "hours": _DEMO_HOURS,
        "window": "诉讼服务中心2号窗口（缴款、纠正申请）（演示）",
    },
    "广饶县人民法院": {
        "address": "广饶县示例路5号（演示地址，虚构）",
        "phone": "12368",
        "hours": _DEMO_HOURS,
        "window": "诉讼服务中心1号窗口（缴款、纠正申请）（演示）",
    },
}
PORTAL_SPONSOR = "东营市中级人民法院（演示站点，非官方）"
PORTAL_ICP = "鲁ICP备00000000号（演示，虚构）"
PORTAL_GOV_SITE_CODE = "0000000000（演示，虚构）"
PORTAL_PSB_RECORD = "鲁公网安备00000000000000号（演示，虚构）"
PORTAL_EMBLEM = "theme/images/emblem-demo.svg"
