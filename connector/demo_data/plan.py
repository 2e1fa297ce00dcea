"""`plan()`: every dataset the 40 providers of the demo publish — one per géo-concept each provides (the
organisations table) — with its IRI, French title and description, characterisation sheet, offer(s), transfer
formats and data source (`connector.data.sources.parse_source` form, the path relative to the provider's data
directory `<target>/<provider id>/` that `generate()` fills). Cheap: no data file is computed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from catalog.geoconcepts import GeoConcept, Registry, load_registry
from catalog.sheet import Sheet
from policies.model import Policy

from .geography import Territory
from .offers import OfferChoice, build_offer, choose
from .organisations import Organisation, organisations
from .products import FEED, PRODUCTS, Area, Product, area_for
from .series import feed_source
from .sheets import FORMATS, build_sheet

PULL, PUSH = "HttpData-PULL", "HttpData-PUSH"


def default_did(org_id: str) -> str:
    """A participant's DID when the caller does not give the real ones (did:web on its example domain)."""
    return f"did:web:{org_id}.jnt.example"


def dataset_iri(org_id: str, geoconcept: str) -> str:
    return f"https://data.{org_id}.jnt.example/datasets/{geoconcept}"


@dataclass(frozen=True)
class DemoDataset:
    provider: Organisation
    geoconcept: GeoConcept
    product: Product
    area: Area
    iri: str
    title: str  # French
    description: str  # French
    sheet: Sheet
    offers: tuple[Policy, ...]
    choice: OfferChoice  # licence, access mode, restrictions and the rule that chose them
    data_source: dict[str, Any]  # parse_source form; a file path is relative to the provider's data directory
    media_type: str
    path: str | None  # the data file, relative to the provider's data directory (None for a feed)
    formats: tuple[str, ...]  # DSP transfer formats

    @property
    def key(self) -> tuple[str, str]:
        return self.provider.id, self.geoconcept.id


@cache
def _territory() -> Territory:
    return Territory()


@cache
def _registry() -> Registry:
    return load_registry()


def _title(product: Product, area: Area) -> str:
    return f"{product.title} — {area.label}"


def _description(product: Product, org: Organisation, area: Area) -> str:
    return (f"{product.description} Emprise : {area.label}. Producteur : {org.name}. Données synthétiques de "
            "démonstration (valeurs fictives sur des coordonnées réelles approximatives), générées pour le "
            "scénario inondation de l'espace de données JNT.")


def plan_dataset(org: Organisation, geoconcept: str, *, seed: int = 0,
                 did_for: Callable[[str], str] = default_did) -> DemoDataset:
    registry = _registry()
    gc = registry.get(geoconcept)
    if gc is None:
        raise KeyError(f"unknown géo-concept {geoconcept} (provider {org.id})")
    product = PRODUCTS[gc.id]
    area = area_for(org.id, gc.id)
    iri = dataset_iri(org.id, gc.id)
    choice = choose(org, gc, did_for)
    offer = build_offer(choice, uid=f"{iri}#offer", assigner=did_for(org.id))
    _type, media_type, _spec = FORMATS[product.kind]
    if product.kind == FEED:
        path = None
        source = feed_source(_territory(), seed, area.region)
        url = f"{iri}/flux"
        formats: tuple[str, ...] = (PULL,)  # a feed is read live, never pushed
    else:
        path = f"{gc.id}/{product.file}"
        source = {"type": "file", "path": path, "media_type": media_type}
        url = f"{iri}/{product.file}"
        formats = (PULL, PUSH)
    title = _title(product, area)
    description = _description(product, org, area)
    sheet = build_sheet(iri=iri, title=title, description=description, org=org, gc=gc, registry=registry,
                        product=product, area=area, choice=choice, offer=offer, file_url=url)
    return DemoDataset(org, gc, product, area, iri, title, description, sheet, (offer,), choice, source, media_type,
                       path, formats)


def plan(*, seed: int = 0, did_for: Callable[[str], str] = default_did,
         providers: Sequence[Organisation] | None = None) -> list[DemoDataset]:
    """The datasets of every provider (or of `providers`), in the organisations table's order. `did_for` gives a
    participant's DID from its id (offers' assigner, named recipients of non-public offers); `seed` is the
    simulated feed's."""
    return [plan_dataset(org, gc, seed=seed, did_for=did_for)
            for org in (providers if providers is not None else organisations()) for gc in org.provides]
