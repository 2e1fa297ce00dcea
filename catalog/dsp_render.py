"""Rendering a provider's datasets as DSP 2025-1 `Catalog` and `Dataset` documents (compact JSON-LD with the DSP
context only), each dataset carrying its ODRL offers, its DSP distributions and the DCAT-AP content the federated
catalogue indexes without fetching anything else: the key values of the ten criteria and the sheet's completeness.
Which datasets a requester may see is decided before (the connector filters); rendering takes them as given.

The mapping, criterion by criterion (keys from `catalog.dsp_terms`; `jnt:` = https://w3id.org/jnt/ns#, written
as full IRIs because the DSP context cannot be extended):

| criterion | sheet field | dataset key | value |
|---|---|---|---|
| C1 | title, description | `dct:title`, `dct:description` | `{"@value", "@language": sheet.language}` |
| C1 | geoconcept, role | `dct:subject`, `jnt:geoconceptRole` | `{"@id"}` |
| C1 | inspire_themes + eu_themes | `dcat:theme` | `[{"@id"}…]`, INSPIRE first |
| C1 | dataset_type, keywords, identifier | `dct:type`, `dcat:keyword`, `dct:identifier` | `{"@id"}`, `[{"@value", "@language"}]`, string |
| C2 | publisher + publisher_type | `dct:publisher` | `{"@id"?, "@type": foaf:Agent, foaf:name, dct:type: ADMS publisher type}` |
| C2 | contact | `dcat:contactPoint` | `{"@type": vcard:Kind, vcard:fn, vcard:hasEmail <mailto:>, vcard:hasURL}` |
| C3 | accrual_periodicity, modified, issued | `dct:accrualPeriodicity`, `dct:modified`, `dct:issued` | `{"@id"}`, xsd:date / xsd:dateTime |
| C3 | temporal_start/end, resolution, version | `dct:temporal`, `dcat:temporalResolution`, `dcat:version` | PeriodOfTime, xsd:duration, string |
| C4 | acquisition_mode | `prov:wasGeneratedBy` | `{"@type": prov:Activity, "dct:type": {"@id"}}` |
| C5 | licence | `dct:license` | `{"@id"}`; the usage policy itself is `hasPolicy` |
| C6 | bbox, centroid, admin_units | `dct:spatial` | `[{"@type": "dct:Location", "dcat:bbox": geo:wktLiteral POLYGON (CRS84)}, {"@id": unit}…]` |
| C6 | reference_systems | `geodcat:referenceSystem` | `[{"@id"}…]` |
| C7 | access_rights, landing_page | `dct:accessRights`, `dcat:landingPage` | `{"@id"}` |
| C7 | distributions | `distribution` | one DSP Distribution per sheet distribution and transfer format |
| C8 | resolution_m | `dcat:spatialResolutionInMeters` | xsd:decimal |
| C8 | scale_denominator | `dqv:hasQualityMeasurement` | GeoDCAT-AP: isMeasurementOf geodcat:spatialResolutionAsScale, value 1/n |
| C9 | conformity | `jnt:conformity` | `[{jnt:specification {"@id"}?, "dct:title", "dct:type": degree}]` |
| C10 | standard.conforms_to | `dct:conformsTo` | `[{"@id"?, "@type": "dct:Standard", "dct:title"?}]` |
| – | completeness | `jnt:completeness`, `jnt:mandatoryComplete`, `jnt:missingMandatory` | number 0..1, boolean, field paths |

Choices: multi-valued properties are always arrays, single-valued ones never are, so plain-JSON readers see one
shape. A DSP Distribution's `format` is the DSP transfer format (`HttpData-PULL`), the value a consumer puts in
`TransferRequestMessage.format`, so the sheet distribution's EU file type is `jnt:fileType` (a second `dct:format`
would merge with it in RDF); its media type, title, size and delivery schema follow as DCAT-AP. The provider's
own access and download URLs are *not* published: the connector's data plane is the way to the data, and for a
restricted dataset they would leak the source. `accessService` is always the connector's DataService inline, so a
`Dataset` fetched alone is complete. Offers are `policies.serialize.to_jsonld` output without `target` (implied by
the enclosing Dataset)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from policies.model import Policy
from policies.serialize import to_jsonld

from . import dsp_terms as t
from .sheet import Agent, Completeness, Sheet
from .sheet import Distribution as SheetDistribution

DEFAULT_FORMATS: tuple[str, ...] = ("HttpData-PULL",)


class DspRenderError(ValueError):
    """A dataset that cannot be published as a DSP Dataset; the message names the dataset and what to fix."""


@dataclass(frozen=True, slots=True)
class DspService:
    """The connector's DSP endpoint as a DCAT DataService: `endpoint_url` is the DSP `<base>` to which the
    negotiation and transfer paths are appended."""

    id: str
    endpoint_url: str
    title: str | None = None
    endpoint_description: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"@id": self.id, "@type": t.T_DATA_SERVICE, t.ENDPOINT_URL: self.endpoint_url}
        if self.endpoint_description:
            out[t.ENDPOINT_DESCRIPTION] = self.endpoint_description
        if self.title:
            out[t.TITLE] = self.title
        return out


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One published dataset: its sheet, its offers (policies or offer JSON), the DSP transfer formats the
    connector serves it in, and optionally its completeness computed at publication (computed here otherwise)."""

    sheet: Sheet
    offers: Sequence[Policy | Mapping[str, Any]]
    formats: Sequence[str] = DEFAULT_FORMATS
    completeness: Completeness | None = None


