"""Import of ISO 19139 metadata records (a file, bytes, a URL, or an element harvested from a CSW catalogue) into a
characterisation sheet. The mapping follows the XPath table of CRITERIA.md and its lessons from real French
records: a `gmx:Anchor/@xlink:href` is preferred, labels are looked up to IRIs (INSPIRE themes, EPSG codes,
licences, formats), access constraints misused for intellectual property fall back to their texts, links without
`gmd:function` are classified by protocol, `codeSpace`+`code` identifiers are repaired, and a dataset IRI is
minted when the record has none. The géo-concept is recognised from the title and keywords with the registry's
search. The result says, field by field, what was filled and from which XPath, what the user still has to fill,
and what looked wrong in the record; a record that cannot be read at all is an `IsoImportError`."""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from lxml import etree
from pydantic import BaseModel, Field

from . import label_lookup as lk
from .geoconcepts import Registry, fold, load_registry
from .sheet import (
    Agent,
    Attribution,
    Conformity,
    Contact,
    DataService,
    Distribution,
    QualityMeasurement,
    Sheet,
    StandardRef,
)
from .vocabularies import DEGREE_OF_CONFORMITY, access_right_iri, origin_iri

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "srv": "http://www.isotc211.org/2005/srv",
    "xlink": "http://www.w3.org/1999/xlink",
    "csw": "http://www.opengis.net/cat/csw/2.0.2",
}
ROOTS = {f"{{{NS['gmd']}}}MD_Metadata", f"{{{NS['gmi']}}}MI_Metadata"}
DEFAULT_DATASET_BASE = "https://w3id.org/jnt/dataset/"
DEFAULT_TIMEOUT = 10.0
# A géo-concept is set automatically only when its label is well covered and clearly ahead of the next one.
RECOGNISE_MIN_SCORE = 0.75
RECOGNISE_MARGIN = 0.25
CANDIDATE_MIN_SCORE = 0.25
MAX_CANDIDATES = 5

_G, _C, _X = (f"{{{NS[p]}}}" for p in ("gmd", "gco", "gmx"))
_HREF = f"{{{NS['xlink']}}}href"
_TEXT_TAGS = {_C + "CharacterString", _X + "Anchor", _X + "MimeFileType", _X + "FileName", _C + "Decimal",
              _C + "Integer", _C + "Real", _C + "Boolean", _C + "Date", _C + "DateTime", _C + "Distance",
              _G + "URL", _G + "LanguageCode"}
_ACCESS_MISUSES = {"intellectualPropertyRights", "copyright", "license", "licence", "patent", "patentPending",
                   "trademark"}


# --- errors, notices, results ------------------------------------------------------------------------------------


