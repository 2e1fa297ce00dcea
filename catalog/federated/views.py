"""The JSON views of index records, shared by the query API and the services built on it: a search result's
summary of a dataset, and the detail (the whole sheet criterion by criterion, the offers as published, the
distributions, the provider and the crawl dates). Every controlled value is given with its French and English
label (`{"value": iri, "label": {"fr", "en"}}`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from catalog.dsp_parse import ParsedDataset
from catalog.geoconcepts import Registry
from catalog.sheet import CRITERIA

from .connectors import iso
from .facets import FACETS_BY_NAME
from .index import DatasetRecord, SearchResult

_CRITERION_NAMES = {code: {"fr": fr, "en": en} for code, fr, en in CRITERIA.values()}


def labelled(facet: str, value: Any, registry: Registry) -> dict[str, Any] | None:
    """`{"value", "label"}` for a stored value of a facet; None for no value."""
    if value is None:
        return None
    spec = FACETS_BY_NAME[facet]
    return {"value": spec.key(value), "label": spec.label(value, registry)}


def _labelled_all(facet: str, values: Any, registry: Registry) -> list[dict[str, Any]]:
    return [item for item in (labelled(facet, v, registry) for v in values) if item is not None]


def record_path(record: DatasetRecord, prefix: str = "/api/datasets/") -> str:
    return prefix + quote(record.record_id, safe="")


def record_summary(record: DatasetRecord, registry: Registry, *, prefix: str = "/api/datasets/") -> dict[str, Any]:
    v = record.values
    description = v.get("description")
    if description and len(description) > 400:
        description = description[:397].rstrip() + "…"
    complete = v.get("mandatory_complete")
    return {
        "id": record.record_id,
        "dataset_id": record.dataset_id,
        "title": v.get("title"),
        "description": description,
        "geoconcept": labelled("geoconcept", v.get("geoconcept"), registry),
        "role": labelled("role", v.get("role"), registry),
        "licence": labelled("licence", v.get("licence"), registry),
        "access": labelled("access", v.get("access_rights"), registry),
        "frequency": labelled("frequency", v.get("frequency"), registry),
        "category": labelled("category", v.get("category"), registry),
        "publisher": v.get("publisher"),
        "resolution_m": v.get("resolution_m"),
        "scale_denominator": v.get("scale_denominator"),
        "bbox": list(record.bbox) if record.bbox else None,
        "completeness": v.get("completeness"),
        "complete": None if complete is None else bool(complete),
        "modified": v.get("modified"),
        "offers": v.get("offer_count"),
        "provider": record.provider.to_json(),
        "links": {"self": record_path(record, prefix)},
    }


def _when(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def sheet_view(parsed: ParsedDataset, registry: Registry) -> dict[str, Any]:
    """The dataset's sheet as published, criterion by criterion (C1…C10), with labels."""
    p = parsed

    def criterion(code: str, **values: Any) -> dict[str, Any]:
        return {"name": _CRITERION_NAMES[code], **values}

    return {
        "C1": criterion("C1", title=p.title, description=p.description,
                        geoconcept=labelled("geoconcept", p.geoconcept, registry),
                        role=labelled("role", p.role, registry), themes=_labelled_all("theme", p.themes, registry),
                        dataset_type=p.dataset_type, keywords=list(p.keywords), identifier=p.identifier),
        "C2": criterion("C2", publisher=None if p.publisher is None else {
            "name": p.publisher.name, "iri": p.publisher.iri, "type": p.publisher.type,
            "category": labelled("category", p.publisher.category, registry)},
            contact=None if p.contact is None else {"name": p.contact.name, "email": p.contact.email,
                                                    "url": p.contact.url}),
        "C3": criterion("C3", accrual_periodicity=labelled("frequency", p.accrual_periodicity, registry),
                        modified=_when(p.modified), issued=_when(p.issued),
                        temporal={"start": _when(p.temporal_start), "end": _when(p.temporal_end)},
                        temporal_resolution=p.temporal_resolution, version=p.version),
        "C4": criterion("C4", acquisition_mode=labelled("origin", p.acquisition_mode, registry)),
        "C5": criterion("C5", licence=labelled("licence", p.licence, registry)),
        "C6": criterion("C6", bbox=list(p.bbox) if p.bbox else None, centroid=list(p.centroid) if p.centroid else None,
                        admin_units=_labelled_all("admin_unit", p.admin_units, registry),
                        reference_systems=_labelled_all("crs", p.reference_systems, registry)),
        "C7": criterion("C7", access_rights=labelled("access", p.access_rights, registry),
                        landing_page=p.landing_page, formats=list(p.formats)),
        "C8": criterion("C8", resolution_m=p.resolution_m, scale_denominator=p.scale_denominator),
        "C9": criterion("C9", conformity=[{"specification": c.specification, "title": c.title,
                                           "degree": labelled("conformity", c.degree, registry)}
                                          for c in p.conformity]),
        "C10": criterion("C10", conforms_to=[{"iri": s.iri, "title": s.title} for s in p.conforms_to]),
    }


def record_detail(record: DatasetRecord, registry: Registry, *, prefix: str = "/api/datasets/") -> dict[str, Any]:
    """The whole record: summary, sheet, offers (DSP JSON as published), distributions, completeness, crawl."""
    parsed = record.parsed
    out = record_summary(record, registry, prefix=prefix)
    out["description"] = parsed.description
    out["sheet"] = sheet_view(parsed, registry)
    out["completeness"] = {"score": parsed.completeness, "mandatory_complete": parsed.mandatory_complete,
                           "missing_mandatory": list(parsed.missing_mandatory)}
    out["offers"] = [offer.raw for offer in parsed.offers]
    out["distributions"] = [{"format": d.format, "title": d.title,
                             "file_type": labelled("format", d.file_type, registry), "media_type": d.media_type,
                             "byte_size": d.byte_size, "conforms_to": list(d.conforms_to),
                             "endpoint_url": d.access_service.endpoint_url if d.access_service else None}
                            for d in parsed.distributions]
    out["crawl"] = {"first_seen": iso(record.first_seen), "last_changed": iso(record.last_changed),
                    "last_checked": iso(record.provider.last_success), "digest": record.digest}
    return out


def search_view(result: SearchResult, registry: Registry, *, base_url: str = "/api/datasets",
                query_string: str = "") -> dict[str, Any]:
    """A search result page: total, page, datasets, facet counts, and the links to the other pages."""
    query = result.query
    prefix = base_url.rstrip("/") + "/"
    out: dict[str, Any] = {
        "total": result.total, "page": query.page, "per_page": query.per_page, "pages": result.pages,
        "query": query.to_json(),
        "datasets": [record_summary(r, registry, prefix=prefix) for r in result.records],
    }
    if query.with_facets:
        out["facets"] = {name: [c.to_json() for c in counts] for name, counts in result.facets.items()}
    out["links"] = _page_links(base_url, query_string, query.page, result.pages)
    return out


def _page_links(base_url: str, query_string: str, page: int, pages: int) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlencode

    kept = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k != "page"]

    def link(number: int) -> str:
        return f"{base_url}?{urlencode([*kept, ('page', str(number))])}"

    links = {"self": link(page), "first": link(1), "last": link(pages)}
    if page > 1:
        links["prev"] = link(min(page - 1, pages))
    if page < pages:
        links["next"] = link(page + 1)
    return links
