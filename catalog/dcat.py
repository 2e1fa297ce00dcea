"""The characterisation sheet as DCAT-AP 3 / GeoDCAT-AP RDF, and back: one readable mapping, criterion by criterion,
following `CRITERIA.md` (like ckanext-dcat's `euro_dcat_ap_3` profile). `sheet_to_graph` writes a sheet as an rdflib
graph, `sheet_from_graph` reads one back; Turtle and compact JSON-LD (the project's context, shipped in
`catalog/data/contexts/jnt-sheet.jsonld`, never fetched) are thin layers over the graph.

Reading the mapping: the `DATASET`, `DISTRIBUTION`, `SERVICE`, `AGENT`, `CONTACT` and `MEASUREMENT` tables list the
plain properties (sheet field, RDF property, kind of value, rdf:type given to IRI values for DCAT-AP's range
checks); the `_write_*` / `_read_*` functions below them handle the structured nodes, each with a comment saying
which criterion and which DCAT-AP / GeoDCAT-AP pattern it follows. Choices where CRITERIA.md leaves one:

* C1 role — `jnt:geoconceptRole <https://w3id.org/jnt/role/…>` on the dataset (the role belongs to the sheet, not
  to the shared géo-concept). With a `Registry`, the géo-concept itself is also described (skos:Concept, prefLabel,
  inScheme, dct:type = its registry role), and a graph that lacks `jnt:geoconceptRole` falls back on that.
* C1 EU themes are a field of their own; `catalog.vocabularies.eu_themes_for` derives them from INSPIRE themes
  (SEMIC alignment) for a form or an importer to propose. The mapping never invents them.
* C5 licence, C5 rights text, C1 representation and the ODRL policy are dataset-level facts that DCAT-AP places on
  distributions: they are written on the dataset (DCAT 3 `dcat:Resource` properties; read back from there) and
  copied onto every distribution. C7's access-conditions text has no free slot on the dataset (`dct:accessRights`
  holds the EU access-right IRI, max 1): it is `jnt:accessConditions` (a sub-property of `dct:rights`) on the
  dataset, and `dct:accessRights [a dct:RightsStatement]` on each distribution, as GeoDCAT-AP does.
* C4 sources are `prov:wasDerivedFrom` (DCAT-AP's `dct:source` must be a full `dcat:Dataset` with its own title
  and description, which a sheet does not have); `dct:source` is still read. Processing steps are `prov:Activity`
  nodes (dct:description) the dataset `prov:wasGeneratedBy`, chained by `prov:wasInformedBy`.
* C8 scale — `dqv:hasQualityMeasurement [dqv:isMeasurementOf geodcat:spatialResolutionAsScale; dqv:value 1/n]`
  with 1/n an exact-enough xsd:decimal; the denominator is recovered as round(1/value), exact. Positional-accuracy
  measurements are also typed `jnt:PositionalAccuracyMeasurement`, to tell them from the other C9 measures.
* C9 quality status is `adms:status` on the dataset (distributions have their own `adms:status`).
* C10 metadata standard is `dct:conformsTo` of a `dcat:CatalogRecord` (`foaf:primaryTopic` the dataset), whose
  mandatory `dct:modified` is the dataset's last modification.

Round trip: `sheet_from_graph(sheet_to_graph(s)) == s`. RDF values are sets, so list fields of plain values
(keywords, themes, reference systems, sources…) come back sorted and without duplicates, and durations in their
canonical form (PT60M → PT1H); lists of structured items (distributions, processing steps, attributions,
measurements, conformity tests) keep their order through the IRIs minted for them (`<dataset>#distribution-1`…).
Nodes with the same IRI are one node: two agents with one IRI share their description. The publisher's `dct:type`
is the sheet's `publisher_type`; an `Agent.type` equal to it is not written twice, so it comes back as None."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, localcontext
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel, ValidationError
from pyld import jsonld
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD
from rdflib.term import Node

from policies.jsonld import ContextNotShipped
from policies.jsonld import document_loader as _policies_document_loader

from .geoconcepts import ROLE_NS, Registry
from .sheet import (
    Access,
    Agent,
    Contact,
    DataService,
    Distribution,
    Extent,
    Frequency,
    Licence,
    Nature,
    Origin,
    Precision,
    Quality,
    QualityMeasurement,
    Sheet,
    Standard,
)
from .vocabularies import DATA_THEME

ADMS = Namespace("http://www.w3.org/ns/adms#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCT = DCTERMS  # a DefinedNamespace: DCT.title / DCT.format are terms, not str methods
DQV = Namespace("http://www.w3.org/ns/dqv#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
GEODCAT = Namespace("http://data.europa.eu/930/")
JNT = Namespace("https://w3id.org/jnt/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

PREFIXES = {"adms": ADMS, "dcat": DCAT, "dcatap": DCATAP, "dct": DCT, "dqv": DQV, "foaf": FOAF, "geo": GEO,
            "geodcat": GEODCAT, "jnt": JNT, "locn": LOCN, "odrl": ODRL, "prov": PROV,
            "sdmx-attribute": SDMX_ATTRIBUTE, "skos": SKOS, "vcard": VCARD, "xsd": XSD}

SHEET_CONTEXT = "https://w3id.org/jnt/context/sheet/v1.jsonld"
_CONTEXT_FILE = "jnt-sheet.jsonld"

SCALE_METRIC = GEODCAT.spatialResolutionAsScale
DISTANCE_METRIC = GEODCAT.spatialResolutionAsDistance
RESPONSIBLE_PARTY_ROLE = "http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/"
# INSPIRE roles that GeoDCAT-AP also expresses as a direct property of the dataset.
GEODCAT_ROLE_PROPERTIES = ("custodian", "distributor", "originator", "principalInvestigator", "processor",
                           "resourceProvider", "user")


class SheetMappingError(ValueError):
    """RDF that cannot be read as a sheet; the message says what was expected (in French and English)."""


# --- the plain properties ----------------------------------------------------------------------------------------

TEXT = "text"  # literal in the sheet's language (dct:title "…"@fr)
STRING = "string"  # plain literal (identifiers, names, version)
IRI = "iri"  # an IRI; a value that is not one is kept as a literal, for SHACL to report
DATE = "date"  # xsd:date or xsd:dateTime, as the sheet holds a date or a datetime
DECIMAL = "decimal"  # xsd:decimal (read back as float)
COUNT = "count"  # xsd:nonNegativeInteger
DURATION = "duration"  # xsd:duration
MAILTO = "mailto"  # an e-mail address as a mailto: IRI


@dataclass(frozen=True)
class Prop:
    field: str  # sheet field: dotted path from the sheet for the dataset, attribute name for nested parts
    predicate: URIRef
    kind: str
    range: URIRef | None = None  # rdf:type stated for IRI values (DCAT-AP checks e.g. dct:license → LicenseDocument)


DATASET: tuple[Prop, ...] = (
    # C1 Nature (themes, géo-concept description: _write_nature)
    Prop("nature.title", DCT.title, TEXT),
    Prop("nature.description", DCT.description, TEXT),
    Prop("nature.geoconcept", DCT.subject, IRI),
    Prop("nature.role", JNT.geoconceptRole, IRI),
    Prop("nature.resource_type", GEODCAT.resourceType, IRI),
    Prop("nature.dataset_type", DCT.type, IRI),
    Prop("nature.representation", ADMS.representationTechnique, IRI),
    Prop("nature.topic_categories", GEODCAT.topicCategory, IRI),
    Prop("nature.keywords", DCAT.keyword, TEXT),
    Prop("nature.identifier", DCT.identifier, STRING),
    # C3 Fréquence (temporal coverage: _write_frequency)
    Prop("frequency.accrual_periodicity", DCT.accrualPeriodicity, IRI, DCT.Frequency),
    Prop("frequency.modified", DCT.modified, DATE),
    Prop("frequency.issued", DCT.issued, DATE),
    Prop("frequency.created", DCT.created, DATE),
    Prop("frequency.temporal_resolution", DCAT.temporalResolution, DURATION),
    Prop("frequency.version", DCAT.version, STRING),
    # C4 Origine
    Prop("origin.relations", DCT.relation, IRI),
    # C5 Licence (licence document, rights: _write_licence)
    Prop("licence.policy", ODRL.hasPolicy, IRI, ODRL.Policy),
    # C6 Emprise (location: _write_extent)
    Prop("extent.reference_systems", GEODCAT.referenceSystem, IRI, DCT.Standard),
    # C7 Modalité d'accès (distributions: _write_distribution)
    Prop("access.access_rights", DCT.accessRights, IRI, DCT.RightsStatement),
    Prop("access.landing_page", DCAT.landingPage, IRI, FOAF.Document),
    # C8 Précision (scale, accuracy: _write_precision)
    Prop("precision.resolution_m", DCAT.spatialResolutionInMeters, DECIMAL),
    Prop("precision.resolution_text", GEODCAT.spatialResolutionAsText, TEXT),
    # C9 Qualité (conformity, measures: _write_quality)
    Prop("quality.status", ADMS.status, IRI),
)

DISTRIBUTION: tuple[Prop, ...] = (
    Prop("access_url", DCAT.accessURL, IRI),
    Prop("title", DCT.title, TEXT),
    Prop("description", DCT.description, TEXT),
    Prop("download_url", DCAT.downloadURL, IRI),
    Prop("format", DCT.format, IRI, DCT.MediaTypeOrExtent),
    Prop("media_type", DCAT.mediaType, IRI, DCT.MediaType),
    Prop("byte_size", DCAT.byteSize, COUNT),
    Prop("conforms_to", DCT.conformsTo, IRI, DCT.Standard),
    Prop("availability", DCATAP.availability, IRI),
    Prop("status", ADMS.status, IRI),
)

SERVICE: tuple[Prop, ...] = (
    Prop("title", DCT.title, TEXT),
    Prop("endpoint_url", DCAT.endpointURL, IRI),
    Prop("endpoint_description", DCAT.endpointDescription, IRI),
    Prop("protocol", GEODCAT.serviceProtocol, IRI, DCT.Standard),
    Prop("service_type", GEODCAT.serviceType, IRI),
    Prop("conforms_to", DCT.conformsTo, IRI, DCT.Standard),
)

AGENT: tuple[Prop, ...] = (
    Prop("name", FOAF.name, STRING),
    Prop("type", DCT.type, IRI),
    Prop("email", FOAF.mbox, MAILTO),
)

CONTACT: tuple[Prop, ...] = (
    Prop("name", VCARD.fn, STRING),
    Prop("email", VCARD.hasEmail, MAILTO),
    Prop("url", VCARD.hasURL, IRI),
)

MEASUREMENT: tuple[Prop, ...] = (
    Prop("measure", DQV.isMeasurementOf, IRI),
    Prop("value", DQV.value, DECIMAL),
    Prop("unit", SDMX_ATTRIBUTE.unitMeasure, IRI),
)

# Where each RDF property of each kind of node lands in the sheet: read by catalog.shacl to name the sheet field of
# a SHACL result ("access.distributions[0].format"). A field starting with "/" is absolute; "" is the node's own
# path; anything else is relative to the node's path.
FIELDS: dict[str, dict[URIRef, str]] = {
    "dataset": {
        **{p.predicate: p.field for p in DATASET},
        DCAT.theme: "nature.inspire_themes",
        DCT.publisher: "provenance.publisher",
        DCAT.contactPoint: "provenance.contact",
        DCT.rightsHolder: "provenance.rights_holder",
        DCT.creator: "provenance.creator",
        PROV.qualifiedAttribution: "provenance.other_roles",
        DCT.temporal: "frequency.temporal_start",
        DCT.provenance: "origin.lineage",
        PROV.wasGeneratedBy: "origin.acquisition_mode",
        PROV.wasDerivedFrom: "origin.sources",
        DCT.source: "origin.sources",
        DCAT.qualifiedRelation: "origin.relations",
        DCT.license: "licence.licence",
        DCT.rights: "licence.rights",
        JNT.accessConditions: "access.rights",
        DCT.spatial: "extent.bbox",
        DCAT.distribution: "access.distributions",
        DQV.hasQualityMeasurement: "quality.measures",
        PROV.wasUsedBy: "quality.conformity",
        DCT.conformsTo: "standard.conforms_to",
        DCT.language: "language",
    },
    "distribution": {
        **{p.predicate: p.field for p in DISTRIBUTION},
        DCAT.accessService: "access_service",
        DCT.license: "/licence.licence",
        DCT.rights: "/licence.rights",
        DCT.accessRights: "/access.rights",
        ADMS.representationTechnique: "/nature.representation",
        ODRL.hasPolicy: "/licence.policy",
    },
    "service": {p.predicate: p.field for p in SERVICE},
    "agent": {p.predicate: p.field for p in AGENT},
    "publisher": {**{p.predicate: p.field for p in AGENT}, DCT.type: "/provenance.publisher_type"},
    "contact": {p.predicate: p.field for p in CONTACT},
    "attribution": {PROV.agent: "agent", DCAT.hadRole: "role"},
    "period": {DCAT.startDate: "/frequency.temporal_start", DCAT.endDate: "/frequency.temporal_end"},
    "lineage": {DCT.description: ""},
    "origin-activity": {DCT.type: ""},
    "step": {DCT.description: ""},
    "source": {DCT.title: ""},
    "licence": {DCT.type: "/licence.licence_type", RDFS.label: ""},
    "rights": {RDFS.label: ""},
    "location": {DCAT.bbox: "/extent.bbox", DCAT.centroid: "/extent.centroid", LOCN.geometry: "/extent.bbox"},
    "admin-unit": {},
    "scale": {DQV.value: "", DQV.isMeasurementOf: ""},
    "measurement": {p.predicate: p.field for p in MEASUREMENT},
    "conformity": {PROV.qualifiedAssociation: "specification", PROV.generated: "degree"},
    "conformity-plan": {PROV.wasDerivedFrom: "specification", PROV.hadPlan: "specification"},
    "conformity-result": {DCT.type: "degree", DCT.description: "explanation"},
    "specification": {DCT.title: "specification_title"},
    "standard": {DCT.title: "title"},
    "record": {DCT.modified: "/frequency.modified", DCT.conformsTo: "", FOAF.primaryTopic: ""},
    "geoconcept": {SKOS.prefLabel: "", DCT.type: "/nature.role"},
}


@dataclass
class NodeIndex:
    """Which sheet path each node of a sheet graph stands for, and which sheet field each list value came from."""

    nodes: dict[Node, tuple[str, str]] = field(default_factory=dict)  # node → (kind, sheet path)
    values: dict[tuple[Node, Node, Node], str] = field(default_factory=dict)  # (s, p, o) → "nature.keywords[1]"

    def node(self, node: Node, kind: str, path: str) -> Node:
        self.nodes.setdefault(node, (kind, path))
        return node

    def field_of(self, focus: Node, predicate: Node | None, value: Node | None) -> str | None:
        """The sheet field a (focus, predicate, value) triple stands for, or None if unknown."""
        if value is not None and predicate is not None and (focus, predicate, value) in self.values:
            return self.values[(focus, predicate, value)]
        if focus not in self.nodes:
            # A vocabulary value (a licence IRI, a concept…) is named after the triple that points to it.
            for (s, _p, o), path in self.values.items():
                if o == focus and s in self.nodes:
                    return path
            return None
        kind, path = self.nodes[focus]
        if predicate is None:
            return path
        relative = FIELDS.get(kind, {}).get(predicate) if isinstance(predicate, URIRef) else None
        if relative is None:
            return path or None
        return join_path(path, relative)


def join_path(path: str, relative: str) -> str:
    if relative.startswith("/"):
        return relative[1:]
    if not relative:
        return path
    return f"{path}.{relative}" if path else relative


# --- values --------------------------------------------------------------------------------------------------------

_IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_IRI_SCHEMES = ("http", "https", "urn", "mailto", "did", "tag", "ftp", "file")
_DURATION_RE = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def is_iri(value: str) -> bool:
    """An absolute IRI with a scheme the data space uses (so that "OGC:WFS" or "2154" stay text)."""
    return bool(_IRI_RE.match(value)) and value.split(":", 1)[0].lower() in _IRI_SCHEMES


def _ref(value: str) -> URIRef | Literal:
    return URIRef(value) if is_iri(value) else Literal(value)


def _decimal(value: float) -> Literal:
    if not math.isfinite(value):
        return Literal(value, datatype=XSD.double)
    return Literal(Decimal(repr(value)), datatype=XSD.decimal)


def _to_rdf(value: Any, kind: str, language: str) -> Node:
    if kind == TEXT:
        return Literal(value, lang=language or None)
    if kind == STRING:
        return Literal(value)
    if kind == IRI:
        return _ref(value)
    if kind == MAILTO:
        return _ref(value if value.startswith("mailto:") else f"mailto:{value}")
    if kind == DATE:
        return Literal(value)  # a date gives xsd:date, a datetime xsd:dateTime
    if kind == DECIMAL:
        return _decimal(value)
    if kind == COUNT:
        return Literal(value, datatype=XSD.nonNegativeInteger)
    if kind == DURATION:
        # Not a valid xsd:duration: kept as text, so that the SHACL datatype check names the field.
        return Literal(value, datatype=XSD.duration) if _DURATION_RE.match(value) else Literal(value)
    raise ValueError(kind)


def _from_rdf(graph: Graph, node: Node, kind: str) -> Any:
    if isinstance(node, BNode):
        label = _label(graph, node)
        return label if kind in (IRI, TEXT, STRING) else None
    if kind == MAILTO:
        return str(node).removeprefix("mailto:")
    if kind in (IRI, TEXT, STRING):
        return str(node)
    if not isinstance(node, Literal):
        return str(node)
    python = node.toPython() if not node.ill_typed else None
    if kind == DATE:
        return python if isinstance(python, date | datetime) else str(node)
    if kind == DECIMAL:
        try:
            return float(python if isinstance(python, int | float | Decimal) else str(node))
        except ValueError:
            return str(node)
    if kind == COUNT:
        return python if isinstance(python, int) else str(node)
    if kind == DURATION:
        return str(node)
    return str(node)


def _label(graph: Graph, node: Node) -> str | None:
    for predicate in (SKOS.prefLabel, RDFS.label, DCT.title, FOAF.name):
        value = graph.value(node, predicate)
        if value is not None:
            return str(value)
    return None


def _get(obj: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        obj = getattr(obj, name)
    return obj


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _mint(dataset_iri: str, name: str, position: int | None = None) -> URIRef:
    """An IRI for a node the sheet describes (a distribution, a measurement…), under the dataset's IRI; the
    position keeps the order of list items across the round trip."""
    separator = "-" if "#" in dataset_iri else "#"
    suffix = name if position is None else f"{name}-{position}"
    return URIRef(f"{dataset_iri}{separator}{suffix}")


# --- writing -----------------------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, sheet: Sheet, registry: Registry | None) -> None:
        self.sheet = sheet
        self.registry = registry
        self.language = sheet.language
        self.graph = Graph()
        for prefix, namespace in PREFIXES.items():
            self.graph.bind(prefix, namespace)
        self.index = NodeIndex()
        if not is_iri(sheet.id):
            raise SheetMappingError(f"l'identifiant de la fiche doit être une IRI (https://…, urn:…), pas « {sheet.id} » "
                                    f"/ the sheet id must be an IRI, not '{sheet.id}'")
        self.dataset = self.index.node(URIRef(sheet.id), "dataset", "")

    def add(self, subject: Node, predicate: URIRef, obj: Node, path: str | None = None) -> None:
        self.graph.add((subject, predicate, obj))
        if path is not None:
            self.index.values.setdefault((subject, predicate, obj), path)

    def typed(self, node: Node, *classes: URIRef) -> Node:
        for cls in classes:
            self.graph.add((node, RDF.type, cls))
        return node

    def props(self, subject: Node, part: Any, table: Iterable[Prop], path: str = "",
              skip: tuple[str, ...] = ()) -> None:
        """Write the plain properties of `part` (the sheet, or a nested part whose sheet path is `path`)."""
        for prop in table:
            if prop.field in skip:
                continue
            value = _get(part, prop.field)
            field_path = join_path(path, prop.field)
            items = _values(value)
            for position, item in enumerate(items):
                node = _to_rdf(item, prop.kind, self.language)
                item_path = f"{field_path}[{position}]" if isinstance(value, list) else field_path
                self.add(subject, prop.predicate, node, item_path)
                if prop.range is not None and isinstance(node, URIRef):
                    self.typed(node, prop.range)

    def mint(self, name: str, position: int | None = None) -> URIRef:
        return _mint(self.sheet.id, name, position)


def _write_nature(w: _Writer) -> None:
    """C1: dct:subject the géo-concept, jnt:geoconceptRole, dcat:theme (INSPIRE + EU), geodcat:resourceType."""
    nature = w.sheet.nature
    for name in ("inspire_themes", "eu_themes"):
        for position, theme in enumerate(getattr(nature, name)):
            w.add(w.dataset, DCAT.theme, _ref(theme), f"nature.{name}[{position}]")
    if nature.resource_type and nature.resource_type.rstrip("/").endswith("/series"):
        w.typed(w.dataset, DCAT.DatasetSeries)
    concept = w.registry.get(nature.geoconcept) if (w.registry and nature.geoconcept) else None
    if concept is not None and is_iri(nature.geoconcept):
        node = w.index.node(URIRef(nature.geoconcept), "geoconcept", "nature.geoconcept")
        w.typed(node, SKOS.Concept)
        w.add(node, SKOS.prefLabel, Literal(concept.label_fr, lang="fr"))
        w.add(node, SKOS.notation, Literal(concept.id))
        w.add(node, SKOS.inScheme, URIRef(w.registry.scheme_iri))
        w.add(node, DCT.type, URIRef(concept.role_iri))


def _agent_node(w: _Writer, agent: Agent | None, kind: str, path: str, extra_types: Iterable[str] = ()) -> Node:
    node = URIRef(agent.iri) if (agent and agent.iri and is_iri(agent.iri)) else BNode()
    w.index.node(node, kind, path)
    w.typed(node, FOAF.Agent)
    if agent is not None:
        w.props(node, agent, AGENT, path, skip=("type",))
    for value in dict.fromkeys([*extra_types, *([agent.type] if agent and agent.type else [])]):
        type_path = "provenance.publisher_type" if (kind == "publisher" and value in extra_types) else f"{path}.type"
        w.add(node, DCT.type, _ref(value), type_path)
    return node


def _write_provenance(w: _Writer) -> None:
    """C2: dct:publisher → foaf:Agent (foaf:name, dct:type ADMS publisher type), dcat:contactPoint → vcard:Kind,
    dct:rightsHolder, dct:creator, prov:qualifiedAttribution [prov:agent; dcat:hadRole] (+ GeoDCAT-AP shortcut)."""
    prov = w.sheet.provenance
    if prov.publisher is not None or prov.publisher_type:
        node = _agent_node(w, prov.publisher, "publisher", "provenance.publisher",
                           [prov.publisher_type] if prov.publisher_type else [])
        w.add(w.dataset, DCT.publisher, node)
    if prov.contact is not None:
        node = w.typed(w.index.node(BNode(), "contact", "provenance.contact"), VCARD.Kind)
        w.props(node, prov.contact, CONTACT, "provenance.contact")
        w.add(w.dataset, DCAT.contactPoint, node)
    for name, predicate in (("rights_holder", DCT.rightsHolder), ("creator", DCT.creator)):
        agent = getattr(prov, name)
        if agent is not None:
            w.add(w.dataset, predicate, _agent_node(w, agent, "agent", f"provenance.{name}"))
    for position, attribution in enumerate(prov.other_roles):
        path = f"provenance.other_roles[{position}]"
        node = w.typed(w.index.node(w.mint("attribution", position + 1), "attribution", path), PROV.Attribution)
        agent = _agent_node(w, attribution.agent, "agent", f"{path}.agent")
        w.add(node, PROV.agent, agent)
        w.add(node, DCAT.hadRole, _ref(attribution.role), f"{path}.role")
        w.add(w.dataset, PROV.qualifiedAttribution, node, path)
        role = attribution.role.removeprefix(RESPONSIBLE_PARTY_ROLE)
        if attribution.role.startswith(RESPONSIBLE_PARTY_ROLE) and role in GEODCAT_ROLE_PROPERTIES:
            w.add(w.dataset, GEODCAT[role], agent)


def _write_frequency(w: _Writer) -> None:
    """C3: dct:temporal → dct:PeriodOfTime (dcat:startDate, dcat:endDate)."""
    freq = w.sheet.frequency
    if freq.temporal_start is None and freq.temporal_end is None:
        return
    node = w.typed(w.index.node(BNode(), "period", "frequency"), DCT.PeriodOfTime)
    if freq.temporal_start is not None:
        w.add(node, DCAT.startDate, Literal(freq.temporal_start))
    if freq.temporal_end is not None:
        w.add(node, DCAT.endDate, Literal(freq.temporal_end))
    w.add(w.dataset, DCT.temporal, node)


def _write_origin(w: _Writer) -> None:
    """C4: dct:provenance → dct:ProvenanceStatement; prov:wasGeneratedBy → prov:Activity (dct:type origin IRI) and
    one prov:Activity per processing step (chained by prov:wasInformedBy); prov:wasDerivedFrom the sources."""
    origin = w.sheet.origin
    if origin.lineage is not None:
        node = w.typed(w.index.node(BNode(), "lineage", "origin.lineage"), DCT.ProvenanceStatement)
        w.add(node, DCT.description, Literal(origin.lineage, lang=w.language or None))
        w.add(w.dataset, DCT.provenance, node)
    if origin.acquisition_mode:
        node = w.typed(w.index.node(BNode(), "origin-activity", "origin.acquisition_mode"), PROV.Activity)
        w.add(node, DCT.type, _ref(origin.acquisition_mode), "origin.acquisition_mode")
        w.add(w.dataset, PROV.wasGeneratedBy, node)
    previous = None
    for position, step in enumerate(origin.process_steps):
        path = f"origin.process_steps[{position}]"
        node = w.typed(w.index.node(w.mint("step", position + 1), "step", path), PROV.Activity)
        w.add(node, DCT.description, Literal(step, lang=w.language or None))
        if previous is not None:
            w.add(node, PROV.wasInformedBy, previous)
        w.add(w.dataset, PROV.wasGeneratedBy, node, path)
        previous = node
    for position, source in enumerate(origin.sources):
        path = f"origin.sources[{position}]"
        if is_iri(source):
            w.add(w.dataset, PROV.wasDerivedFrom, URIRef(source), path)
        else:
            node = w.typed(w.index.node(BNode(), "source", path), PROV.Entity)
            w.add(node, DCT.title, Literal(source, lang=w.language or None))
            w.add(w.dataset, PROV.wasDerivedFrom, node, path)


def _write_licence(w: _Writer) -> tuple[Node | None, Node | None, Node | None]:
    """C5: dct:license → dct:LicenseDocument (dct:type ADMS licence type), dct:rights → dct:RightsStatement;
    C7 access-conditions text → dct:RightsStatement. Returns the nodes the distributions also point to."""
    lic = w.sheet.licence
    licence = None
    if lic.licence or lic.licence_type:
        if lic.licence and is_iri(lic.licence):
            licence = URIRef(lic.licence)
        else:  # a licence named by text only: a blank licence document with a label (SHACL asks for an IRI)
            licence = BNode()
            if lic.licence:
                w.add(licence, RDFS.label, Literal(lic.licence), "licence.licence")
        w.index.node(licence, "licence", "licence.licence")
        w.typed(licence, DCT.LicenseDocument)
        if lic.licence_type:
            w.add(licence, DCT.type, _ref(lic.licence_type), "licence.licence_type")
        w.add(w.dataset, DCT.license, licence, "licence.licence")
    rights = access_conditions = None
    if lic.rights is not None:
        rights = w.typed(w.index.node(BNode(), "rights", "licence.rights"), DCT.RightsStatement)
        w.add(rights, RDFS.label, Literal(lic.rights, lang=w.language or None))
        w.add(w.dataset, DCT.rights, rights)
    if w.sheet.access.rights is not None:
        access_conditions = w.typed(w.index.node(BNode(), "rights", "access.rights"), DCT.RightsStatement)
        w.add(access_conditions, RDFS.label, Literal(w.sheet.access.rights, lang=w.language or None))
        w.add(w.dataset, JNT.accessConditions, access_conditions)
    return licence, rights, access_conditions


def _write_extent(w: _Writer) -> None:
    """C6: dct:spatial → dct:Location with one dcat:bbox (geo:wktLiteral, CRS84) and dcat:centroid; admin units as
    dct:spatial IRIs."""
    extent = w.sheet.extent
    if extent.bbox is not None or extent.centroid is not None:
        node = w.typed(w.index.node(BNode(), "location", "extent"), DCT.Location)
        if extent.bbox is not None:
            w.add(node, DCAT.bbox, Literal(bbox_wkt(extent.bbox), datatype=GEO.wktLiteral), "extent.bbox")
        if extent.centroid is not None:
            x, y = extent.centroid
            w.add(node, DCAT.centroid, Literal(f"POINT({x!r} {y!r})", datatype=GEO.wktLiteral), "extent.centroid")
        w.add(w.dataset, DCT.spatial, node)
    for position, unit in enumerate(extent.admin_units):
        node = _ref(unit)
        w.add(w.dataset, DCT.spatial, node, f"extent.admin_units[{position}]")
        if isinstance(node, URIRef):
            w.index.node(node, "admin-unit", f"extent.admin_units[{position}]")
            w.typed(node, DCT.Location)


def _write_distribution(w: _Writer, position: int, dist: Distribution,
                        shared: tuple[Node | None, Node | None, Node | None]) -> None:
    """C7: dcat:distribution → dcat:Distribution (dcat:accessURL, dct:format, dcat:mediaType, dcat:byteSize…),
    dcat:accessService → dcat:DataService (dct:title, dcat:endpointURL); plus the dataset-level C1/C5/C7 copies."""
    path = f"access.distributions[{position}]"
    node = w.typed(w.index.node(w.mint("distribution", position + 1), "distribution", path), DCAT.Distribution)
    w.add(w.dataset, DCAT.distribution, node, path)
    w.props(node, dist, DISTRIBUTION, path)
    if dist.access_service is not None:
        service_path = f"{path}.access_service"
        service = w.index.node(w.mint("service", position + 1), "service", service_path)
        w.typed(service, DCAT.DataService)
        w.props(service, dist.access_service, SERVICE, service_path)
        w.add(service, DCAT.servesDataset, w.dataset)
        w.add(node, DCAT.accessService, service, service_path)
    licence, rights, access_conditions = shared
    if licence is not None:
        w.add(node, DCT.license, licence)
    if rights is not None:
        w.add(node, DCT.rights, rights)
    if access_conditions is not None:
        w.add(node, DCT.accessRights, access_conditions)
    if w.sheet.nature.representation:
        w.add(node, ADMS.representationTechnique, _ref(w.sheet.nature.representation))
    if w.sheet.licence.policy:
        w.add(node, ODRL.hasPolicy, _ref(w.sheet.licence.policy))


def _write_measurement(w: _Writer, node: URIRef, measurement: QualityMeasurement, path: str,
                       *classes: URIRef) -> None:
    w.index.node(node, "measurement", path)
    w.typed(node, DQV.QualityMeasurement, *classes)
    w.props(node, measurement, MEASUREMENT, path)
    w.add(w.dataset, DQV.hasQualityMeasurement, node, path)


def _write_precision(w: _Writer) -> None:
    """C8: scale as dqv:QualityMeasurement of geodcat:spatialResolutionAsScale with dqv:value = 1/denominator;
    positional accuracy as DQV measurements (sdmx-attribute:unitMeasure a QUDT unit)."""
    precision = w.sheet.precision
    if precision.scale_denominator is not None:
        node = w.typed(w.index.node(w.mint("scale"), "scale", "precision.scale_denominator"), DQV.QualityMeasurement)
        w.add(node, DQV.isMeasurementOf, SCALE_METRIC)
        w.add(node, DQV.value, Literal(scale_value(precision.scale_denominator), datatype=XSD.decimal))
        w.add(w.dataset, DQV.hasQualityMeasurement, node, "precision.scale_denominator")
    for position, measurement in enumerate(precision.positional_accuracy):
        _write_measurement(w, w.mint("accuracy", position + 1), measurement,
                           f"precision.positional_accuracy[{position}]", JNT.PositionalAccuracyMeasurement)


def _write_quality(w: _Writer) -> None:
    """C9: the GeoDCAT-AP conformity pattern — prov:wasUsedBy → prov:Activity [prov:qualifiedAssociation
    [prov:hadPlan [prov:wasDerivedFrom <specification>]]; prov:generated [dct:type <DegreeOfConformity>;
    dct:description explanation]] — and DQV measures."""
    for position, conformity in enumerate(w.sheet.quality.conformity):
        path = f"quality.conformity[{position}]"
        activity = w.typed(w.index.node(w.mint("conformity", position + 1), "conformity", path), PROV.Activity)
        association = w.typed(w.index.node(BNode(), "conformity", path), PROV.Association)
        plan = w.typed(w.index.node(BNode(), "conformity-plan", path), PROV.Plan)
        spec_iri = conformity.specification
        spec = URIRef(spec_iri) if (spec_iri and is_iri(spec_iri)) else BNode()
        w.index.node(spec, "specification", path)
        w.typed(spec, DCT.Standard)
        w.add(spec, DCT.title, Literal(conformity.specification_title, lang=w.language or None))
        if spec_iri and not is_iri(spec_iri):
            w.add(spec, DCT.identifier, Literal(spec_iri))
        result = w.typed(w.index.node(BNode(), "conformity-result", path), PROV.Entity)
        w.add(result, DCT.type, _ref(conformity.degree), f"{path}.degree")
        if conformity.explanation is not None:
            w.add(result, DCT.description, Literal(conformity.explanation, lang=w.language or None))
        w.add(plan, PROV.wasDerivedFrom, spec)
        w.add(association, PROV.hadPlan, plan)
        w.add(activity, PROV.qualifiedAssociation, association)
        w.add(activity, PROV.generated, result)
        w.add(w.dataset, PROV.wasUsedBy, activity, path)
    for position, measurement in enumerate(w.sheet.quality.measures):
        _write_measurement(w, w.mint("measure", position + 1), measurement, f"quality.measures[{position}]")


def _write_standard(w: _Writer) -> None:
    """C10: dct:conformsTo → dct:Standard (dct:title); the metadata standard on a dcat:CatalogRecord."""
    for position, ref in enumerate(w.sheet.standard.conforms_to):
        path = f"standard.conforms_to[{position}]"
        node = URIRef(ref.iri) if (ref.iri and is_iri(ref.iri)) else BNode()
        w.index.node(node, "standard", path)
        w.typed(node, DCT.Standard)
        if ref.title is not None:
            w.add(node, DCT.title, Literal(ref.title, lang=w.language or None))
        if ref.iri and not is_iri(ref.iri):
            w.add(node, DCT.identifier, Literal(ref.iri))
        w.add(w.dataset, DCT.conformsTo, node, path)
    metadata_standard = w.sheet.standard.metadata_standard
    if metadata_standard:
        record = w.typed(w.index.node(w.mint("record"), "record", "standard.metadata_standard"), DCAT.CatalogRecord)
        w.add(record, FOAF.primaryTopic, w.dataset)
        if is_iri(metadata_standard):
            standard: Node = URIRef(metadata_standard)
        else:
            standard = BNode()
            w.add(standard, DCT.title, Literal(metadata_standard))
        w.index.node(standard, "standard", "standard.metadata_standard")
        w.typed(standard, DCT.Standard)
        w.add(record, DCT.conformsTo, standard, "standard.metadata_standard")
        freq = w.sheet.frequency
        modified = freq.modified or freq.issued or freq.created
        if modified is not None:
            w.add(record, DCT.modified, Literal(modified))


def build_graph(sheet: Sheet, registry: Registry | None = None) -> tuple[Graph, NodeIndex]:
    """The sheet's graph and the index of its nodes (what `catalog.shacl` needs to name fields)."""
    w = _Writer(sheet, registry)
    w.typed(w.dataset, DCAT.Dataset)
    w.props(w.dataset, sheet, DATASET)
    _write_nature(w)
    _write_provenance(w)
    _write_frequency(w)
    _write_origin(w)
    shared = _write_licence(w)
    _write_extent(w)
    for position, dist in enumerate(sheet.access.distributions):
        _write_distribution(w, position, dist, shared)
    _write_precision(w)
    _write_quality(w)
    _write_standard(w)
    return w.graph, w.index