class IsoImportError(ValueError):
    """A record that cannot be imported at all (unreadable, not ISO 19139, not reachable)."""

    def __init__(self, code: str, fr: str, en: str):
        super().__init__(f"{fr} / {en}")
        self.code, self.fr, self.en = code, fr, en

    def message(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr


class ImportNotice(BaseModel):
    """Something the user should look at: a label not recognised, a value repaired or assumed."""

    code: str
    fr: str
    en: str
    xpath: str | None = None

    def message(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr

    def __str__(self) -> str:
        return self.en


class FilledField(BaseModel):
    path: str  # sheet field, e.g. "licence.licence"
    xpath: str  # where the value came from in the record
    value_preview: str
    inferred: bool = False  # deduced (wording, alignment table, name) rather than read; a notice says how


class GeoconceptCandidate(BaseModel):
    id: str
    iri: str
    label: str
    role: str  # role IRI
    score: float


class ImportResult(BaseModel):
    sheet: Sheet
    filled: list[FilledField] = Field(default_factory=list)
    to_fill: list[str] = Field(default_factory=list)  # empty sheet fields, mandatory ones first
    to_fill_mandatory: list[str] = Field(default_factory=list)
    geoconcept_candidates: list[GeoconceptCandidate] = Field(default_factory=list)
    warnings: list[ImportNotice] = Field(default_factory=list)
    source: str | None = None
    record_id: str | None = None  # gmd:fileIdentifier

    def filled_paths(self) -> set[str]:
        return {f.path for f in self.filled}

    def field(self, path: str) -> FilledField | None:
        return next((f for f in self.filled if f.path == path), None)


# --- XPaths (compiled once) --------------------------------------------------------------------------------------

ID = "gmd:identificationInfo[1]/*"


@dataclass(frozen=True)
class _Path:
    expr: str  # as shown to the user, absolute from gmd:MD_Metadata
    compiled: etree.XPath


def _p(expr: str, base: str = "") -> _Path:
    return _Path(f"{base}/{expr}" if base else expr, etree.XPath(expr, namespaces=NS))


def _id(expr: str) -> _Path:
    return _p(expr, ID)


P_FILE_ID = _p("gmd:fileIdentifier")
P_MD_LANGUAGE = _p("gmd:language")
P_HIERARCHY = _p("gmd:hierarchyLevel/gmd:MD_ScopeCode/@codeListValue")
P_ID = _p(ID)
P_MD_CONTACT = _p("gmd:contact/gmd:CI_ResponsibleParty")
P_MD_STANDARD = _p("gmd:metadataStandardName")
P_MD_STANDARD_VERSION = _p("gmd:metadataStandardVersion")
P_CRS = _p("gmd:referenceSystemInfo/*/gmd:referenceSystemIdentifier/*/gmd:code")
P_ONLINE = _p("gmd:distributionInfo/*/gmd:transferOptions/*/gmd:onLine/gmd:CI_OnlineResource"
              " | gmd:distributionInfo/*/gmd:distributor/*/gmd:distributorTransferOptions/*/gmd:onLine"
              "/gmd:CI_OnlineResource")
P_TRANSFER_SIZE = _p("gmd:distributionInfo/*/gmd:transferOptions/*/gmd:transferSize/gco:Real")
P_FORMATS = _p("gmd:distributionInfo/*/gmd:distributionFormat/gmd:MD_Format/gmd:name"
               " | gmd:distributionInfo/*/gmd:distributor/*/gmd:distributorFormat/gmd:MD_Format/gmd:name")
P_DISTRIBUTORS = _p("gmd:distributionInfo/*/gmd:distributor/*/gmd:distributorContact/gmd:CI_ResponsibleParty")
P_LINEAGE = _p("gmd:dataQualityInfo/*/gmd:lineage/*/gmd:statement")
P_SOURCES = _p("gmd:dataQualityInfo/*/gmd:lineage/*/gmd:source/gmd:LI_Source")
P_STEPS = _p("gmd:dataQualityInfo/*/gmd:lineage/*/gmd:processStep/gmd:LI_ProcessStep/gmd:description")
P_CONFORMANCE = _p("gmd:dataQualityInfo/*/gmd:report/*/gmd:result/gmd:DQ_ConformanceResult")
P_POSITIONAL = _p("gmd:dataQualityInfo/*/gmd:report/*[self::gmd:DQ_AbsoluteExternalPositionalAccuracy"
                  " or self::gmd:DQ_GriddedDataPositionalAccuracy or self::gmd:DQ_RelativeInternalPositionalAccuracy]")
P_APP_SCHEMA = _p("gmd:applicationSchemaInfo/*/gmd:name/*/gmd:title")

P_TITLE = _id("gmd:citation/*/gmd:title")
P_ALT_TITLE = _id("gmd:citation/*/gmd:alternateTitle")
P_ABSTRACT = _id("gmd:abstract")
P_DATES = _id("gmd:citation/*/gmd:date/gmd:CI_Date")
P_IDENTIFIERS = _id("gmd:citation/*/gmd:identifier/*")
P_EDITION = _id("gmd:citation/*/gmd:edition")
P_POINTS_OF_CONTACT = _id("gmd:pointOfContact/gmd:CI_ResponsibleParty")
P_CITED_PARTIES = _id("gmd:citation/*/gmd:citedResponsibleParty/gmd:CI_ResponsibleParty")
P_KEYWORDS = _id("gmd:descriptiveKeywords/gmd:MD_Keywords")
P_FREQUENCY = _id("gmd:resourceMaintenance/*/gmd:maintenanceAndUpdateFrequency/*/@codeListValue")
P_CONSTRAINTS = _id("gmd:resourceConstraints/*")
P_REPRESENTATION = _id("gmd:spatialRepresentationType/*/@codeListValue")
P_DISTANCE = _id("gmd:spatialResolution/*/gmd:distance/gco:Distance")
P_SCALE = _id("gmd:spatialResolution/*/gmd:equivalentScale/*/gmd:denominator/gco:Integer")
P_TOPIC = _id("gmd:topicCategory/gmd:MD_TopicCategoryCode")
P_BBOX = _id("*[self::gmd:extent or self::srv:extent]/*/gmd:geographicElement/gmd:EX_GeographicBoundingBox")
P_GEO_ID = _id("*[self::gmd:extent or self::srv:extent]/*/gmd:geographicElement/gmd:EX_GeographicDescription"
               "/gmd:geographicIdentifier/*/gmd:code")
P_TEMPORAL = _id("*[self::gmd:extent or self::srv:extent]/*/gmd:temporalElement/*/gmd:extent/*")
P_STATUS = _id("gmd:status/gmd:MD_ProgressCode/@codeListValue")
P_RESOURCE_LANGUAGE = _id("gmd:language")

# Relative paths used inside the nodes found above.
R_ORG = etree.XPath("gmd:organisationName", namespaces=NS)
R_INDIVIDUAL = etree.XPath("gmd:individualName", namespaces=NS)
R_EMAIL = etree.XPath("gmd:contactInfo/*/gmd:address/*/gmd:electronicMailAddress", namespaces=NS)
R_CONTACT_URL = etree.XPath("gmd:contactInfo/*/gmd:onlineResource/*/gmd:linkage/gmd:URL", namespaces=NS)
R_ROLE = etree.XPath("gmd:role/*/@codeListValue", namespaces=NS)
R_DATE_VALUE = etree.XPath("gmd:date/*", namespaces=NS)
R_DATE_TYPE = etree.XPath("gmd:dateType/*/@codeListValue", namespaces=NS)
R_KEYWORD = etree.XPath("gmd:keyword", namespaces=NS)
R_KEYWORD_TYPE = etree.XPath("gmd:type/*/@codeListValue", namespaces=NS)
R_THESAURUS = etree.XPath("gmd:thesaurusName/*/gmd:title", namespaces=NS)
R_CODE = etree.XPath("gmd:code", namespaces=NS)
R_CODESPACE = etree.XPath("gmd:codeSpace", namespaces=NS)
R_ACCESS_CODES = etree.XPath("gmd:accessConstraints/*/@codeListValue", namespaces=NS)
R_USE_CODES = etree.XPath("gmd:useConstraints/*/@codeListValue", namespaces=NS)
R_OTHER = etree.XPath("gmd:otherConstraints", namespaces=NS)
R_USE_LIMITATION = etree.XPath("gmd:useLimitation", namespaces=NS)
R_LOCALISED = etree.XPath(".//gmd:LocalisedCharacterString", namespaces=NS)
R_BBOX_SIDES = {side: etree.XPath(f"gmd:{side}/gco:Decimal", namespaces=NS)
                for side in ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")}
R_BEGIN = etree.XPath("*[local-name()='beginPosition'] | *[local-name()='begin']/*/*[local-name()='timePosition']")
R_END = etree.XPath("*[local-name()='endPosition'] | *[local-name()='end']/*/*[local-name()='timePosition']")
R_INSTANT = etree.XPath("*[local-name()='timePosition']")
R_LINKAGE = etree.XPath("gmd:linkage/gmd:URL", namespaces=NS)
R_PROTOCOL = etree.XPath("gmd:protocol", namespaces=NS)
R_FUNCTION = etree.XPath("gmd:function/*/@codeListValue", namespaces=NS)
R_NAME = etree.XPath("gmd:name", namespaces=NS)
R_DESCRIPTION = etree.XPath("gmd:description", namespaces=NS)
R_APP_PROFILE = etree.XPath("gmd:applicationProfile", namespaces=NS)
R_SPEC_TITLE = etree.XPath("gmd:specification/*/gmd:title", namespaces=NS)
R_SPEC_ID = etree.XPath("gmd:specification/*/gmd:identifier/*/gmd:code", namespaces=NS)
R_PASS = etree.XPath("gmd:pass/gco:Boolean", namespaces=NS)
R_EXPLANATION = etree.XPath("gmd:explanation", namespaces=NS)
R_SOURCE_TEXT = etree.XPath("gmd:description | gmd:sourceCitation/*/gmd:title", namespaces=NS)
R_MEASURE_ID = etree.XPath("gmd:measureIdentification/*/gmd:code", namespaces=NS)
R_QUANT_VALUE = etree.XPath("gmd:result/gmd:DQ_QuantitativeResult/gmd:value/gco:Record", namespaces=NS)
R_QUANT_UNIT = etree.XPath("gmd:result/gmd:DQ_QuantitativeResult/gmd:valueUnit/*", namespaces=NS)


def _text(prop: Any) -> str:
    """The text of an ISO property element (its gco:CharacterString, gmx:Anchor, gco:Decimal… child)."""
    if prop is None:
        return ""
    if isinstance(prop, str):  # an attribute value
        return prop.strip()
    for child in prop:
        if child.tag in _TEXT_TAGS:
            return (child.text or child.get("codeListValue") or "").strip()
    return (prop.text or "").strip()


def _href(prop: Any) -> str:
    if prop is None or isinstance(prop, str):
        return ""
    for child in prop:
        if child.tag == _X + "Anchor":
            return (child.get(_HREF) or "").strip()
    return ""


def _texts(nodes: list) -> list[str]:
    return [t for t in (_text(n) for n in nodes) if t]


def _first(nodes: list) -> str:
    for n in nodes:
        t = _text(n)
        if t:
            return t
    return ""


def _is_iri(value: str) -> bool:
    return bool(re.match(r"^(?:https?|urn):\S+$", value))


def _preview(value: Any) -> str:
    if isinstance(value, Agent):
        text = value.name + (f" <{value.email}>" if value.email else "")
    elif isinstance(value, Contact):
        text = " ".join(x for x in (value.name, f"<{value.email}>" if value.email else None, value.url) if x)
    elif isinstance(value, Distribution):
        text = value.access_url
    elif isinstance(value, Conformity):
        text = f"{value.specification_title} → {value.degree.rsplit('/', 1)[-1]}"
    elif isinstance(value, StandardRef):
        text = value.title or value.iri or ""
    elif isinstance(value, Attribution):
        text = f"{value.role.rsplit('/', 1)[-1]}: {value.agent.name}"
    elif isinstance(value, QualityMeasurement):
        text = f"{value.measure} = {value.value}"
    elif isinstance(value, list | tuple) and not (isinstance(value, tuple) and all(isinstance(v, float) for v in value)):
        text = "; ".join(_preview(v) for v in value)
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "…"


# --- reading the record ------------------------------------------------------------------------------------------


def xml_parser() -> etree.XMLParser:
    # No DTD, no entities, no network: metadata records come from anywhere.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_record(data: bytes) -> etree._Element:
    """The ISO 19139 record element of an XML document (also unwraps a CSW GetRecordById response)."""
    if not data or not data.strip():
        raise IsoImportError("empty", "document vide", "empty document")
    try:
        root = etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        raise IsoImportError("xml-syntax", f"XML mal formé : {exc}", f"malformed XML: {exc}") from None
    if root.tag == f"{{{NS['csw']}}}GetRecordByIdResponse":
        children = [c for c in root if isinstance(c.tag, str)]
        if not children:
            raise IsoImportError("not-found", "la réponse GetRecordById ne contient aucune fiche",
                                 "the GetRecordById response holds no record")
        root = children[0]
    return root


def _check_root(root: etree._Element) -> None:
    if root.tag not in ROOTS:
        qname = etree.QName(root)
        raise IsoImportError(
            "not-iso19139",
            f"ce n'est pas une fiche ISO 19139 : élément racine {{{qname.namespace}}}{qname.localname}, "
            "attendu gmd:MD_Metadata",
            f"not an ISO 19139 record: root element {{{qname.namespace}}}{qname.localname}, expected gmd:MD_Metadata")


def record_identifier(record: etree._Element) -> str | None:
    """The gmd:fileIdentifier of a record, if any."""
    ids = P_FILE_ID.compiled(record)
    return (_text(ids[0]) or None) if ids else None


@lru_cache(maxsize=1)
def _default_registry() -> Registry:
    return load_registry()


def import_iso(source: str | Path | bytes, *, registry: Registry | None = None, timeout: float = DEFAULT_TIMEOUT,
               client: httpx.Client | None = None, dataset_base: str = DEFAULT_DATASET_BASE) -> ImportResult:
    """Import one record from a path, an http(s) URL, XML text or bytes."""
    if isinstance(source, bytes):
        return import_iso_bytes(source, registry=registry, dataset_base=dataset_base)
    text = str(source)
    if isinstance(source, str) and re.match(r"^https?://", text.strip(), re.I):
        return import_iso_url(text.strip(), registry=registry, timeout=timeout, client=client,
                              dataset_base=dataset_base)
    if isinstance(source, str) and text.lstrip().startswith("<"):
        return import_iso_bytes(text.encode("utf-8"), registry=registry, dataset_base=dataset_base)
    return import_iso_file(Path(text), registry=registry, dataset_base=dataset_base)


def import_iso_file(path: Path, *, registry: Registry | None = None,
                    dataset_base: str = DEFAULT_DATASET_BASE) -> ImportResult:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise IsoImportError("not-found", f"fichier introuvable : {path}", f"file not found: {path}") from None
    except OSError as exc:
        raise IsoImportError("unreadable", f"fichier illisible : {path} ({exc.strerror})",
                             f"cannot read file: {path} ({exc.strerror})") from None
    return import_iso_bytes(data, source=str(path), registry=registry, dataset_base=dataset_base)


def import_iso_url(url: str, *, registry: Registry | None = None, timeout: float = DEFAULT_TIMEOUT,
                   client: httpx.Client | None = None, dataset_base: str = DEFAULT_DATASET_BASE) -> ImportResult:
    try:
        if client is not None:
            response = client.get(url, timeout=timeout, follow_redirects=True)
        else:
            with httpx.Client(timeout=timeout, follow_redirects=True) as own:
                response = own.get(url)
    except httpx.TimeoutException:
        raise IsoImportError("timeout", f"pas de réponse de {url} en {timeout:g} s",
                             f"no answer from {url} within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise IsoImportError("network", f"{url} injoignable : {exc}", f"cannot reach {url}: {exc}") from None
    if response.status_code >= 400:
        raise IsoImportError("http-status", f"{url} a répondu HTTP {response.status_code}",
                             f"{url} answered HTTP {response.status_code}")
    return import_iso_bytes(response.content, source=url, registry=registry, dataset_base=dataset_base)


def import_iso_bytes(data: bytes, *, source: str | None = None, registry: Registry | None = None,
                     dataset_base: str = DEFAULT_DATASET_BASE) -> ImportResult:
    return import_iso_element(parse_record(data), source=source, registry=registry, dataset_base=dataset_base)


def import_iso_element(root: etree._Element, *, source: str | None = None, registry: Registry | None = None,
                       dataset_base: str = DEFAULT_DATASET_BASE) -> ImportResult:
    """Import an already parsed gmd:MD_Metadata element (e.g. one record of a CSW GetRecords page)."""
    _check_root(root)
    ident = P_ID.compiled(root)
    if not ident:
        raise IsoImportError("no-identification",
                             "la fiche n'a pas de gmd:identificationInfo : rien à décrire",
                             "the record has no gmd:identificationInfo: nothing to describe")
    builder = _Builder(root, ident[0], registry or _default_registry(), dataset_base, source)
    return builder.build()


# --- the mapping -------------------------------------------------------------------------------------------------


@dataclass
class _Party:
    organisation: str
    individual: str
    email: str
    url: str
    role: str
    xpath: str

    @property
    def name(self) -> str:
        return self.organisation or self.individual


@dataclass
class _Builder:
    root: etree._Element
    ident: etree._Element
    registry: Registry
    dataset_base: str
    source: str | None
    sheet: Sheet = field(init=False)
    filled: list[FilledField] = field(default_factory=list)
    warnings: list[ImportNotice] = field(default_factory=list)
    candidates: list[GeoconceptCandidate] = field(default_factory=list)

    # helpers ---------------------------------------------------------------------------------------------------

    def set(self, path: str, value: Any, xpath: str, inferred: bool = False) -> None:
        part_name, attr = path.split(".", 1)
        setattr(getattr(self.sheet, part_name), attr, value)
        self.filled.append(FilledField(path=path, xpath=xpath, value_preview=_preview(value), inferred=inferred))

    def warn(self, code: str, fr: str, en: str, xpath: str | None = None) -> None:
        self.warnings.append(ImportNotice(code=code, fr=fr, en=en, xpath=xpath))

    def _party(self, node: etree._Element, xpath: str) -> _Party:
        roles = R_ROLE(node)
        return _Party(_first(R_ORG(node)), _first(R_INDIVIDUAL(node)), _first(R_EMAIL(node)),
                      _first(R_CONTACT_URL(node)), roles[0].strip() if roles else "", xpath)

    # the whole record ------------------------------------------------------------------------------------------

    def build(self) -> ImportResult:
        file_id = _text(next(iter(P_FILE_ID.compiled(self.root)), None))
        self.sheet = Sheet(id=self._dataset_iri(file_id))
        self._language()
        self._nature()
        self._provenance()
        self._frequency()
        self._origin()
        constraints = self._constraints()
        self._extent()
        self._access(constraints)
        self._precision()
        self._quality_and_standard()
        self._geoconcept()
        completeness = self.sheet.completeness()
        mandatory = [f.path for c in completeness.criteria for f in c.fields if f.mandatory and not f.filled]
        recommended = [f.path for c in completeness.criteria for f in c.fields if not f.mandatory and not f.filled]
        return ImportResult(sheet=self.sheet, filled=self.filled, to_fill=mandatory + recommended,
                            to_fill_mandatory=mandatory, geoconcept_candidates=self.candidates,
                            warnings=self.warnings, source=self.source, record_id=file_id or None)

    def _dataset_iri(self, file_id: str) -> str:
        """The first identifier that is an IRI (codeSpace + code repaired); else a minted IRI."""
        chosen: tuple[str, bool] | None = None
        first_code = ""
        for node in P_IDENTIFIERS.compiled(self.ident):
            code_el = next(iter(R_CODE(node)), None)
            code = _href(code_el) if _is_iri(_href(code_el)) else _text(code_el)
            space = _text(next(iter(R_CODESPACE(node)), None))
            if not code:
                continue
            first_code = first_code or code
            if _is_iri(code):
                chosen = chosen or (code, False)
            elif space and re.match(r"^https?://\S+$", space):
                joined = space + code if space.endswith(("/", "#", "=")) else f"{space.rstrip('/')}/{code}"
                if not chosen:
                    chosen = (joined, not space.endswith(("/", "#", "=")))
        xpath = P_IDENTIFIERS.expr + "/gmd:code (+ gmd:codeSpace)"
        if chosen:
            identifier, repaired = chosen
            if repaired:
                self.warn("identifier-repaired",
                          f"identifiant reconstitué avec un « / » entre codeSpace et code : {identifier}",
                          f"identifier rebuilt with a '/' between codeSpace and code: {identifier}", xpath)
            self._pending_identifier = (identifier, xpath)
            return identifier
        self._pending_identifier = (first_code, xpath) if first_code else None
        seed = file_id or first_code
        minted = self.dataset_base + (quote(seed, safe="-._~") if seed else str(uuid.uuid5(
            uuid.NAMESPACE_URL, etree.tostring(self.ident)[:4096].decode("utf-8", "replace"))))
        self.warn("iri-minted", f"aucun identifiant IRI dans la fiche : IRI du jeu de données créée {minted}",
                  f"no IRI identifier in the record: dataset IRI minted {minted}", xpath)
        return minted

    def _language(self) -> None:
        for path in (P_MD_LANGUAGE, P_RESOURCE_LANGUAGE):
            nodes = path.compiled(self.root if path is P_MD_LANGUAGE else self.ident)
            for node in nodes:
                code = next((c.get("codeListValue") for c in node if c.get("codeListValue")), None) or _text(node)
                lang = lk.LANGUAGES.get(code.strip().lower()[:3]) if code else None
                if lang:
                    self.sheet.language = lang
                    return

    # C1 ----------------------------------------------------------------------------------------------------------

    def _nature(self) -> None:
        ident = self.ident
        title = _first(P_TITLE.compiled(ident))
        if title:
            self.set("nature.title", title, P_TITLE.expr)
        abstract = _first(P_ABSTRACT.compiled(ident))
        if abstract:
            self.set("nature.description", abstract, P_ABSTRACT.expr)
        if getattr(self, "_pending_identifier", None):
            value, xpath = self._pending_identifier
            self.set("nature.identifier", value, xpath)
        self._keywords()
        hierarchy = [v.strip() for v in P_HIERARCHY.compiled(self.root) if v.strip()]
        if hierarchy and hierarchy[0] in lk.RESOURCE_TYPES:
            self.set("nature.resource_type", lk.RESOURCE_TYPE + hierarchy[0], P_HIERARCHY.expr)
        reps = [v.strip() for v in P_REPRESENTATION.compiled(ident) if v.strip() in lk.REPRESENTATIONS]
        if reps:
            self.set("nature.representation", lk.SPATIAL_REPRESENTATION + reps[0], P_REPRESENTATION.expr)
        topics = []
        for value in _texts(P_TOPIC.compiled(ident)):
            if value in lk.TOPIC_CATEGORIES:
                topics.append(lk.TOPIC_CATEGORY + value)
            else:
                self.warn("topic-unknown", f"catégorie ISO inconnue : {value}", f"unknown ISO topic category: {value}",
                          P_TOPIC.expr)
        if topics:
            self.set("nature.topic_categories", list(dict.fromkeys(topics)), P_TOPIC.expr)

    def _keywords(self) -> None:
        themes: list[str] = []
        free: list[str] = []
        theme_xpath = P_KEYWORDS.expr + "[gmd:thesaurusName ≈ 'GEMET - INSPIRE themes']/gmd:keyword"
        self._keyword_texts: list[str] = []
        for block in P_KEYWORDS.compiled(self.ident):
            thesaurus = fold(_first(R_THESAURUS(block)))
            inspire_block = "inspire" in thesaurus and "them" in thesaurus
            for kw in R_KEYWORD(block):
                label, href = _text(kw), _href(kw)
                theme = lk.inspire_theme(href) if href else None
                if theme is None and inspire_block and label:
                    theme = lk.inspire_theme(label)
                    if theme is None:
                        self.warn("inspire-theme-unknown", f"thème INSPIRE non reconnu : « {label} »",
                                  f"INSPIRE theme not recognised: '{label}'", theme_xpath)
                if theme:
                    themes.append(theme)
                elif label:
                    free.append(label)
                if label:
                    self._keyword_texts.append(label)
        if themes:
            themes = list(dict.fromkeys(themes))
            self.set("nature.inspire_themes", themes, theme_xpath + " (gmx:Anchor/@xlink:href, else label)")
            self.set("nature.eu_themes", lk.eu_themes(themes),
                     theme_xpath + " → INSPIRE/EU data-theme alignment (SEMIC)", inferred=True)
        seen: set[str] = set()
        keywords = [k for k in free if not (k.lower() in seen or seen.add(k.lower()))]
        if keywords:
            self.set("nature.keywords", keywords, P_KEYWORDS.expr + "/gmd:keyword")

    # C2 ----------------------------------------------------------------------------------------------------------

    def _provenance(self) -> None:
        parties = [self._party(n, path.expr) for path in (P_POINTS_OF_CONTACT, P_CITED_PARTIES)
                   for n in path.compiled(self.ident)]
        parties = [p for p in parties if p.name]
        by_role: dict[str, list[_Party]] = {}
        for p in parties:
            by_role.setdefault(p.role, []).append(p)
        publisher = next((by_role[r][0] for r in ("publisher", "owner", "pointOfContact") if by_role.get(r)), None)
        md_contacts = [self._party(n, P_MD_CONTACT.expr) for n in P_MD_CONTACT.compiled(self.root)]
        md_contacts = [p for p in md_contacts if p.name]
        if publisher is None and parties:
            publisher = parties[0]
        inferred = False
        if publisher is None and md_contacts:
            publisher, inferred = md_contacts[0], True
            self.warn("publisher-from-metadata-contact",
                      "producteur pris dans le contact des métadonnées (aucune organisation responsable de la "
                      "ressource) : à vérifier",
                      "publisher taken from the metadata contact (no responsible party for the resource): check it",
                      P_MD_CONTACT.expr)
        if publisher:
            role_xpath = f"{publisher.xpath}[gmd:role/*/@codeListValue='{publisher.role}']/gmd:organisationName"
            self.set("provenance.publisher", Agent(name=publisher.name, email=publisher.email or None), role_xpath,
                     inferred)
            kind = lk.publisher_type(publisher.name)
            if kind:
                self.set("provenance.publisher_type", kind, role_xpath + " (organisation name → ADMS type)", inferred=True)
        contact = next((p for p in by_role.get("pointOfContact", []) if p.email or p.url), None)
        contact = contact or next((p for p in parties if p.email), None)
        contact = contact or next((p for p in md_contacts if p.email), None)
        if contact:
            xpath = (f"{contact.xpath}[gmd:role/*/@codeListValue='{contact.role}']"
                     "/(gmd:organisationName, gmd:contactInfo/*/gmd:address/*/gmd:electronicMailAddress)")
            self.set("provenance.contact", Contact(name=contact.name, email=contact.email or None,
                                                   url=contact.url or None), xpath)
        for role, path in (("owner", "provenance.rights_holder"), ("author", "provenance.creator")):
            if by_role.get(role):
                p = by_role[role][0]
                self.set(path, Agent(name=p.name, email=p.email or None),
                         f"{p.xpath}[gmd:role/*/@codeListValue='{role}']/gmd:organisationName")
        others: list[Attribution] = []
        distributors = [self._party(n, P_DISTRIBUTORS.expr) for n in P_DISTRIBUTORS.compiled(self.root)]
        for p in parties + [d for d in distributors if d.name]:
            role = p.role or ("distributor" if p.xpath == P_DISTRIBUTORS.expr else "")
            if role in ("custodian", "originator", "distributor", "resourceProvider", "processor",
                        "principalInvestigator", "user"):
                attribution = Attribution(role=lk.RESPONSIBLE_PARTY_ROLE + role,
                                          agent=Agent(name=p.name, email=p.email or None))
                if attribution not in others:
                    others.append(attribution)
        if others:
            self.set("provenance.other_roles", others,
                     f"{P_POINTS_OF_CONTACT.expr} | {P_CITED_PARTIES.expr} | {P_DISTRIBUTORS.expr}"
                     " (roles custodian, originator, distributor…)")

    # C3 ----------------------------------------------------------------------------------------------------------

    def _frequency(self) -> None:
        codes = [c.strip() for c in P_FREQUENCY.compiled(self.ident) if c.strip()]
        if codes:
            iri = lk.frequency(codes[0])
            if iri:
                self.set("frequency.accrual_periodicity", iri, P_FREQUENCY.expr)
            else:
                self.warn("frequency-unknown", f"fréquence de mise à jour inconnue : {codes[0]}",
                          f"unknown maintenance frequency: {codes[0]}", P_FREQUENCY.expr)
        dates: dict[str, list[date | datetime]] = {}
        for node in P_DATES.compiled(self.ident):
            kind = next(iter(R_DATE_TYPE(node)), "").strip()
            raw = _first(R_DATE_VALUE(node)) or _text(next(iter(node.xpath("gmd:date", namespaces=NS)), None))
            value = self._date(raw, P_DATES.expr)
            if value is not None and kind:
                dates.setdefault(kind, []).append(value)
        for kind, path, pick in (("revision", "frequency.modified", max), ("publication", "frequency.issued", min),
                                 ("creation", "frequency.created", min)):
            if dates.get(kind):
                self.set(path, pick(dates[kind], key=_sort_key),
                         f"{P_DATES.expr}[gmd:dateType/*/@codeListValue='{kind}']/gmd:date/(gco:Date|gco:DateTime)")
        begins: list[date | datetime] = []
        ends: list[date | datetime] = []
        for node in P_TEMPORAL.compiled(self.ident):
            name = etree.QName(node).localname
            if name == "TimePeriod":
                begins += [v for v in (self._date(_text(n), P_TEMPORAL.expr) for n in R_BEGIN(node)) if v]
                ends += [v for v in (self._date(_text(n), P_TEMPORAL.expr) for n in R_END(node)) if v]
            elif name == "TimeInstant":
                instants = [v for v in (self._date(_text(n), P_TEMPORAL.expr) for n in R_INSTANT(node)) if v]
                begins += instants
                ends += instants
        if begins:
            self.set("frequency.temporal_start", min(begins, key=_sort_key),
                     P_TEMPORAL.expr + "/(gml:beginPosition|gml:timePosition)")
        if ends:
            self.set("frequency.temporal_end", max(ends, key=_sort_key),
                     P_TEMPORAL.expr + "/(gml:endPosition|gml:timePosition)")
        edition = _first(P_EDITION.compiled(self.ident))
        if edition:
            self.set("frequency.version", edition, P_EDITION.expr)

    def _date(self, raw: str, xpath: str) -> date | datetime | None:
        raw = raw.strip()
        if not raw:
            return None
        try:
            if len(raw) == 10:
                return date.fromisoformat(raw)
            return datetime.fromisoformat(raw)
        except ValueError:
            try:
                return date.fromisoformat(raw[:10])
            except ValueError:
                self.warn("date-unreadable", f"date illisible ignorée : {raw}", f"unreadable date ignored: {raw}",
                          xpath)
                return None

    # C4 ----------------------------------------------------------------------------------------------------------

    def _origin(self) -> None:
        statements = _texts(P_LINEAGE.compiled(self.root))
        if statements:
            lineage = "\n\n".join(dict.fromkeys(statements))
            self.set("origin.lineage", lineage, P_LINEAGE.expr)
            origins = lk.origins_in_text(lineage)
            if len(origins) == 1:
                self.set("origin.acquisition_mode", origin_iri(origins[0]),
                         P_LINEAGE.expr + " (lineage wording)", inferred=True)
                self.warn("acquisition-mode-inferred",
                          f"mode d'obtention déduit de la généalogie : {origins[0]} — à confirmer",
                          f"acquisition mode deduced from the lineage: {origins[0]} — to be confirmed", P_LINEAGE.expr)
        sources = []
        for node in P_SOURCES.compiled(self.root):
            text = _first(R_SOURCE_TEXT(node))
            if text:
                sources.append(text)
        if sources:
            self.set("origin.sources", list(dict.fromkeys(sources)),
                     P_SOURCES.expr + "/(gmd:description|gmd:sourceCitation/*/gmd:title)")
        steps = _texts(P_STEPS.compiled(self.root))
        if steps:
            self.set("origin.process_steps", list(dict.fromkeys(steps)), P_STEPS.expr)

    # C5 and the texts of C7 -------------------------------------------------------------------------------------

    def _constraints(self) -> _Constraints:
        """Read every resource constraint once: licences (C5), access signals and texts (C7)."""
        found = _Constraints()
        base = P_CONSTRAINTS.expr
        for node in P_CONSTRAINTS.compiled(self.ident):
            access_codes = [c.strip() for c in R_ACCESS_CODES(node)]
            use_codes = [c.strip() for c in R_USE_CODES(node)]
            misused = [c for c in access_codes if c in _ACCESS_MISUSES]
            if misused:
                self.warn("access-code-misuse",
                          f"accessConstraints « {misused[0]} » est une contrainte d'usage, pas d'accès : "
                          "le droit d'accès est cherché dans les textes de contraintes",
                          f"accessConstraints '{misused[0]}' is a use constraint, not an access one: the access "
                          "right is looked for in the constraint texts", base + "/gmd:accessConstraints")
            if "restricted" in access_codes:
                found.access.append(("RESTRICTED", 2, base + "/gmd:accessConstraints/*/@codeListValue", "restricted"))
            access_only = bool(access_codes) and not use_codes
            for other in R_OTHER(node):
                href = _href(other)
                text = _text(other) or " ".join(_texts(R_LOCALISED(other)))
                if href:
                    xpath = base + "/gmd:otherConstraints/gmx:Anchor/@xlink:href"
                    access = lk.access_from_anchor(href)
                    if access:
                        found.access.append((access, 3, xpath, href))
                        if text:
                            found.access_texts.append(text)
                        continue
                    licence = lk.licence_from_link(href)
                    if licence:
                        found.licences.append((licence, 3, xpath))
                        continue
                    if href.replace("https://", "http://").startswith(lk.CONDITIONS):
                        found.conditions.append((href, text, xpath))
                        continue
                if text:
                    self._classify_text(found, text, base + "/gmd:otherConstraints/gco:CharacterString",
                                        access_default=access_only)
            for limitation in R_USE_LIMITATION(node):
                text = _text(limitation)
                if text:
                    self._classify_text(found, text, base + "/gmd:useLimitation/gco:CharacterString",
                                        access_default=False)
        self._licence(found)
        return found

    def _classify_text(self, found: _Constraints, text: str, xpath: str, access_default: bool) -> None:
        access = lk.access_from_text(text)
        licences = lk.licences_in_text(text)
        for licence in licences:
            found.licences.append((licence, 2 if licence.explicit else 1, xpath))
        if access:
            found.access.append((access[0], 2, xpath, access[1]))
            if not licences:
                found.access_texts.append(text)
                return
        if access_default and not licences:
            found.access_texts.append(text)
        else:
            found.use_texts.append(text)

    def _licence(self, found: _Constraints) -> None:
        if found.licences:
            best = max(strength for _, strength, _ in found.licences)
            top = [(m, x) for m, s, x in found.licences if s == best]
            match, xpath = top[0]
            others = sorted({m.key for m, _ in top if m.key != match.key})
            if others:
                self.warn("licence-several",
                          f"plusieurs licences citées ({match.key}, {', '.join(others)}) : {match.key} retenue",
                          f"several licences named ({match.key}, {', '.join(others)}): {match.key} kept", xpath)
            inferred = not match.explicit or not match.version_stated
            self.set("licence.licence", match.iri, xpath + (" (label → IRI)" if "Anchor" not in xpath else ""),
                     inferred)
            if not match.explicit:
                self.warn("licence-inferred",
                          f"Licence Ouverte déduite de la formule « {match.evidence} » (la licence n'est pas "
                          "nommée) : à confirmer",
                          f"Licence Ouverte deduced from the wording '{match.evidence}' (the licence is not "
                          "named): to be confirmed", xpath)
            if match.key.startswith("etalab") and not match.version_stated:
                self.warn("licence-version-assumed",
                          "Licence Ouverte sans version : 2.0 retenue (version en vigueur, celle que prescrit le "
                          "géostandard CNIG PPR) — à confirmer",
                          "Licence Ouverte without a version: 2.0 assumed (the version in force, the one the CNIG "
                          "PPR standard prescribes) — to be confirmed", xpath)
            elif not match.version_stated:
                self.warn("licence-version-assumed", f"{match.evidence} sans version : 4.0 retenue — à confirmer",
                          f"{match.evidence} without a version: 4.0 assumed — to be confirmed", xpath)
            kind = lk.LICENCE_TYPES.get(match.key)
            if kind:
                self.set("licence.licence_type", lk.ADMS_LICENCE_TYPE + kind, xpath + " → ADMS licence type", inferred=True)
        else:
            for href, _text_value, xpath in found.conditions:
                self.warn("licence-condition-not-licence",
                          f"{href.rsplit('/', 1)[-1]} est une condition INSPIRE, pas une licence : licence à préciser",
                          f"{href.rsplit('/', 1)[-1]} is an INSPIRE condition, not a licence: licence to be given",
                          xpath)
                break
            else:
                self.warn("licence-not-found", "aucune licence reconnue dans la fiche",
                          "no licence recognised in the record", P_CONSTRAINTS.expr)
        rights = list(dict.fromkeys(found.use_texts + [t for _, t, _ in found.conditions if t]))
        if rights:
            self.set("licence.rights", "\n".join(rights),
                     P_CONSTRAINTS.expr + "/(gmd:useLimitation|gmd:otherConstraints)")

    # C6 ----------------------------------------------------------------------------------------------------------

    def _extent(self) -> None:
        boxes = []
        for node in P_BBOX.compiled(self.ident):
            try:
                w, s, e, n = (float(_first(R_BBOX_SIDES[side](node)).replace(",", ".")) for side in
                              ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude"))
            except ValueError:
                self.warn("bbox-unreadable", "emprise illisible ignorée", "unreadable bounding box ignored",
                          P_BBOX.expr)
                continue
            if w > e:
                if w - e < 180:
                    self.warn("bbox-swapped", f"emprise : ouest ({w}) > est ({e}), valeurs inversées",
                              f"bounding box: west ({w}) > east ({e}), values swapped", P_BBOX.expr)
                    w, e = e, w
                else:  # crosses the antimeridian: one CRS84 box cannot say it, keep the whole longitude range
                    self.warn("bbox-antimeridian", "emprise à cheval sur l'antiméridien : longitudes -180..180",
                              "bounding box crosses the antimeridian: longitudes -180..180", P_BBOX.expr)
                    w, e = -180.0, 180.0
            if s > n:
                self.warn("bbox-swapped", f"emprise : sud ({s}) > nord ({n}), valeurs inversées",
                          f"bounding box: south ({s}) > north ({n}), values swapped", P_BBOX.expr)
                s, n = n, s
            if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
                self.warn("bbox-out-of-range", f"emprise hors des bornes CRS84 ignorée : {w},{s},{e},{n}",
                          f"bounding box outside CRS84 bounds ignored: {w},{s},{e},{n}", P_BBOX.expr)
                continue
            boxes.append((w, s, e, n))
        if boxes:
            box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                   max(b[3] for b in boxes))
            if len(boxes) > 1:
                self.warn("bbox-union", f"{len(boxes)} emprises réunies en une seule (enveloppe)",
                          f"{len(boxes)} bounding boxes merged into one (envelope)", P_BBOX.expr)
            self.set("extent.bbox", box, P_BBOX.expr + "/gmd:*BoundLongitude|*BoundLatitude/gco:Decimal")
        systems: list[str] = []
        for node in P_CRS.compiled(self.root):
            href, label = _href(node), _text(node)
            iri = lk.crs_iri(href) if href else None
            iri = iri or lk.crs_iri(label)
            if iri:
                systems.append(iri)
            elif href or label:
                self.warn("crs-unknown", f"système de référence non reconnu : {label or href}",
                          f"EPSG label not recognised: {label or href}", P_CRS.expr)
        if systems:
            self.set("extent.reference_systems", list(dict.fromkeys(systems)),
                     P_CRS.expr + "/(gmx:Anchor/@xlink:href | gco:CharacterString → EPSG)")
        units = []
        for node in P_GEO_ID.compiled(self.ident):
            value = _href(node) or _text(node)
            if re.match(r"^https?://\S+$", value):
                units.append(value)
        if units:
            self.set("extent.admin_units", list(dict.fromkeys(units)), P_GEO_ID.expr)

    # C7 ----------------------------------------------------------------------------------------------------------

    def _access(self, found: _Constraints) -> None:
        if found.access:
            best = max(strength for _, strength, _, _ in found.access)
            values = {v for v, s, _, _ in found.access if s == best}
            value = "RESTRICTED" if "RESTRICTED" in values else values.pop()
            xpath = next(x for v, s, x, _ in found.access if s == best and v == value)
            if len(values | {value}) > 1:
                self.warn("access-conflict", "la fiche dit à la fois accès public et restreint : restreint retenu",
                          "the record says both public and restricted access: restricted kept", xpath)
            self.set("access.access_rights", access_right_iri(value), xpath)
        elif self.sheet.licence.licence and any(self.sheet.licence.licence == lk.LICENCES[k] for k in lk.OPEN_LICENCES):
            self.set("access.access_rights", access_right_iri("PUBLIC"),
                     P_CONSTRAINTS.expr + " (open licence → PUBLIC)", inferred=True)
            self.warn("access-inferred",
                      "aucune limitation d'accès exprimée ; accès public déduit de la licence ouverte — à confirmer",
                      "no access limitation stated; public access deduced from the open licence — to be confirmed",
                      P_CONSTRAINTS.expr)
        else:
            self.warn("access-not-found", "droit d'accès non trouvé dans la fiche",
                      "access right not found in the record", P_CONSTRAINTS.expr)
        if found.access_texts:
            self.set("access.rights", "\n".join(dict.fromkeys(found.access_texts)),
                     P_CONSTRAINTS.expr + "/gmd:otherConstraints")
        self._distributions()

    def _distributions(self) -> None:
        formats: list[str] = []
        for node in P_FORMATS.compiled(self.root):
            label, href = _text(node), _href(node)
            iri = (lk.format_from_label(href) if href else None) or lk.format_from_label(label)
            if iri:
                formats.append(iri)
                media = lk.media_type_from(href) if href else None
                if media:
                    self._format_media.setdefault(iri, media)
            elif label or href:
                self.warn("format-unknown", f"format non reconnu : {label or href}",
                          f"format not recognised: {label or href}", P_FORMATS.expr)
        formats = list(dict.fromkeys(formats))
        distributions: list[Distribution] = []
        landing: tuple[str, str] | None = None
        page_candidates: list[str] = []
        for node in P_ONLINE.compiled(self.root):
            url = _text(next(iter(R_LINKAGE(node)), None))
            if not url:
                continue
            protocol_el = next(iter(R_PROTOCOL(node)), None)
            protocol = _text(protocol_el)
            protocol_href = _href(protocol_el)
            function = next(iter(R_FUNCTION(node)), "").strip()
            name_el = next(iter(R_NAME(node)), None)
            name = _text(name_el)
            mime = next((c.get("type") for c in name_el if c.get("type")), None) if name_el is not None else None
            description = _text(next(iter(R_DESCRIPTION(node)), None))
            kind = _link_kind(url, protocol, protocol_href, function, name)
            if kind == "ignore":
                continue
            if kind == "page":
                page_candidates.append(url)
                if landing is None or (function == "information" and landing[1] != "information"):
                    landing = (url, function)
                continue
            service_fmt = lk.service_format(protocol_href.rsplit("/", 1)[-1] if protocol_href else "") \
                or lk.service_format(protocol) or (lk.service_format(url) if kind == "service" else None)
            dist = Distribution(access_url=url, title=name or None, description=description or None)
            if kind == "service" and service_fmt and not service_fmt.endswith("/ATOM"):
                endpoint = url.split("?", 1)[0]
                service_type = "view" if service_fmt.endswith(("WMS_SRVC",)) else "download"
                dist.access_service = DataService(
                    title=name or protocol or endpoint, endpoint_url=endpoint,
                    endpoint_description=url if "?" in url and url.split("?", 1)[1] else None,
                    protocol=protocol or protocol_href or None, service_type=lk.SERVICE_TYPE + service_type)
                dist.format = service_fmt
            elif kind == "service":  # ATOM feed
                dist.format = service_fmt or lk.FILE_TYPE + "ATOM"
                dist.media_type = lk.media_type_for(dist.format)
            else:
                from_url = lk.format_from_url(url)
                from_name = lk.format_from_label(name) if name else None
                fmt = from_name if from_name in formats else from_url if from_url in formats else None
                fmt = fmt or (formats[0] if len(formats) == 1 else None) or from_name or from_url
                if fmt:
                    dist.format = fmt
                if from_url:  # the link names a file: a direct download, whose media type is known
                    dist.download_url = url
                    media = lk.media_type_from(mime) if mime else None
                    dist.media_type = (self._format_media.get(fmt) or lk.media_type_for(fmt) if fmt else None) \
                        or media
            distributions.append(dist)
        sizes = [t for t in _texts(P_TRANSFER_SIZE.compiled(self.root))]
        if sizes and len(distributions) == 1:
            with contextlib.suppress(ValueError):
                distributions[0].byte_size = int(float(sizes[0]) * 1_000_000)
        if distributions:
            self.set("access.distributions", distributions,
                     P_ONLINE.expr + " (gmd:function download/offlineAccess/order, or protocol WWW:DOWNLOAD, "
                     "OGC:WFS/WMS, ATOM)")
            if formats and not any(d.format for d in distributions):
                self.warn("format-unassigned", "formats déclarés mais non rattachés à une distribution",
                          "formats declared but not attached to a distribution", P_FORMATS.expr)
        elif formats:
            self.warn("no-distribution", "formats déclarés mais aucun lien de téléchargement ou de service",
                      "formats declared but no download or service link", P_ONLINE.expr)
        if landing:
            self.set("access.landing_page", landing[0], P_ONLINE.expr + "/gmd:linkage/gmd:URL "
                     "(gmd:function information, or a link without function)")

    # C8 ----------------------------------------------------------------------------------------------------------

    def _precision(self) -> None:
        for node in P_DISTANCE.compiled(self.ident):
            raw = _text(node)
            uom = (node.get("uom") or "m").strip()
            factor = _uom_factor(uom)
            try:
                value = float(raw.replace(",", "."))
            except ValueError:
                continue
            if factor is None:
                self.warn("resolution-unit", f"unité de résolution non métrique ignorée : {raw} {uom}",
                          f"non-metric resolution unit ignored: {raw} {uom}", P_DISTANCE.expr)
                self.set("precision.resolution_text", f"{raw} {uom}", P_DISTANCE.expr)
                break
            if value > 0:
                self.set("precision.resolution_m", value * factor, P_DISTANCE.expr + " (@uom → m)")
                break
        denominators = []
        for raw in _texts(P_SCALE.compiled(self.ident)):
            try:
                denominators.append(int(float(raw)))
            except ValueError:
                continue
        denominators = [d for d in denominators if d > 0]
        if denominators:
            # CNIG: the smallest scale (largest denominator) of the plans used.
            self.set("precision.scale_denominator", max(denominators), P_SCALE.expr)
        measures = []
        for node in P_POSITIONAL.compiled(self.root):
            measure_el = next(iter(R_MEASURE_ID(node)), None)
            measure = _href(measure_el) or _text(measure_el)
            raw = _first(R_QUANT_VALUE(node))
            if not measure or not _is_iri(measure) or not raw:
                continue
            try:
                value = float(raw.replace(",", "."))
            except ValueError:
                continue
            unit_el = next(iter(R_QUANT_UNIT(node)), None)
            unit_text = "" if unit_el is None else " ".join(unit_el.itertext()).strip().lower()
            unit = "http://www.qudt.org/vocab/unit/M" if unit_text in ("m", "meter", "metre", "mètre") else None
            measures.append(QualityMeasurement(measure=measure, value=value, unit=unit))
        if measures:
            self.set("precision.positional_accuracy", measures, P_POSITIONAL.expr + "/gmd:result/gmd:DQ_QuantitativeResult")

    # C9, C10 -----------------------------------------------------------------------------------------------------

    def _quality_and_standard(self) -> None:
        conformities: list[Conformity] = []
        standards: list[StandardRef] = []
        for node in P_CONFORMANCE.compiled(self.root):
            title_el = next(iter(R_SPEC_TITLE(node)), None)
            title = _text(title_el)
            if not title:
                continue
            spec = _href(title_el)
            if not _is_iri(spec):
                spec_id = next(iter(R_SPEC_ID(node)), None)
                spec = _href(spec_id) if _is_iri(_href(spec_id)) else _text(spec_id)
            spec = spec if _is_iri(spec) else (lk.specification_iri(title) or "")
            passed = _text(next(iter(R_PASS(node)), None)).lower()
            degree = {"true": "conformant", "1": "conformant", "false": "notConformant",
                      "0": "notConformant"}.get(passed, "notEvaluated")
            explanation = _text(next(iter(R_EXPLANATION(node)), None))
            conformity = Conformity(specification_title=title, specification=spec or None,
                                    degree=DEGREE_OF_CONFORMITY + degree, explanation=explanation or None)
            conformities.append(conformity)
            if degree == "conformant":
                standards.append(StandardRef(title=title, iri=spec or None))
        if conformities:
            self.set("quality.conformity", conformities,
                     P_CONFORMANCE.expr + "/(gmd:specification/*/gmd:title[/gmx:Anchor/@xlink:href], gmd:pass)")
        std_xpath = P_CONFORMANCE.expr + "[gmd:pass/gco:Boolean='true']/gmd:specification/*/gmd:title"
        failed = {c.specification_title for c in conformities if c.degree.endswith("/notConformant")}
        for title_el in P_APP_SCHEMA.compiled(self.root):
            title = _text(title_el)
            if title in failed:
                self.warn("schema-not-conformant",
                          f"schéma d'application « {title} » déclaré, mais la conformité à ce standard est négative : "
                          "standard de données à confirmer",
                          f"application schema '{title}' declared, but the conformity test to it failed: data "
                          "standard to be confirmed", P_APP_SCHEMA.expr)
            elif title and all(s.title != title for s in standards):
                href = _href(title_el)
                standards.append(StandardRef(title=title, iri=href if _is_iri(href) else None))
                std_xpath += " | " + P_APP_SCHEMA.expr
        if standards:
            self.set("standard.conforms_to", standards, std_xpath)
        name = _first(P_MD_STANDARD.compiled(self.root))
        if name:
            version = _first(P_MD_STANDARD_VERSION.compiled(self.root))
            self.set("standard.metadata_standard", f"{name} {version}".strip(),
                     P_MD_STANDARD.expr + " + " + P_MD_STANDARD_VERSION.expr)
        status = [s.strip() for s in P_STATUS.compiled(self.ident) if s.strip()]
        if status and status[0] in lk.PROGRESS_STATUS:
            self.set("quality.status", lk.DISTRIBUTION_STATUS + lk.PROGRESS_STATUS[status[0]], P_STATUS.expr)

    # C1: the géo-concept -----------------------------------------------------------------------------------------

    def _geoconcept(self) -> None:
        texts = [self.sheet.nature.title or ""] + _texts(P_ALT_TITLE.compiled(self.ident)) + self._keyword_texts
        winner, candidates = recognise_geoconcept(self.registry, texts)
        self.candidates = candidates
        xpath = P_TITLE.expr + " + " + P_ALT_TITLE.expr + " + " + P_KEYWORDS.expr + "/gmd:keyword (Registry.search)"
        if winner:
            self.set("nature.geoconcept", winner.iri, xpath, inferred=True)
            self.filled[-1].value_preview = f"{winner.id} {winner.label} ({winner.iri}, score {winner.score:.2f})"
            self.set("nature.role", winner.role, xpath + " → role of the géo-concept", inferred=True)
        elif candidates:
            names = ", ".join(f"{c.id} {c.label} ({c.score:.2f})" for c in candidates)
            self.warn("geoconcept-choose", f"géo-concept à choisir parmi : {names}",
                      f"géo-concept to choose among: {names}", xpath)
        else:
            self.warn("geoconcept-none", "aucun géo-concept reconnu dans le titre et les mots-clés",
                      "no géo-concept recognised in the title and keywords", xpath)

    def __post_init__(self) -> None:
        self._format_media: dict[str, str] = {}
        self._keyword_texts = []
        self._pending_identifier = None


@dataclass
class _Constraints:
    licences: list[tuple[lk.LicenceMatch, int, str]] = field(default_factory=list)  # (match, strength, xpath)
    access: list[tuple[str, int, str, str]] = field(default_factory=list)  # (value, strength, xpath, evidence)
    access_texts: list[str] = field(default_factory=list)
    use_texts: list[str] = field(default_factory=list)
    conditions: list[tuple[str, str, str]] = field(default_factory=list)  # INSPIRE ConditionsApplying… anchors


def _sort_key(value: date | datetime) -> tuple:
    if isinstance(value, datetime):
        return (value.date(), value.replace(tzinfo=None).time())
    return (value, datetime.min.time())


def _uom_factor(uom: str) -> float | None:
    unit = uom.lower().rsplit(":", 1)[-1].rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return {"m": 1.0, "meter": 1.0, "metre": 1.0, "meters": 1.0, "metres": 1.0, "9001": 1.0, "km": 1000.0,
            "kilometre": 1000.0, "kilometer": 1000.0, "9036": 1000.0, "cm": 0.01, "mm": 0.001}.get(unit)


_SERVICE_PROTOCOL = re.compile(r"^(?:OGC:(?:WMS|WFS|WCS|WMTS|API)|ESRI:REST)", re.I)
_SERVICE_HREF = re.compile(r"/serviceType/ogc/(?:wms|wfs|wcs|wmts)$", re.I)


def _link_kind(url: str, protocol: str, protocol_href: str, function: str, name: str) -> str:
    """'service', 'download', 'page' or 'ignore' for an online resource, with or without gmd:function."""
    low_url, low_name = url.lower(), fold(name)
    if "getrecordbyid" in low_url:  # the metadata record itself, not the data
        return "ignore"
    if _SERVICE_PROTOCOL.match(protocol) or _SERVICE_HREF.search(protocol_href) \
            or re.search(r"[?&]service=(?:wms|wfs|wcs|wmts)\b", low_url):
        return "service"
    if "atom" in protocol.lower() or (("atom" in low_url or "atom" in low_name)
                                      and not protocol.upper().startswith("WWW:DOWNLOAD")):
        return "service"
    if "metadonnee" in low_name or "metadata" in low_name:
        return "page"
    if function in ("download", "offlineAccess", "order") or protocol.upper().startswith("WWW:DOWNLOAD"):
        return "download"
    if function in ("information", "search", "browsing") or not function:
        return "page" if not lk.format_from_url(url) or function else "download"
    return "page"


# --- géo-concept recognition -------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.sub(r"[^0-9a-z]+", " ", fold(text)).split()


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


_PPR = {"pprn", "ppr", "pprnp", "ppri", "pprl", "pprli"}
_FLOOD = {"inondation", "inondations", "crue", "crues", "submersion", "debordement"}


@dataclass(frozen=True)
class _Vocabulary:
    """The words of the registry's labels, indexed by singular form and by 8-letter stem."""

    words: frozenset[str]
    by_singular: dict[str, set[str]]
    by_stem: dict[str, set[str]]


_VOCABULARIES: dict[int, tuple[Registry, int, _Vocabulary]] = {}


def _vocabulary(registry: Registry) -> _Vocabulary:
    cached = _VOCABULARIES.get(id(registry))
    if cached and cached[0] is registry and cached[1] == len(registry.concepts):
        return cached[2]
    words = frozenset(w for c in registry.concepts.values() for w in _words(c.label_fr) if len(w) > 2)
    by_singular: dict[str, set[str]] = {}
    by_stem: dict[str, set[str]] = {}
    for w in words:
        by_singular.setdefault(_singular(w), set()).add(w)
        if len(w) >= 8:
            by_stem.setdefault(w[:8], set()).add(w)
    vocabulary = _Vocabulary(words, by_singular, by_stem)
    if len(_VOCABULARIES) > 8:
        _VOCABULARIES.clear()
    _VOCABULARIES[id(registry)] = (registry, len(registry.concepts), vocabulary)
    return vocabulary


def _query(texts: list[str], vocabulary: _Vocabulary) -> str:
    words = {w for t in texts for w in _words(t)}
    expanded = set(words) | {_singular(w) for w in words}
    for w in list(expanded):
        if w in vocabulary.words or len(w) < 4:
            continue
        # plural/singular forms and shared stems ('réglementation' ~ 'réglementaire')
        expanded |= vocabulary.by_singular.get(_singular(w), set())
        if len(w) >= 8:
            expanded |= vocabulary.by_stem.get(w[:8], set())
    if (words & _PPR or {"prevention", "risques"} <= words) and words & _FLOOD:
        expanded.add("ppri")  # a flood-risk prevention plan is what the registry calls PPRI
    return " ".join(sorted(expanded))


def recognise_geoconcept(registry: Registry, texts: list[str]) -> tuple[GeoconceptCandidate | None,
                                                                        list[GeoconceptCandidate]]:
    """(the géo-concept that clearly wins or None, the candidates best first) for a title and keywords."""
    scored = registry.search(_query(texts, _vocabulary(registry)))
    candidates = [GeoconceptCandidate(id=c.id, iri=c.iri(registry.base_iri), label=c.label_fr, role=c.role_iri,
                                      score=round(score, 3))
                  for c, score in scored if score >= CANDIDATE_MIN_SCORE][:MAX_CANDIDATES]
    if not candidates:
        return None, []
    best = candidates[0]
    second = candidates[1].score if len(candidates) > 1 else 0.0
    if best.score >= RECOGNISE_MIN_SCORE and best.score - second >= RECOGNISE_MARGIN:
        return best, candidates
    return None, candidates
