"""The participants of the Loire-estuary demo: the 40 provider organisations of the shipped table
(`data/demo-organisations.csv`: id, name, category public / private, kind, the géo-concepts each provides) and the
two consumers (the Région Pays de la Loire's JNT platform, a public body, and an engineering firm, a private
company). The table is read from the package, never from `shared/`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

CATEGORIES = ("public", "private")


@dataclass(frozen=True)
class Organisation:
    id: str  # short key, also the DNS label of its example domain (`data.<id>.jnt.example`)
    name: str
    category: str  # public | private (as the membership credential states it)
    kind: str  # établissement public national, service de l'État, collectivité territoriale, entreprise...
    provides: tuple[str, ...] = ()  # géo-concept ids, in the table's order

    @property
    def public(self) -> bool:
        return self.category == "public"

    @property
    def domain(self) -> str:
        return f"{self.id}.jnt.example"


# The consumers of the demo. The engineering firm is invented (not one of the 40 providers), so that a private
# company's view of the space is not mixed with a provider's own datasets.
REGION = Organisation("region-pdl", "Région Pays de la Loire — plateforme JNT", "public", "collectivité territoriale")
ENGINEERING_FIRM = Organisation("estuaire-ingenierie", "Estuaire Ingénierie (bureau d'études)", "private",
                                "entreprise")
CONSUMERS: tuple[Organisation, ...] = (REGION, ENGINEERING_FIRM)


class OrganisationTableError(ValueError):
    """A line of the organisations table that cannot be read; the message names the line and the column."""


def parse_organisations(text: str) -> tuple[Organisation, ...]:
    """Organisations from the table's CSV text (columns id, name, category, kind, provides)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"id", "name", "category", "kind", "provides"} - set(reader.fieldnames or ())
    if missing:
        raise OrganisationTableError(f"missing columns: {', '.join(sorted(missing))}")
    result: list[Organisation] = []
    for line, row in enumerate(reader, start=2):
        if row["category"] not in CATEGORIES:
            raise OrganisationTableError(f"line {line}, column category: '{row['category']}' is not public/private")
        provides = tuple(row["provides"].split())
        if not row["id"] or not provides:
            raise OrganisationTableError(f"line {line}: an organisation needs an id and at least one géo-concept")
        result.append(Organisation(row["id"], row["name"], row["category"], row["kind"], provides))
    ids = [org.id for org in result]
    if len(set(ids)) != len(ids):
        raise OrganisationTableError("duplicate organisation ids")
    return tuple(result)


@cache
def organisations() -> tuple[Organisation, ...]:
    """The 40 providers of the demo, in the table's order."""
    text = (files("connector.demo_data") / "data" / "demo-organisations.csv").read_text(encoding="utf-8")
    return parse_organisations(text)


def organisation(org_id: str) -> Organisation:
    for org in (*organisations(), *CONSUMERS):
        if org.id == org_id:
            return org
    raise KeyError(org_id)