def sheet_to_graph(sheet: Sheet, registry: Registry | None = None) -> Graph:
    """The sheet as DCAT-AP 3 / GeoDCAT-AP RDF. With a géo-concept `registry`, the géo-concept is described too."""
    return build_graph(sheet, registry)[0]


def bbox_wkt(bbox: tuple[float, float, float, float]) -> str:
    minx, miny, maxx, maxy = (repr(float(v)) for v in bbox)
    return f"POLYGON(({minx} {miny}, {maxx} {miny}, {maxx} {maxy}, {minx} {maxy}, {minx} {miny}))"


def scale_value(denominator: int) -> Decimal:
    """1/denominator as a decimal precise enough for round(1/value) to give the denominator back."""
    with localcontext() as ctx:
        ctx.prec = max(28, len(str(denominator)) + 12)
        return Decimal(1) / Decimal(denominator)


def scale_denominator(value: Any) -> int | None:
    try:
        number = Decimal(str(value))
        if number <= 0:
            return None
        with localcontext() as ctx:
            ctx.prec = 60
            return int((Decimal(1) / number).to_integral_value())
    except ArithmeticError:
        return None


# --- reading -----------------------------------------------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def parse_bbox(literal: Node) -> tuple[float, float, float, float] | None:
    """minx, miny, maxx, maxy of a WKT (optionally prefixed with a CRS IRI) or GeoJSON geometry literal."""
    text = str(literal).strip()
    coordinates: list[tuple[float, float]] = []
    if text.startswith("{"):
        try:
            stack = [json.loads(text).get("coordinates")]
        except (ValueError, AttributeError):
            return None
        while stack:
            item = stack.pop()
            if isinstance(item, list) and len(item) >= 2 and all(isinstance(v, int | float) for v in item[:2]):
                coordinates.append((float(item[0]), float(item[1])))
            elif isinstance(item, list):
                stack.extend(item)
    else:
        text = re.sub(r"^<[^>]*>\s*", "", text)
        numbers = [float(v) for v in re.findall(_NUMBER, text)]
        coordinates = list(zip(numbers[0::2], numbers[1::2], strict=False))
    if not coordinates:
        return None
    xs, ys = [c[0] for c in coordinates], [c[1] for c in coordinates]
    return min(xs), min(ys), max(xs), max(ys)


