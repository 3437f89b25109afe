"""Where build state lives: one folder beside the output, never inside it.

    <parent>/.chenglai-state/<output name>/        the state of the site built into <output>
        state.sqlite3                               the store (generator.state.store)
        generations/<gen>/site/   generations/<gen>/index/     one build each
    <output>  →  <state>/generations/<gen>/site    (a symbolic link: the live build)

The live search index is the `index/` beside the site the output link points at, so the site
and its index switch together (generator.build.generations). Before the first build of this
layout the index lived in `<state>/index`; `index_dir` still finds it there.
"""

from __future__ import annotations

import os
from pathlib import Path

GENERATIONS = "generations"


def state_dir(output: Path, configured: str | Path | None = None) -> Path:
    if configured:
        return Path(configured)
    # the output's own name is never followed: it is a link into the state folder itself
    out = Path(os.path.abspath(output))
    return out.parent.resolve() / ".chenglai-state" / out.name


def generations_dir(state: Path) -> Path:
    """The folder of the build generations under a state folder."""
    return Path(state) / GENERATIONS


def index_dir(output: Path, configured: str | Path | None = None) -> Path:
    """The live search index of the site built into `output`: beside the site the output link
    points at; else (an output folder of the old layout, or nothing built yet) `<state>/index`.
    A link is recognised by its target's shape (…/generations/<gen>/site), not by the state
    folder: a reader that does not know PORTAL_STATE_PATH (`chenglai serve --no-build`, the
    service) finds the live index all the same. A few system calls, no file read: the search
    service asks once per request."""
    out = Path(os.path.abspath(output))
    if out.is_symlink():
        site = Path(os.path.realpath(out))
        if site.name == "site" and site.parent.parent.name == GENERATIONS:
            return site.parent / "index"
    return state_dir(out, configured) / "index"


# In the index folder `chenglai publish` sends to: the name of the live index beside it, read by
# the search service at every request (a publish switches it as a build switches the link).
POINTER = "CURRENT"