@dataclass(frozen=True, slots=True)
class CatalogInfo:
    """The catalogue itself: its IRI, the provider's participant id (DID), the connector's DSP service, and the
    DCAT-AP catalogue-level title, description and publisher."""

    id: str
    participant_id: str
    service: DspService
    title: str
    publisher: Agent
    description: str | None = None
    language: str = "fr"


# --- values -------------------------------------------------------------------------------------------------------


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _refs(iris: Iterable[str]) -> list[dict[str, str]]:
    return [{"@id": iri} for iri in iris]


def _text(value: str, lang: str) -> dict[str, str]:
    return {"@value": value, "@language": lang}


def _when(value: date | datetime) -> dict[str, str]:
    if isinstance(value, datetime):
        return {"@value": value.isoformat(), "@type": "xsd:dateTime"}
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def decimal_lexical(value: float | int) -> str:
    """A number in xsd:decimal lexical form (no exponent), exact for the float's shortest repr: 1.5e-05 ->
    0.000015, 2.0 -> 2.0."""
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def _decimal(value: float | int) -> dict[str, str]:
    return {"@value": decimal_lexical(value), "@type": "xsd:decimal"}


def bbox_wkt(bbox: tuple[float, float, float, float]) -> str:
    """The CRS84 bounding box (minx, miny, maxx, maxy) as a WKT polygon, longitude first (the GeoSPARQL default
    CRS, so no CRS IRI prefix)."""
    minx, miny, maxx, maxy = (decimal_lexical(v) for v in bbox)
    return f"POLYGON(({minx} {miny},{maxx} {miny},{maxx} {maxy},{minx} {maxy},{minx} {miny}))"


def _wkt(text: str) -> dict[str, str]:
    return {"@value": text, "@type": t.GEO_WKT}