def _position_key(node: Node, fallback: str = "") -> tuple:
    """Minted nodes (…#distribution-2) in their position order, then the others by a stable key."""
    match = re.search(r"-(\d+)$", str(node)) if isinstance(node, URIRef) else None
    if match:
        return (0, int(match.group(1)), str(node))
    return (1, 0, fallback or ("" if isinstance(node, BNode) else str(node)))


class _Reader:
    def __init__(self, graph: Graph, dataset: Node) -> None:
        self.graph = graph
        self.dataset = dataset
        self.index = NodeIndex()
        self.index.node(dataset, "dataset", "")
        self.language = self._language()

    def _language(self) -> str:
        """The sheet's language: that of the dataset's title (or description, keywords), else the most frequent
        language tag of the graph's texts, else French (a sheet without any text has no language to tell)."""
        for predicate in (DCT.title, DCT.description, DCAT.keyword):
            for value in sorted(self.graph.objects(self.dataset, predicate), key=str):
                if isinstance(value, Literal) and value.language:
                    return value.language
        tags = Counter(o.language for o in self.graph.objects() if isinstance(o, Literal) and o.language)
        return min(tags, key=lambda tag: (-tags[tag], tag)) if tags else "fr"

    def objects(self, subject: Node, predicate: URIRef) -> list[Node]:
        return sorted(self.graph.objects(subject, predicate), key=lambda n: (isinstance(n, BNode), str(n)))

    def value(self, subject: Node, predicate: URIRef, kind: str) -> Any:
        values = self.many(subject, predicate, kind)
        return values[0] if values else None

    def many(self, subject: Node, predicate: URIRef, kind: str) -> list[Any]:
        nodes = self.objects(subject, predicate)
        if kind == TEXT:
            nodes = _prefer_language(nodes, self.language)
        values = []
        for node in nodes:
            value = _from_rdf(self.graph, node, kind)
            if value is not None and value not in values:
                values.append(value)
        if kind in (IRI, TEXT, STRING, MAILTO):
            values.sort()
        return values

    def props(self, subject: Node, table: Iterable[Prop], model: type, path: str = "") -> dict[str, Any]:
        """The plain properties of `subject` as keyword arguments for `model` (fields are the table's names)."""
        found: dict[str, Any] = {}
        for prop in table:
            name = prop.field.rsplit(".", 1)[-1]
            is_list = _is_list_field(model, name)
            values = self.many(subject, prop.predicate, prop.kind)
            if is_list:
                found[name] = values
                field_path = join_path(path, prop.field)
                for position, value in enumerate(values):
                    node = _to_rdf(value, prop.kind, self.language)
                    self.index.values.setdefault((subject, prop.predicate, node), f"{field_path}[{position}]")
            elif values:
                found[name] = values[0]
        return found


