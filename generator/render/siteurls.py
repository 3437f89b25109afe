"""Links and stable identifiers that feeds and data files put in front of re-users.

With SITEURL set, every link is absolute (`SITEURL/path`), as feed readers and re-users
need. With SITEURL empty (local preview, the demo) links are root-relative (`/path`):
deterministic, and right for a site served at the root of its host, as `chenglai serve`
does. Entry ids never depend on the URL: they are `tag:` URIs (RFC 4151) minted from the
record id, so moving the site does not make every entry look new.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from generator.settings import PORTAL_DEFAULTS

# China has kept UTC+8 without daylight saving since 1991: a fixed offset needs no tzdata
SHANGHAI = timezone(timedelta(hours=8))
# The tagging date of RFC 4151: the authority held its name on this date. Never change it,
# or every entry id changes.
TAG_DATE = "2024"
# Reserved top-level domain (RFC 2606): the authority when neither setting names a host
PLACEHOLDER_AUTHORITY = "chenglai.invalid"


def setting(settings: dict[str, Any], name: str) -> Any:
    """A PORTAL_* value from the build's settings, or its documented default."""
    return settings.get(name, PORTAL_DEFAULTS[name][0])


def site_url(settings: dict[str, Any], path: str = "") -> str:
    """Absolute URL of a site path when SITEURL is set; root-relative otherwise."""
    base = str(settings.get("SITEURL") or "").rstrip("/")
    return f"{base}/{path.lstrip('/')}"


def tag_authority(settings: dict[str, Any]) -> str:
    """PORTAL_TAG_AUTHORITY, else SITEURL's host, else a reserved placeholder."""
    configured = setting(settings, "PORTAL_TAG_AUTHORITY")
    if configured:
        return str(configured)
    host = urlsplit(str(settings.get("SITEURL") or "")).hostname
    return host or PLACEHOLDER_AUTHORITY


def tag_uri(settings: dict[str, Any], specific: str) -> str:
    """`tag:<authority>,2024:<specific>`, e.g. specific = "debtor/2024-lu0502-zhi-1234"."""
    return f"tag:{tag_authority(settings)},{TAG_DATE}:{specific}"


def day_start(d: date) -> datetime:
    """00:00 of a day in Asia/Shanghai: the time given to every date of the data."""
    return datetime(d.year, d.month, d.day, tzinfo=SHANGHAI)


def terms_url(settings: dict[str, Any]) -> str:
    """Where the terms of use of the data and feeds are: PORTAL_DATA_LICENSE_URL, else the
    数据使用条款 section of the site's /data/ page."""
    return str(setting(settings, "PORTAL_DATA_LICENSE_URL") or site_url(settings, "data/"))
