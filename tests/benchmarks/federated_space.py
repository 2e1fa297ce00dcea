"""The synthetic data space of the federated catalogue's benchmark: the 40 organisations of the Loire-estuary
demo (`../shared/data/demo-organisations.csv`), each publishing 250 distinct datasets built from the complete PPRI
sheet (own IRI, title, géo-concept among the 74, bbox spread over the estuary, two thirds open under Etalab 2.0,
one third restricted with two offers). Deterministic (seeded), so the benchmark process and the server process
build the same catalogues.

`python -m tests.benchmarks.federated_space` serves them from one loopback uvicorn server in its own process
(every page rendered before it answers), prints `READY <base URL>`, and stops when its standard input closes:
the connectors run beside the crawler, not inside its interpreter, as real connectors would."""

from __future__ import annotations

import csv
import json
import random
import sys
from dataclasses import replace
from pathlib import Path

from catalog.dsp_catalog import CatalogEntry
from catalog.geoconcepts import load_registry
from catalog.sheet import Sheet
from policies.templates import Restrictions, offer_template

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "tests" / "catalog" / "data" / "full-sheet.json"
ORGANISATIONS = ROOT.parent / "shared" / "data" / "demo-organisations.csv"
ADMS = "http://purl.org/adms/publishertype/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
CONNECTORS = 40
PER_CONNECTOR = 250
PER_PAGE = 100
WORDS = ("inondation", "crues", "digues", "bâtiments", "réseau", "zonage", "hauteurs", "pluie", "nappes", "ponts",
         "écoles", "cadastre", "orthophotographie", "risque", "mnt", "débits", "marégraphes", "routes", "gaz",
         "population")
REGION = (-2.6, 46.9, -0.9, 47.8)  # the Loire estuary and its surroundings


def organisations() -> list[dict[str, str]]:
    with ORGANISATIONS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))[:CONNECTORS]


def random_bbox(rng: random.Random) -> tuple[float, float, float, float]:
    width, height = rng.uniform(0.01, 0.25), rng.uniform(0.01, 0.15)
    minx = rng.uniform(REGION[0], REGION[2] - width)
    miny = rng.uniform(REGION[1], REGION[3] - height)
    return round(minx, 5), round(miny, 5), round(minx + width, 5), round(miny + height, 5)


def build_space() -> dict[str, list[CatalogEntry]]:
    """organisation id -> its 250 published datasets (about 3 to 7 s)."""
    template = json.loads(FULL.read_text(encoding="utf-8"))
    template["access"]["distributions"] = template["access"]["distributions"][:1]
    concepts = list(load_registry().concepts.values())
    rng = random.Random(7)
    open_offer = offer_template("etalab-2.0", "public", uid="urn:x")
    restricted = Restrictions(categories=["public"], purposes=["flood-risk-simulation"], duration="P1Y",
                              no_distribute=True, delete_at_end=True)
    restricted_offer = offer_template("restricted", "restricted", restricted, uid="urn:x")
    nantes_offer = offer_template("restricted", "restricted", replace(restricted, territories=["44109"]),
                                  uid="urn:x")
    out: dict[str, list[CatalogEntry]] = {}
    for n, org in enumerate(organisations()):
        entries = []
        for j in range(PER_CONNECTOR):
            i = n * PER_CONNECTOR + j
            concept = concepts[i % len(concepts)]
            data = json.loads(json.dumps(template))
            data["id"] = f"https://data.{org['id']}.example.fr/dataset/{concept.id.lower()}-{i:05d}"
            nature = data["nature"]
            nature["title"] = f"{concept.label_fr} — {org['name']} (lot {i})"
            nature["description"] = f"{concept.label_fr}, {WORDS[i % len(WORDS)]} — jeu n° {i} de {org['name']}."
            nature["geoconcept"] = concept.iri()
            nature["role"] = concept.role_iri
            nature["inspire_themes"] = list(concept.theme_iris)
            nature["keywords"] = [WORDS[(i * 7) % len(WORDS)], f"lot-{i % 50}"]
            nature["identifier"] = f"urn:jnt:{org['id']}:{i}"
            data["provenance"]["publisher"] = {"name": org["name"], "iri": f"https://{org['id']}.example.fr/"}
            data["provenance"]["publisher_type"] = ADMS + ("Company" if org["category"] == "private" else
                                                           "LocalAuthority")
            data["extent"]["bbox"] = list(random_bbox(rng))
            private = i % 3 == 2
            data["access"]["access_rights"] = ACCESS + ("RESTRICTED" if private else "PUBLIC")
            if private:
                data["licence"]["licence"] = None
                offers = [replace(restricted_offer, uid=f"urn:jnt:offer:{i}:public-bodies"),
                          replace(nantes_offer, uid=f"urn:jnt:offer:{i}:nantes")]
            else:
                offers = [replace(open_offer, uid=f"urn:jnt:offer:{i}:open")]
            entries.append(CatalogEntry(Sheet.model_validate(data), offers))
        out[org["id"]] = entries
    return out


def did_of(org: str) -> str:
    return f"did:web:{org}.example"


def main() -> None:
    from tests.catalog.federated.fake_dsp import FakeDspServer

    server = FakeDspServer()
    for org, entries in build_space().items():
        server.add(org, entries, did=did_of(org), per_page=PER_PAGE).render_all()
    server.start()
    print(f"READY {server.base_url}", flush=True)
    sys.stdin.read()  # until the benchmark closes our standard input
    server.stop()


if __name__ == "__main__":
    main()