def _prefer_language(nodes: list[Node], language: str) -> list[Node]:
    literals = [n for n in nodes if isinstance(n, Literal)]
    for test in (lambda n: n.language == language, lambda n: not n.language):
        chosen = [n for n in literals if test(n)]
        if chosen:
            return chosen
    return nodes


def _is_list_field(model: type, name: str) -> bool:
    info = model.model_fields.get(name)
    return info is not None and getattr(info.annotation, "__origin__", None) is list


_PARTS: dict[str, type[BaseModel]] = {"nature": Nature, "frequency": Frequency, "origin": Origin, "licence": Licence,
                                      "extent": Extent, "access": Access, "precision": Precision,
                                      "quality": Quality, "standard": Standard}


def _group(reader: _Reader, part: str) -> dict[str, Any]:
    """The dataset's plain properties (table DATASET) of one criterion ("nature"), as the part's fields."""
    selected = [p for p in DATASET if p.field.startswith(part + ".")]
    return reader.props(reader.dataset, selected, _PARTS[part], "")


def _read_agent(r: _Reader, node: Node, kind: str, path: str,
                exclude_types: Iterable[str] = ()) -> dict[str, Any] | None:
    """An agent's fields, or None for an agent without foaf:name (a sheet agent always has one)."""
    r.index.node(node, kind, path)
    found = r.props(node, AGENT, Agent, path)
    types = [t for t in r.many(node, DCT.type, IRI) if t not in exclude_types]
    found["type"] = types[0] if types else None
    if "name" not in found:
        return None
    if isinstance(node, URIRef):
        found["iri"] = str(node)
    return found


