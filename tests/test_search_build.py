"""The index in the real site build (generator.build): each generation has its own index, the
next build updates a hard-linked copy of the live one, and the service over the output link
answers as over a `--full` build of the same content."""

from __future__ import annotations

import json
import os

from generator.state import paths
from search.service import make_app

from .factory import record, write
from .sitefixture import make_site
from .test_search_service import call

QUERIES = ["张", "zsf", "张三改", "zsg", "鑫盛", "东营", "执行", "1234", "（2024）鲁0502执1234号", "赵六"]


def _answers(app):  # type: ignore[no-untyped-def]
    return {q: json.loads(call(app, "/api/search", {"q": q})[2]) for q in QUERIES}


def test_an_edit_updates_the_live_index_and_answers_as_a_full_build(tmp_path):
    site = make_site(tmp_path)
    first = site.build()
    app = make_app(output=site.output)
    live = paths.index_dir(site.output)
    assert live.parent.name == first.generation and os.path.realpath(site.output) == str(live.parent / "site")
    assert [r["title"] for r in _answers(app)["zsf"]["results"]] == ["张三丰"]
    write(site.records, "lu0502/person.yaml", record(obligation="支付货款99元", debtor__name="张三改"))
    second = site.build()
    index = paths.index_dir(site.output)
    assert index.parent.name == second.generation != first.generation
    # a copy of the live index: its segment files are the first generation's (hard links)
    shared = [p.name for p in index.iterdir() if p.suffix == ".seg" and (live / p.name).exists()]
    assert shared and all((index / n).stat().st_ino == (live / n).stat().st_ino for n in shared)
    updated = _answers(app)  # the same app: it followed the link
    assert json.loads(call(app, "/api/health")[2])["generation"] == second.generation
    assert [r["title"] for r in updated["zsg"]["results"]] == ["张三改"] and updated["zsf"]["total"] == 0
    reference = tmp_path / "reference"
    site.build(output=reference, full=True)
    assert updated == _answers(make_app(output=reference))
