"""Every kind of page the site has: the list the accessibility and phone-width tests walk.
Names are fixed at collection time; `path_for` finds the page on the built fixture site."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from .sitefixture import FixtureSite


def _first(site: FixtureSite):  # type: ignore[no-untyped-def]
    return site.view.public[0]


PAGES: dict[str, Callable[[FixtureSite], str]] = {
    "home": lambda s: "/",
    "debtors": lambda s: "/debtors/",
    "debtors-page-2": lambda s: s.next_page_path,
    "record": lambda s: f"/debtors/{s.record_id('person')}/",
    "record-org": lambda s: f"/debtors/{s.record_id('org')}/",
    "notice": lambda s: f"/debtors/{s.record_id('person')}/notice/",
    "courts": lambda s: "/courts/",
    "court": lambda s: f"/courts/{_first(s).court_slug}/",
    "regions": lambda s: "/regions/",
    "region": lambda s: f"/regions/{_first(s).region_code}/",
    "grounds": lambda s: "/grounds/",
    "ground": lambda s: f"/grounds/{_first(s).grounds[0]}/",
    "removals": lambda s: "/removals/",
    "news": lambda s: "/news/",
    "news-article": lambda s: "/news/fixture-news/",
    "page": lambda s: s.static_page_path,
    "search-form": lambda s: "/search/",
    "search-results": lambda s: "/search/?q=" + quote("单雄信"),
    "search-none": lambda s: "/search/?q=" + quote("查无此人"),
    "stats": lambda s: "/stats/",
    "feeds": lambda s: "/feeds/",
    "data": lambda s: "/data/",
    "correction": lambda s: "/correction/",
    "not-found": lambda s: "/no-such-page/",
    # the other kinds (SPEC §7)
    "publicity": lambda s: "/publicity/",
    "restrictions": lambda s: "/restrictions/",
    "restriction": lambda s: s.first_item("restrictions"),
    "lifts": lambda s: "/restrictions/lifted/",
    "lift": lambda s: s.first_item("restrictions/lifted"),
    "rewards": lambda s: "/rewards/",
    "reward": lambda s: s.first_item("rewards"),
    "exposure": lambda s: "/exposure/",
    "batch": lambda s: s.first_item("exposure"),
    "batch-print": lambda s: s.first_item("exposure") + "print/",
}
PAGE_NAMES = list(PAGES)


def path_for(site: FixtureSite, kind: str) -> str:
    return PAGES[kind](site)