def _read_nature(r: _Reader) -> dict[str, Any]:
    nature = _group(r, "nature")
    themes = r.many(r.dataset, DCAT.theme, IRI)
    nature["eu_themes"] = [t for t in themes if t.startswith(DATA_THEME)]
    nature["inspire_themes"] = [t for t in themes if not t.startswith(DATA_THEME)]
    for name in ("inspire_themes", "eu_themes"):
        for position, theme in enumerate(nature[name]):
            r.index.values.setdefault((r.dataset, DCAT.theme, _ref(theme)), f"nature.{name}[{position}]")
    subjects = [n for n in r.objects(r.dataset, DCT.subject) if not isinstance(n, Literal)]
    subjects = subjects or r.objects(r.dataset, DCT.subject)

    def has_role(node: Node) -> bool:
        return any(str(t).startswith(ROLE_NS) for t in r.graph.objects(node, DCT.type))

    if subjects:
        chosen = next((n for n in subjects if has_role(n)), subjects[0])
        nature["geoconcept"] = _from_rdf(r.graph, chosen, IRI)
        r.index.node(chosen, "geoconcept", "nature.geoconcept")
        if not nature.get("role"):
            roles = sorted(str(t) for t in r.graph.objects(chosen, DCT.type) if str(t).startswith(ROLE_NS))
            nature["role"] = roles[0] if roles else None
    return nature


