"""The ISO 19139 view of an index record, for the GIS catalogue services: the crawled dataset (its parsed DCAT
form) back as a characterisation sheet (`record_sheet`), and that sheet as a `gmd:MD_Metadata` record
(`record_iso`, written by `catalog.iso19139_export`) whose file identifier is the record id (`ds-…`), whose
distributions point at the provider's Dataspace Protocol endpoint (the data is obtained by negotiating one of the
offers there), and which links back to the record in the catalogue when the catalogue's public address is known.

A crawled dataset says less than the sheet it was published from (no lineage text, no access URLs: DSP
distributions are transfer formats), so its ISO record says less too; what it has is mapped field by field."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from lxml import etree

from catalog.dsp_parse import ParsedDataset
from catalog.geoconcepts import Registry
from catalog.iso19139_export import OnlineLink, sheet_to_iso
from catalog.sheet import Sheet
from catalog.vocabularies import DEGREE_OF_CONFORMITY

from .index import DatasetRecord

# Changes whenever the mapping does, so that the records already written are written again.
ISO_VIEW_VERSION = "1"
DSP_PROTOCOL = "DSP 2025-1 (Dataspace Protocol)"


def _agent(name: str | None, iri: str | None = None, kind: str | None = None) -> dict[str, Any] | None:
    return {"name": name, "iri": iri, "type": kind} if name else None


def record_sheet(record: DatasetRecord) -> Sheet:
    """The sheet of an indexed dataset, as far as its published (parsed) form tells."""
    p: ParsedDataset = record.parsed
    provider = record.provider
    publisher = _agent(p.publisher.name, p.publisher.iri, p.publisher.type) if p.publisher else None
    publisher = publisher or _agent(provider.name)
    endpoint = provider.address
    distributions = []
    for d in p.distributions:
        url = (d.access_service.endpoint_url if d.access_service else None) or endpoint
        if not url:
            continue
        title = d.title or (d.file_type or "").rsplit("/", 1)[-1] or p.title
        distributions.append({
            "access_url": url, "title": f"{title} — {d.format}" if title else d.format, "format": d.file_type,
            "byte_size": d.byte_size,
            "access_service": {"title": f"{DSP_PROTOCOL} — {d.format}", "endpoint_url": url,
                               "protocol": f"{DSP_PROTOCOL}: {d.format}"}})
    conformity = [{"specification_title": c.title or c.specification, "specification": c.specification,
                   "degree": c.degree or DEGREE_OF_CONFORMITY + "notEvaluated"}
                  for c in p.conformity if c.title or c.specification]
    document = {
        "id": p.id,
        "nature": {"title": p.title, "description": p.description, "geoconcept": p.geoconcept, "role": p.role,
                   "inspire_themes": list(p.inspire_themes), "eu_themes": list(p.eu_themes),
                   "dataset_type": p.dataset_type, "keywords": list(p.keywords), "identifier": p.identifier},
        "provenance": {"publisher": publisher, "publisher_type": p.publisher.type if p.publisher else None,
                       "contact": None if p.contact is None else {"name": p.contact.name, "email": p.contact.email,
                                                                  "url": p.contact.url}},
        "frequency": {"accrual_periodicity": p.accrual_periodicity, "modified": p.modified, "issued": p.issued,
                      "temporal_start": p.temporal_start, "temporal_end": p.temporal_end,
                      "temporal_resolution": p.temporal_resolution, "version": p.version},
        "origin": {"acquisition_mode": p.acquisition_mode},
        "licence": {"licence": p.licence},
        "extent": {"bbox": p.bbox, "reference_systems": list(p.reference_systems),
                   "admin_units": list(p.admin_units), "centroid": p.centroid},
        "access": {"access_rights": p.access_rights, "landing_page": p.landing_page,
                   "distributions": distributions},
        "precision": {"resolution_m": p.resolution_m if p.resolution_m and p.resolution_m > 0 else None,
                      "scale_denominator": p.scale_denominator if p.scale_denominator and p.scale_denominator > 0
                      else None},
        "quality": {"conformity": conformity},
        "standard": {"conforms_to": [{"title": s.title, "iri": s.iri} for s in p.conforms_to]},
    }
    return Sheet.model_validate(document)


def record_page_url(record: DatasetRecord, catalogue_url: str, api_prefix: str = "/api") -> str:
    """The record in the catalogue's JSON API."""
    return f"{catalogue_url.rstrip('/')}{api_prefix}/datasets/{quote(record.record_id, safe='')}"


def record_iso(record: DatasetRecord, registry: Registry, *, catalogue_url: str | None = None,
               api_prefix: str = "/api") -> etree._Element:
    """The record as `gmd:MD_Metadata` (file identifier: the record id; metadata date: the last change seen by
    the crawler)."""
    links = []
    if catalogue_url:
        links.append(OnlineLink(url=record_page_url(record, catalogue_url, api_prefix),
                                name="Fiche dans le catalogue fédéré JNT",
                                description="Caractérisation complète (10 critères), offres d'usage et fournisseur",
                                function="information"))
    return sheet_to_iso(record_sheet(record), file_identifier=record.record_id, date_stamp=record.last_changed,
                        registry=registry, links=links)


__all__ = ["DSP_PROTOCOL", "ISO_VIEW_VERSION", "record_iso", "record_page_url", "record_sheet"]