def _agent(agent: Agent, kind: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if agent.iri:
        out["@id"] = agent.iri
    out["@type"] = t.FOAF_AGENT
    out[t.FOAF_NAME] = agent.name
    kind = kind or agent.type
    if kind:
        out[t.TYPE] = _ref(kind)
    if agent.email:
        out[t.FOAF_MBOX] = _ref(_mailto(agent.email))
    return out


def _mailto(email: str) -> str:
    return email if email.startswith("mailto:") else "mailto:" + email


# --- offers -------------------------------------------------------------------------------------------------------


def render_offer(offer: Policy | Mapping[str, Any], dataset_id: str) -> dict[str, Any]:
    """An offer as it appears in a Dataset's `hasPolicy`: `@type` Offer, an `@id`, at least one permission or
    prohibition, and no `target` (the enclosing Dataset is the target; a target naming another dataset is an
    error, one naming this dataset is dropped)."""
    if isinstance(offer, Policy):
        if offer.type != t.T_OFFER:
            raise DspRenderError(f"dataset <{dataset_id}>: policy <{offer.uid}> is an odrl:{offer.type}; a catalog "
                                 f"publishes Offers only (build it with policies.templates.offer_template)")
        out = to_jsonld(offer, with_context=False)
    elif isinstance(offer, Mapping):
        out = {key: value for key, value in offer.items() if key != "@context"}
        if out.get("@type") not in (t.T_OFFER, "odrl:Offer", t.ODRL + "Offer"):
            raise DspRenderError(f"dataset <{dataset_id}>: offer {out.get('@id', '(no @id)')} has @type "
                                 f"{out.get('@type')!r}; expected \"Offer\"")
        out["@type"] = t.T_OFFER  # the DSP schema wants the bare term
    else:
        raise DspRenderError(f"dataset <{dataset_id}>: an offer must be a policies.Policy or a JSON object, "
                             f"got {type(offer).__name__}")
    uid = out.get("@id")
    if not isinstance(uid, str) or not uid:
        raise DspRenderError(f"dataset <{dataset_id}>: every offer needs an @id (the consumer names it in its "
                             f"ContractRequestMessage)")
    if not out.get("permission") and not out.get("prohibition"):
        raise DspRenderError(f"dataset <{dataset_id}>: offer <{uid}> has neither permission nor prohibition "
                             f"(DSP Offer schema: at least one)")
    if "target" in out:
        target = out.pop("target")
        target_id = target.get("@id") if isinstance(target, Mapping) else target
        if target_id != dataset_id:
            raise DspRenderError(f"dataset <{dataset_id}>: offer <{uid}> targets {target_id!r}; an offer in a "
                                 f"catalog applies to its enclosing dataset only")
    return out


# --- datasets -----------------------------------------------------------------------------------------------------


def _distribution(dist: SheetDistribution | None, fmt: str, service: dict[str, Any], lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": t.T_DISTRIBUTION, t.FORMAT: fmt, t.ACCESS_SERVICE: service}
    if dist is None:
        return out
    if dist.title:
        out[t.TITLE] = _text(dist.title, lang)
    if dist.format:
        out[t.JNT_FILE_TYPE] = _ref(dist.format)
    if dist.media_type:
        out[t.MEDIA_TYPE] = _ref(dist.media_type)
    if dist.byte_size is not None:
        out[t.BYTE_SIZE] = {"@value": str(dist.byte_size), "@type": "xsd:nonNegativeInteger"}
    if dist.conforms_to:
        out[t.CONFORMS_TO] = _refs(dist.conforms_to)
    return out


def _dcat_content(sheet: Sheet, completeness: Completeness) -> dict[str, Any]:
    lang = sheet.language
    out: dict[str, Any] = {}
    n, p, f, o, ext, acc = sheet.nature, sheet.provenance, sheet.frequency, sheet.origin, sheet.extent, sheet.access
    # C1 Nature
    if n.title:
        out[t.TITLE] = _text(n.title, lang)
    if n.description:
        out[t.DESCRIPTION] = _text(n.description, lang)
    if n.geoconcept:
        out[t.SUBJECT] = _ref(n.geoconcept)
    if n.role:
        out[t.JNT_ROLE] = _ref(n.role)
    if n.inspire_themes or n.eu_themes:
        out[t.THEME] = _refs([*n.inspire_themes, *n.eu_themes])
    if n.dataset_type:
        out[t.TYPE] = _ref(n.dataset_type)
    if n.keywords:
        out[t.KEYWORD] = [_text(k, lang) for k in n.keywords]
    if n.identifier:
        out[t.IDENTIFIER] = n.identifier
    # C2 Provenance
    if p.publisher is not None:
        out[t.PUBLISHER] = _agent(p.publisher, p.publisher_type)
    elif p.publisher_type:
        out[t.PUBLISHER] = {"@type": t.FOAF_AGENT, t.TYPE: _ref(p.publisher_type)}
    if p.contact is not None and (p.contact.name or p.contact.email or p.contact.url):
        contact: dict[str, Any] = {"@type": t.VCARD_KIND}
        if p.contact.name:
            contact[t.VCARD_FN] = p.contact.name
        if p.contact.email:
            contact[t.VCARD_HAS_EMAIL] = _ref(_mailto(p.contact.email))
        if p.contact.url:
            contact[t.VCARD_HAS_URL] = _ref(p.contact.url)
        out[t.CONTACT_POINT] = contact
    # C3 Frequency
    if f.accrual_periodicity:
        out[t.ACCRUAL_PERIODICITY] = _ref(f.accrual_periodicity)
    if f.modified is not None:
        out[t.MODIFIED] = _when(f.modified)
    if f.issued is not None:
        out[t.ISSUED] = _when(f.issued)
    if f.temporal_start is not None or f.temporal_end is not None:
        period: dict[str, Any] = {"@type": t.PERIOD_OF_TIME}
        if f.temporal_start is not None:
            period[t.START_DATE] = _when(f.temporal_start)
        if f.temporal_end is not None:
            period[t.END_DATE] = _when(f.temporal_end)
        out[t.TEMPORAL] = period
    if f.temporal_resolution:
        out[t.TEMPORAL_RESOLUTION] = {"@value": f.temporal_resolution, "@type": "xsd:duration"}
    if f.version:
        out[t.VERSION] = f.version
    # C4 Origin
    if o.acquisition_mode:
        out[t.PROV_WAS_GENERATED_BY] = {"@type": t.PROV_ACTIVITY, t.TYPE: _ref(o.acquisition_mode)}
    # C5 Licence
    if sheet.licence.licence:
        out[t.LICENSE] = _ref(sheet.licence.licence)
    # C6 Extent
    spatial: list[dict[str, Any]] = []
    if ext.bbox is not None or ext.centroid is not None:
        location: dict[str, Any] = {"@type": t.LOCATION}
        if ext.bbox is not None:
            location[t.BBOX] = _wkt(bbox_wkt(ext.bbox))
        if ext.centroid is not None:
            x, y = (decimal_lexical(v) for v in ext.centroid)
            location[t.CENTROID] = _wkt(f"POINT({x} {y})")
        spatial.append(location)
    spatial.extend(_refs(ext.admin_units))
    if spatial:
        out[t.SPATIAL] = spatial
    if ext.reference_systems:
        out[t.REFERENCE_SYSTEM] = _refs(ext.reference_systems)
    # C7 Access (distributions are added by render_dataset)
    if acc.access_rights:
        out[t.ACCESS_RIGHTS] = _ref(acc.access_rights)
    if acc.landing_page:
        out[t.LANDING_PAGE] = _ref(acc.landing_page)
    # C8 Precision
    prec = sheet.precision
    if prec.resolution_m is not None:
        out[t.SPATIAL_RESOLUTION] = _decimal(prec.resolution_m)
    if prec.scale_denominator is not None:
        # GeoDCAT-AP: the scale as a quality measurement of value 1/denominator (read back with round(1/value)).
        inverse = format(Decimal(1) / Decimal(prec.scale_denominator), "f")
        out[t.DQV_HAS_QUALITY_MEASUREMENT] = [{
            "@type": t.DQV_QUALITY_MEASUREMENT,
            t.DQV_IS_MEASUREMENT_OF: _ref(t.SCALE_METRIC),
            t.DQV_VALUE: {"@value": inverse, "@type": "xsd:decimal"},
        }]
    # C9 Quality
    if sheet.quality.conformity:
        results = []
        for c in sheet.quality.conformity:
            result: dict[str, Any] = {}
            if c.specification:
                result[t.JNT_SPECIFICATION] = _ref(c.specification)
            result[t.TITLE] = _text(c.specification_title, lang)
            result[t.TYPE] = _ref(c.degree)
            results.append(result)
        out[t.JNT_CONFORMITY] = results
    # C10 Standard
    if sheet.standard.conforms_to:
        standards = []
        for ref in sheet.standard.conforms_to:
            std: dict[str, Any] = {"@id": ref.iri} if ref.iri else {}
            std["@type"] = t.STANDARD
            if ref.title:
                std[t.TITLE] = _text(ref.title, lang)
            standards.append(std)
        out[t.CONFORMS_TO] = standards
    # Completeness of the sheet
    out[t.JNT_COMPLETENESS] = round(completeness.score, 4)
    out[t.JNT_COMPLETE] = completeness.complete
    missing = [state.path for state in completeness.missing_mandatory()]
    if missing:
        out[t.JNT_MISSING] = missing
    return out


def render_dataset(entry: CatalogEntry, service: DspService, *, with_context: bool = True) -> dict[str, Any]:
    """One DSP `Dataset`: `@id`, `@type`, `hasPolicy` (≥ 1 Offer), `distribution` (≥ 1) and the DCAT-AP content.
    `with_context=False` gives the form nested in a Catalog."""
    sheet = entry.sheet
    if not entry.offers:
        raise DspRenderError(f"dataset <{sheet.id}>: no offer; a DSP Dataset needs at least one (hasPolicy); "
                             f"leave the dataset out of the catalog instead")
    if not entry.formats:
        raise DspRenderError(f"dataset <{sheet.id}>: no transfer format (e.g. HttpData-PULL); a DSP Dataset needs "
                             f"at least one distribution")
    offers = [render_offer(offer, sheet.id) for offer in entry.offers]
    seen: set[str] = set()
    for offer in offers:
        if offer["@id"] in seen:
            raise DspRenderError(f"dataset <{sheet.id}>: offer @id <{offer['@id']}> appears twice; offer ids are "
                                 f"unique within a dataset")
        seen.add(offer["@id"])
    service_json = service.to_json()
    lang = sheet.language
    sources: Sequence[SheetDistribution | None] = sheet.access.distributions or (None,)
    distributions = [_distribution(dist, fmt, service_json, lang) for dist in sources for fmt in entry.formats]
    out: dict[str, Any] = {"@context": list(t.CONTEXT)} if with_context else {}
    out["@id"] = sheet.id
    out["@type"] = t.T_DATASET
    out[t.HAS_POLICY] = offers
    out[t.DISTRIBUTION] = distributions
    out.update(_dcat_content(sheet, entry.completeness or sheet.completeness()))
    return out


def render_catalog(info: CatalogInfo, entries: Iterable[CatalogEntry]) -> dict[str, Any]:
    """A DSP `Catalog` of the given datasets (already filtered for the requester). With no dataset the `dataset`
    key is left out: the schema refuses an empty array."""
    out: dict[str, Any] = {
        "@context": list(t.CONTEXT),
        "@id": info.id,
        "@type": t.T_CATALOG,
        t.PARTICIPANT_ID: info.participant_id,
        t.TITLE: _text(info.title, info.language),
    }
    if info.description:
        out[t.DESCRIPTION] = _text(info.description, info.language)
    out[t.PUBLISHER] = _agent(info.publisher)
    out[t.SERVICE] = [info.service.to_json()]
    datasets = [render_dataset(entry, info.service, with_context=False) for entry in entries]
    if datasets:
        out[t.DATASET] = datasets
    return out


def catalog_error(code: str, reasons: Iterable[str | Mapping[str, Any]]) -> dict[str, Any]:
    """A DSP `CatalogError` body. DSP error codes are free-form strings; reasons are human-readable strings (or
    JSON objects such as `Problem.to_json()`)."""
    if not isinstance(code, str):
        raise TypeError(f"a CatalogError code is a string, got {type(code).__name__}")
    body: dict[str, Any] = {"@context": list(t.CONTEXT), "@type": t.T_CATALOG_ERROR, "code": code}
    reason = [r if isinstance(r, str) else dict(r) for r in reasons]
    if reason:
        body["reason"] = reason
    return body