def _read_provenance(r: _Reader) -> dict[str, Any]:
    found: dict[str, Any] = {}
    publishers = r.objects(r.dataset, DCT.publisher)
    if publishers:
        node = publishers[0]
        types = r.many(node, DCT.type, IRI)
        found["publisher_type"] = types[0] if types else None
        found["publisher"] = _read_agent(r, node, "publisher", "provenance.publisher", types[:1])
    contacts = r.objects(r.dataset, DCAT.contactPoint)
    if contacts:
        r.index.node(contacts[0], "contact", "provenance.contact")
        found["contact"] = r.props(contacts[0], CONTACT, Contact, "provenance.contact")
    publisher_node = publishers[0] if publishers else None
    publisher_type = found.get("publisher_type")
    for name, predicate in (("rights_holder", DCT.rightsHolder), ("creator", DCT.creator)):
        nodes = r.objects(r.dataset, predicate)
        if nodes:
            exclude = [publisher_type] if (nodes[0] == publisher_node and publisher_type) else []
            found[name] = _read_agent(r, nodes[0], "agent", f"provenance.{name}", exclude)
    roles: list[dict[str, Any]] = []
    nodes = sorted(r.graph.objects(r.dataset, PROV.qualifiedAttribution),
                   key=lambda n: _position_key(n, str(r.graph.value(n, DCAT.hadRole) or "")))
    for node in nodes:
        path = f"provenance.other_roles[{len(roles)}]"
        agent_node, role = r.graph.value(node, PROV.agent), r.graph.value(node, DCAT.hadRole)
        if agent_node is None or role is None:
            continue
        exclude = [publisher_type] if (agent_node == publisher_node and publisher_type) else []
        agent = _read_agent(r, agent_node, "agent", f"{path}.agent", exclude)
        if agent is None:
            continue
        r.index.node(node, "attribution", path)
        r.index.values.setdefault((r.dataset, PROV.qualifiedAttribution, node), path)
        roles.append({"role": _from_rdf(r.graph, role, IRI), "agent": agent})
    if not roles:  # GeoDCAT-AP shortcuts (geodcat:custodian…), when there is no qualified attribution
        for role in GEODCAT_ROLE_PROPERTIES:
            for agent_node in r.objects(r.dataset, GEODCAT[role]):
                agent = _read_agent(r, agent_node, "agent", f"provenance.other_roles[{len(roles)}].agent")
                if agent is not None:
                    roles.append({"role": RESPONSIBLE_PARTY_ROLE + role, "agent": agent})
    found["other_roles"] = roles
    return found


def _read_frequency(r: _Reader) -> dict[str, Any]:
    found = _group(r, "frequency")
    for node in r.objects(r.dataset, DCT.temporal):
        r.index.node(node, "period", "frequency")
        start = r.value(node, DCAT.startDate, DATE) or r.value(node, SCHEMA_START, DATE)
        end = r.value(node, DCAT.endDate, DATE) or r.value(node, SCHEMA_END, DATE)
        if start is not None or end is not None:
            found["temporal_start"], found["temporal_end"] = start, end
            break
    return found


SCHEMA_START = URIRef("http://schema.org/startDate")
SCHEMA_END = URIRef("http://schema.org/endDate")


def _read_origin(r: _Reader) -> dict[str, Any]:
    found = _group(r, "origin")
    for node in r.objects(r.dataset, DCT.provenance):
        r.index.node(node, "lineage", "origin.lineage")
        texts = r.many(node, DCT.description, TEXT) or r.many(node, RDFS.label, TEXT)
        if texts:
            found["lineage"] = texts[0]
            break
    steps: list[tuple[tuple, str, Node]] = []
    for node in r.objects(r.dataset, PROV.wasGeneratedBy):
        types = r.many(node, DCT.type, IRI)
        descriptions = r.many(node, DCT.description, TEXT)
        if types and "acquisition_mode" not in found:
            found["acquisition_mode"] = types[0]
            r.index.node(node, "origin-activity", "origin.acquisition_mode")
        elif descriptions:
            steps.append((_position_key(node, descriptions[0]), descriptions[0], node))
    found["process_steps"] = []
    for position, (_key, text, node) in enumerate(sorted(steps)):
        r.index.node(node, "step", f"origin.process_steps[{position}]")
        found["process_steps"].append(text)
    sources: dict[str, Node] = {}
    for predicate in (PROV.wasDerivedFrom, DCT.source):
        for node in r.objects(r.dataset, predicate):
            text = _from_rdf(r.graph, node, IRI) if not isinstance(node, Literal) else str(node)
            if text is not None:
                sources.setdefault(text, node)
    found["sources"] = sorted(sources)
    for position, text in enumerate(found["sources"]):
        node = sources[text]
        r.index.node(node, "source", f"origin.sources[{position}]")
        r.index.values.setdefault((r.dataset, PROV.wasDerivedFrom, node), f"origin.sources[{position}]")
    return found


