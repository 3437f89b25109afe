"""Where build state lives: one folder beside the output, never inside it.

<parent>/.chenglai-state/<output name>/  holds the parse cache, the output manifest, the last
public count (drop guard) and the search index (`index/`), which the search service reads.
"""

from __future__ import annotations

from pathlib import Path


def state_dir(output: Path, configured: str | Path | None = None) -> Path:
    if configured:
        return Path(configured)
    output = Path(output).resolve()
    return output.parent / ".chenglai-state" / output.name


def index_dir(output: Path, configured: str | Path | None = None) -> Path:
    """The live search index of the site built into `output`."""
    return state_dir(output, configured) / "index"
