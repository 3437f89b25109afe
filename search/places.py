"""The courts and regions a query may name, from the index's site.json facets: their names and
the shorthand people use for courts (search.analysis.court_aliases), and the codes a filter may take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import analysis


@dataclass(frozen=True)
class Place:
    """A court or region a query may name: matched here, applied as a term on its code."""

    key: str  # the facet key: C<court slug> or R<region code>
    name: str  # folded (Simplified)
    aliases: tuple[str, ...] = ()  # every name it answers to, `name` first (court shorthand)

    def named_by(self, runs: list[str]) -> bool:
        """Every Han run typed is the place's name or a shorthand of it (河口法院)."""
        return len(runs) == 1 and runs[0] in (self.aliases or (self.name,))

    def within(self, runs: list[str]) -> bool:
        """Every Han run typed is a part of one of its names (东营区, 河口)."""
        return any(all(r in name for r in runs) for name in self.aliases or (self.name,))


def places_from_facets(facets: dict[str, list[dict[str, Any]]]) -> tuple[Place, ...]:
    """Courts (with their shorthand, analysis.court_aliases) and regions from the index's
    site.json facets."""
    out = [Place("C" + f["value"], analysis.fold(f["label"]), analysis.court_aliases(f["label"]))
           for f in facets.get("court", [])]  # fmt: skip
    out += [Place("R" + f["value"], analysis.fold(f["label"])) for f in facets.get("region", [])]
    return tuple(out)


def known_filters(facets: dict[str, list[dict[str, Any]]]) -> dict[str, frozenset[str]]:
    """The court and region codes an index has records of (site.json's facets)."""
    return {name: frozenset(str(f["value"]) for f in facets.get(name, [])) for name in ("court", "region")}