def _on_distributions(r: _Reader, predicate: URIRef) -> list[Node]:
    return sorted({n for d in r.graph.objects(r.dataset, DCAT.distribution) for n in r.graph.objects(d, predicate)},
                  key=str)


def _read_licence(r: _Reader) -> dict[str, Any]:
    found = _group(r, "licence")
    licences = r.objects(r.dataset, DCT.license) or _on_distributions(r, DCT.license)
    if licences:
        node = licences[0]
        r.index.node(node, "licence", "licence.licence")
        found["licence"] = _from_rdf(r.graph, node, IRI)
        types = r.many(node, DCT.type, IRI)
        found["licence_type"] = types[0] if types else None
    rights = r.objects(r.dataset, DCT.rights) or _on_distributions(r, DCT.rights)
    if rights:
        r.index.node(rights[0], "rights", "licence.rights")
        found["rights"] = _statement(r, rights[0])
    if not found.get("policy"):
        policies = _on_distributions(r, ODRL.hasPolicy)
        found["policy"] = _from_rdf(r.graph, policies[0], IRI) if policies else None
    return found


def _statement(r: _Reader, node: Node) -> str | None:
    if isinstance(node, Literal):
        return str(node)
    texts = r.many(node, RDFS.label, TEXT) or r.many(node, DCT.description, TEXT)
    return texts[0] if texts else None


def _read_extent(r: _Reader) -> dict[str, Any]:
    found = _group(r, "extent")
    units: list[str] = []
    for node in r.objects(r.dataset, DCT.spatial):
        geometry = [*r.objects(node, DCAT.bbox), *r.objects(node, LOCN.geometry)]
        centroid = r.objects(node, DCAT.centroid)
        if geometry or centroid:
            r.index.node(node, "location", "extent")
            if "bbox" not in found:
                found["bbox"] = next((b for b in map(parse_bbox, geometry) if b), None)
            if centroid and "centroid" not in found:
                box = parse_bbox(centroid[0])
                found["centroid"] = (box[0], box[1]) if box else None
        elif not isinstance(node, BNode):
            units.append(str(node))
    found["admin_units"] = sorted(set(units))
    for position, unit in enumerate(found["admin_units"]):
        r.index.values.setdefault((r.dataset, DCT.spatial, _ref(unit)), f"extent.admin_units[{position}]")
        r.index.node(_ref(unit), "admin-unit", f"extent.admin_units[{position}]")
    return found


def _read_access(r: _Reader) -> dict[str, Any]:
    found = _group(r, "access")
    conditions = r.objects(r.dataset, JNT.accessConditions) or [
        n for n in _on_distributions(r, DCT.accessRights) if not isinstance(n, URIRef)]
    if conditions:
        r.index.node(conditions[0], "rights", "access.rights")
        found["rights"] = _statement(r, conditions[0])
    nodes = sorted(r.graph.objects(r.dataset, DCAT.distribution),
                   key=lambda n: _position_key(n, str(r.graph.value(n, DCAT.accessURL) or "")))
    distributions = []
    for node in nodes:
        path = f"access.distributions[{len(distributions)}]"
        kwargs = r.props(node, DISTRIBUTION, Distribution, path)
        if not kwargs.get("access_url"):
            kwargs["access_url"] = kwargs.get("download_url") or ""
        services = r.objects(node, DCAT.accessService)
        if services:
            service_path = f"{path}.access_service"
            r.index.node(services[0], "service", service_path)
            service = r.props(services[0], SERVICE, DataService, service_path)
            service.setdefault("title", "")
            service.setdefault("endpoint_url", "")
            kwargs["access_service"] = service
        r.index.node(node, "distribution", path)
        r.index.values.setdefault((r.dataset, DCAT.distribution, node), path)
        distributions.append(kwargs)
    found["distributions"] = distributions
    return found


def _measurements(r: _Reader) -> list[Node]:
    return sorted(r.graph.objects(r.dataset, DQV.hasQualityMeasurement),
                  key=lambda n: _position_key(n, f"{r.graph.value(n, DQV.isMeasurementOf)} "
                                                 f"{r.graph.value(n, DQV.value)}"))


def _read_measurement(r: _Reader, node: Node, path: str) -> dict[str, Any] | None:
    kwargs = r.props(node, MEASUREMENT, QualityMeasurement, path)
    if "measure" not in kwargs or "value" not in kwargs:
        return None
    r.index.node(node, "measurement", path)
    r.index.values.setdefault((r.dataset, DQV.hasQualityMeasurement, node), path)
    return kwargs


def _read_precision_quality(r: _Reader) -> tuple[dict[str, Any], dict[str, Any]]:
    precision = _group(r, "precision")
    quality = _group(r, "quality")
    accuracy: list[dict[str, Any]] = []
    measures: list[dict[str, Any]] = []
    for node in _measurements(r):
        metric = r.graph.value(node, DQV.isMeasurementOf)
        if metric == SCALE_METRIC:
            denominator = scale_denominator(r.graph.value(node, DQV.value))
            if denominator is not None and "scale_denominator" not in precision:
                precision["scale_denominator"] = denominator
                r.index.node(node, "scale", "precision.scale_denominator")
            continue
        if metric == DISTANCE_METRIC and "resolution_m" not in precision:
            value = r.value(node, DQV.value, DECIMAL)
            if isinstance(value, float):  # GeoDCAT-AP extended profile: the resolution as a DQV distance
                precision["resolution_m"] = value
                continue
        if (node, RDF.type, JNT.PositionalAccuracyMeasurement) in r.graph:
            item = _read_measurement(r, node, f"precision.positional_accuracy[{len(accuracy)}]")
            accuracy.extend([item] if item else [])
        else:
            item = _read_measurement(r, node, f"quality.measures[{len(measures)}]")
            measures.extend([item] if item else [])
    precision["positional_accuracy"] = accuracy
    quality["measures"] = measures
    conformity: list[dict[str, Any]] = []
    nodes = sorted(r.graph.objects(r.dataset, PROV.wasUsedBy), key=lambda n: _position_key(n))
    for node in nodes:
        path = f"quality.conformity[{len(conformity)}]"
        results = r.objects(node, PROV.generated)
        degree = r.value(results[0], DCT.type, IRI) if results else None
        specs = [s for a in r.objects(node, PROV.qualifiedAssociation) for p in r.objects(a, PROV.hadPlan)
                 for s in r.objects(p, PROV.wasDerivedFrom)]
        if degree is None or not specs:
            continue
        spec = specs[0]
        titles = r.many(spec, DCT.title, TEXT)
        identifiers = r.many(spec, DCT.identifier, STRING)
        r.index.node(node, "conformity", path)
        r.index.node(results[0], "conformity-result", path)
        r.index.node(spec, "specification", path)
        r.index.values.setdefault((r.dataset, PROV.wasUsedBy, node), path)
        conformity.append({
            "specification_title": titles[0] if titles else (str(spec) if isinstance(spec, URIRef) else ""),
            "specification": str(spec) if isinstance(spec, URIRef) else (identifiers[0] if identifiers else None),
            "degree": degree,
            "explanation": r.value(results[0], DCT.description, TEXT),
        })
    quality["conformity"] = conformity
    return precision, quality


def _read_standard(r: _Reader) -> dict[str, Any]:
    found: dict[str, Any] = {}
    excluded = set(r.graph.objects(r.dataset, GEODCAT.referenceSystem))
    refs: list[tuple[tuple, dict[str, Any], Node]] = []
    for node in r.graph.objects(r.dataset, DCT.conformsTo):
        if node in excluded:
            continue
        titles = r.many(node, DCT.title, TEXT)
        if isinstance(node, URIRef):
            ref = {"iri": str(node), "title": titles[0] if titles else None}
        elif isinstance(node, Literal):
            ref = {"title": str(node), "iri": None}
        else:
            identifiers = r.many(node, DCT.identifier, STRING)
            ref = {"title": titles[0] if titles else None, "iri": identifiers[0] if identifiers else None}
        if isinstance(node, URIRef):
            key: tuple = (0, str(node), ref["title"] or "")
        else:
            key = (1, ref["title"] or "", ref["iri"] or "")
        refs.append((key, ref, node))
    refs.sort(key=lambda item: item[0])
    found["conforms_to"] = [ref for _key, ref, _node in refs]
    for position, (_key, _item, node) in enumerate(refs):
        r.index.node(node, "standard", f"standard.conforms_to[{position}]")
        r.index.values.setdefault((r.dataset, DCT.conformsTo, node), f"standard.conforms_to[{position}]")
    for record in sorted(r.graph.subjects(FOAF.primaryTopic, r.dataset), key=_position_key):
        r.index.node(record, "record", "standard.metadata_standard")
        for standard in r.objects(record, DCT.conformsTo):
            found["metadata_standard"] = _from_rdf(r.graph, standard, IRI)
            break
        if found.get("metadata_standard"):
            break
    return found


DATASET_CLASSES = (DCAT.Dataset, DCAT.DatasetSeries)


def find_datasets(graph: Graph) -> list[Node]:
    found = {s for cls in DATASET_CLASSES for s in graph.subjects(RDF.type, cls)}
    return sorted(found, key=lambda n: (isinstance(n, BNode), str(n)))


def _dataset_node(graph: Graph, dataset_iri: str | None) -> Node:
    if dataset_iri is not None:
        dataset = URIRef(dataset_iri)
        if (dataset, None, None) not in graph:
            raise SheetMappingError(f"le graphe ne décrit pas <{dataset_iri}> / the graph does not describe "
                                    f"<{dataset_iri}>")
        return dataset
    datasets = find_datasets(graph)
    if len(datasets) != 1:
        found = ", ".join(f"<{d}>" for d in datasets) or "aucun / none"
        raise SheetMappingError("le graphe doit contenir exactement un dcat:Dataset, ou préciser dataset_iri "
                                f"(trouvés : {found}) / the graph must hold exactly one dcat:Dataset, or give "
                                f"dataset_iri (found: {found})")
    return datasets[0]


def read_fields(graph: Graph, dataset_iri: str | None = None) -> tuple[dict[str, Any], NodeIndex]:
    """The sheet's fields as read from `graph`, not yet validated, and the index of the nodes read (what
    `catalog.shacl` needs to name the fields of raw RDF, even RDF that would not make a valid sheet)."""
    r = _Reader(graph, _dataset_node(graph, dataset_iri))
    precision, quality = _read_precision_quality(r)
    fields = {
        "id": str(r.dataset) if isinstance(r.dataset, URIRef) else f"_:{r.dataset}",
        "language": r.language,
        "nature": _read_nature(r),
        "provenance": _read_provenance(r),
        "frequency": _read_frequency(r),
        "origin": _read_origin(r),
        "licence": _read_licence(r),
        "extent": _read_extent(r),
        "access": _read_access(r),
        "precision": precision,
        "quality": quality,
        "standard": _read_standard(r),
    }
    return fields, r.index


def read_graph(graph: Graph, dataset_iri: str | None = None) -> tuple[Sheet, NodeIndex]:
    """The sheet of one dataset in `graph` and the index of the nodes read."""
    fields, index = read_fields(graph, dataset_iri)
    try:
        return Sheet.model_validate(fields), index
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SheetMappingError(f"le graphe ne donne pas une fiche valide / the graph does not make a valid sheet: "
                                f"{problems}") from exc


def sheet_from_graph(graph: Graph, dataset_iri: str | None = None) -> Sheet:
    """The sheet of the dataset `dataset_iri` (or of the graph's only dcat:Dataset)."""
    return read_graph(graph, dataset_iri)[0]


# --- Turtle and JSON-LD ------------------------------------------------------------------------------------------


def sheet_to_turtle(sheet: Sheet, registry: Registry | None = None) -> str:
    return sheet_to_graph(sheet, registry).serialize(format="turtle")


def parse_turtle(text: str) -> Graph:
    try:
        return Graph().parse(data=text, format="turtle")
    except Exception as exc:  # rdflib raises several types for syntax errors
        raise SheetMappingError(f"Turtle invalide / invalid Turtle: {str(exc).splitlines()[0]}") from exc


def sheet_from_turtle(text: str, dataset_iri: str | None = None) -> Sheet:
    return sheet_from_graph(parse_turtle(text), dataset_iri)


@cache
def _sheet_context_document() -> dict[str, Any]:
    return json.loads((files("catalog") / "data" / "contexts" / _CONTEXT_FILE).read_text(encoding="utf-8"))


def sheet_context() -> dict[str, Any]:
    """The project's JSON-LD context for sheets (published at SHEET_CONTEXT)."""
    return _sheet_context_document()


def document_loader(url: str, options: dict | None = None) -> dict[str, Any]:
    """pyld document loader: the sheet context from the package, the policy contexts from `policies`, nothing from
    the network."""
    if url == SHEET_CONTEXT:
        # The "static" tag lets pyld cache the processed context: shipped contexts never change within a process.
        return {"contextUrl": None, "documentUrl": url, "document": _sheet_context_document(), "tag": "static"}
    try:
        return _policies_document_loader(url, options)
    except ContextNotShipped as exc:
        raise ContextNotShipped(f"{exc}; or {SHEET_CONTEXT}") from None


def graph_to_jsonld(graph: Graph, dataset_iri: str | None = None) -> dict[str, Any]:
    """Compact JSON-LD of a sheet graph, framed as a tree under the dataset (the catalog record in `record`)."""
    nquads = graph.serialize(format="nt")
    expanded = jsonld.from_rdf(nquads, {"format": "application/n-quads", "useNativeTypes": False})
    if dataset_iri is None:
        datasets = [d for d in find_datasets(graph) if isinstance(d, URIRef)]
        dataset_iri = str(datasets[0]) if datasets else None
    frame: dict[str, Any] = {"@context": SHEET_CONTEXT}
    if dataset_iri is not None:
        frame.update({"@id": dataset_iri, "record": {}})
    options = {"documentLoader": document_loader, "embed": "@once", "omitGraph": True}
    return jsonld.frame(expanded, frame, options)


def sheet_to_jsonld(sheet: Sheet, registry: Registry | None = None) -> dict[str, Any]:
    """The sheet as compact JSON-LD with the project's context (`"@context": SHEET_CONTEXT`)."""
    return graph_to_jsonld(sheet_to_graph(sheet, registry), sheet.id)


def jsonld_to_graph(doc: dict[str, Any] | list | str) -> Graph:
    """An rdflib graph from JSON-LD (contexts resolved from the package only)."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    try:
        dataset = jsonld.to_rdf(doc, {"documentLoader": document_loader})
    except jsonld.JsonLdError as exc:
        raise SheetMappingError(f"JSON-LD invalide / invalid JSON-LD: {_innermost(exc)}") from exc
    # Named graphs, if any, are merged: a sheet is one graph.
    triples = [triple for graph_triples in dataset.values() for triple in graph_triples]
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph.parse(data=jsonld.serialize_nquads({"@default": triples}), format="nt")


def _innermost(exc: BaseException) -> str:
    """pyld wraps errors (a context that is not shipped…) several times: the innermost one says what is wrong."""
    while True:
        cause = getattr(exc, "cause", None) or exc.__cause__
        if cause is None or cause is exc:
            return str(exc).split("\nType:", 1)[0]
        exc = cause


def sheet_from_jsonld(doc: dict[str, Any] | list | str, dataset_iri: str | None = None) -> Sheet:
    return sheet_from_graph(jsonld_to_graph(doc), dataset_iri)


__all__ = [
    "FIELDS",
    "SHEET_CONTEXT",
    "NodeIndex",
    "SheetMappingError",
    "build_graph",
    "document_loader",
    "graph_to_jsonld",
    "jsonld_to_graph",
    "read_fields",
    "read_graph",
    "sheet_context",
    "sheet_from_graph",
    "sheet_from_jsonld",
    "sheet_from_turtle",
    "sheet_to_graph",
    "sheet_to_jsonld",
    "sheet_to_turtle",
]

